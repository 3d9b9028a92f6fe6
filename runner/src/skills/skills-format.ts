/**
 * Text output of `multica-runner skills list|show|diff` for a person at a terminal (skills-
 * commands.ts prints the raw answer instead with `--json`). Each formatter reads only the fields
 * it shows, leniently: an answer with more (or fewer) fields still prints.
 */
import { z } from "zod";

const SkillRow = z.looseObject({
  name: z.string(),
  description: z.string().catch(""),
  latestVersion: z.number().catch(0),
  archived: z.boolean().catch(false),
  runs: z.number().catch(0),
  successRate: z.number().nullable().catch(null),
});
const FileRow = z.looseObject({ path: z.string(), size: z.number().catch(0), hash: z.string().catch("") });
const VersionRow = z.looseObject({
  version: z.number(),
  hash: z.string().catch(""),
  author: z.looseObject({ kind: z.string(), id: z.string(), attempt: z.number().nullable().catch(null) }).nullable().catch(null),
  createdAt: z.number().catch(0),
  files: z.array(FileRow).catch([]),
});

const rate = (r: number | null) => (r === null ? "-" : `${Math.round(r * 100)}%`);
const oneLine = (text: string, max: number) => {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** Lines for rows of strings, every column padded to its widest cell. */
function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ").trimEnd()).join("\n");
}

/** `skills list`. */
export function formatList(body: unknown): string {
  const parsed = z.object({ skills: z.array(SkillRow) }).safeParse(body);
  if (!parsed.success) return JSON.stringify(body);
  if (parsed.data.skills.length === 0) return "no skills";
  const rows = parsed.data.skills.map((s) => [s.name, `v${s.latestVersion}`, String(s.runs), rate(s.successRate), `${s.archived ? "(archived) " : ""}${oneLine(s.description, 80)}`]);
  return table([["NAME", "LATEST", "RUNS", "SUCCESS", "DESCRIPTION"], ...rows]);
}

/** `skills show <name>`. */
export function formatShow(body: unknown): string {
  const parsed = z.object({ skill: SkillRow, versions: z.array(VersionRow).catch([]) }).safeParse(body);
  if (!parsed.success) return JSON.stringify(body);
  const { skill, versions } = parsed.data;
  const lines = [
    `${skill.name} v${skill.latestVersion}${skill.archived ? " (archived)" : ""}`,
    skill.description,
    `runs: ${skill.runs}, success: ${rate(skill.successRate)}`,
    "",
  ];
  const rows = versions.map((v) => {
    const by = v.author ? `${v.author.kind} ${v.author.id}${v.author.attempt ? `#${v.author.attempt}` : ""}` : "-";
    return [`v${v.version}`, v.hash.slice(0, 12), v.createdAt ? new Date(v.createdAt).toISOString() : "-", by, `${v.files.length} file${v.files.length === 1 ? "" : "s"}`];
  });
  lines.push(table([["VERSION", "HASH", "CREATED", "AUTHOR", "FILES"], ...rows]));
  return lines.join("\n");
}

/** `skills show <name> --version <n>`: the files, then SKILL.md. */
export function formatVersion(name: string, body: unknown): string {
  const parsed = VersionRow.extend({ files: z.array(FileRow.extend({ content: z.string().catch(""), encoding: z.string().catch("utf8") })) }).safeParse(body);
  if (!parsed.success) return JSON.stringify(body);
  const v = parsed.data;
  const lines = [`${name} v${v.version} (${v.hash.slice(0, 12)})`, table(v.files.map((f) => [`  ${f.path}`, `${f.size} B`, f.hash.slice(0, 12)]))];
  const skillFile = v.files.find((f) => f.path === "SKILL.md");
  if (skillFile && skillFile.encoding === "utf8") lines.push("", "--- SKILL.md ---", skillFile.content.trimEnd());
  return lines.join("\n");
}

/** `skills diff`: unified patches; binary files by name only. */
export function formatDiff(body: unknown): string {
  const Entry = z.looseObject({ path: z.string(), status: z.string(), binary: z.boolean().catch(false), patch: z.string().nullable().catch(null) });
  const parsed = z.object({ diff: z.array(Entry) }).safeParse(body);
  if (!parsed.success) return JSON.stringify(body);
  if (parsed.data.diff.length === 0) return "no differences";
  return parsed.data.diff
    .map((d) => (d.binary || !d.patch ? `${d.status} ${d.path}${d.binary ? " (binary)" : ""}` : d.patch.trimEnd()))
    .join("\n");
}
