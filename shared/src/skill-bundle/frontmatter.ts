/**
 * Reads a skill's `SKILL.md`: YAML frontmatter between `---` lines, then the Markdown body, and
 * checks the fields the Agent Skills spec defines (https://agentskills.io/specification). Skills are
 * written by hand and by agents, so reading is lenient where the meaning is still clear (BOM, CRLF,
 * tab indentation, an unquoted `: ` inside a description, duplicate keys) and strict on the fields.
 * Used by validateSkillFiles and the zip reader.
 */
import { isMap, isScalar, parseDocument, type Document, type Node } from "yaml";

/** Frontmatter fields of the spec; other keys are kept as written (agents define their own). */
export type SkillFrontmatter = {
  name: string;
  description: string;
  license?: string;
  compatibility?: string;
  metadata?: Record<string, string>;
  /** Space-delimited in the spec; a YAML list of tool names is accepted too. */
  "allowed-tools"?: string | string[];
  [key: string]: unknown;
};

export type ParsedSkillMarkdown =
  | { ok: true; frontmatter: SkillFrontmatter; body: string }
  | { ok: false; errors: string[] };

const NAME_RULE = "1–64 characters of a-z, 0-9 and hyphens, not starting or ending with a hyphen, no two hyphens in a row";
export const MAX_DESCRIPTION_CHARS = 1024;
export const MAX_COMPATIBILITY_CHARS = 500;

/** Why `name` is not a valid skill name (stating the rule), or null when it is. */
export function checkSkillName(name: string): string | null {
  const problem =
    name.length === 0 ? "is empty"
    : name.length > 64 ? `is ${name.length} characters long`
    : /[A-Z]/.test(name) ? "has uppercase letters"
    : /[^a-z0-9-]/.test(name) ? `contains "${/[^a-z0-9-]/.exec(name)?.[0]}"`
    : name.startsWith("-") || name.endsWith("-") ? "starts or ends with a hyphen"
    : name.includes("--") ? "has two hyphens in a row"
    : null;
  return problem && `the name "${name}" ${problem}; a skill name is ${NAME_RULE}`;
}

/** Splits `SKILL.md` text into checked frontmatter and body (body with `\n` line ends). */
export function parseSkillMarkdown(text: string): ParsedSkillMarkdown {
  const src = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  const open = /^\s*---[ \t]*\n/.exec(src);
  if (!open) return { ok: false, errors: ["SKILL.md must start with YAML frontmatter between --- lines, with at least name and description"] };
  const rest = src.slice(open[0].length);
  const close = /^---[ \t]*$/m.exec(rest);
  if (!close) return { ok: false, errors: ["the frontmatter has no closing --- line"] };
  const body = rest.slice(close.index + close[0].length).replace(/^\n/, "");
  const read = readYamlMapping(rest.slice(0, close.index));
  if ("error" in read) return { ok: false, errors: [read.error] };
  const errors = checkFields(read.data);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, frontmatter: read.data as SkillFrontmatter, body };
}

function checkFields(data: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const { name, description, license, compatibility, metadata } = data;
  if (name === undefined || name === null) errors.push(`the frontmatter has no name; a skill name is ${NAME_RULE}`);
  else if (typeof name !== "string") errors.push(`name must be a string, not ${kind(name)}`);
  else {
    data.name = name.trim();
    const problem = checkSkillName(name.trim());
    if (problem) errors.push(problem);
  }
  if (description === undefined || description === null) errors.push("the frontmatter has no description; say what the skill does and when to use it");
  else if (typeof description !== "string") errors.push(`description must be a string, not ${kind(description)}`);
  else {
    data.description = description.trim();
    const chars = [...description.trim()].length;
    if (chars === 0) errors.push("the description is empty; say what the skill does and when to use it");
    if (chars > MAX_DESCRIPTION_CHARS) errors.push(`the description is ${chars} characters long; it may be at most ${MAX_DESCRIPTION_CHARS}`);
  }
  if (license !== undefined && typeof license !== "string") errors.push(`license must be a string, not ${kind(license)}`);
  if (compatibility !== undefined) {
    if (typeof compatibility !== "string") errors.push(`compatibility must be a string, not ${kind(compatibility)}`);
    else if ([...compatibility].length > MAX_COMPATIBILITY_CHARS) {
      errors.push(`compatibility is ${[...compatibility].length} characters long; it may be at most ${MAX_COMPATIBILITY_CHARS}`);
    }
  }
  if (metadata !== undefined) {
    if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) errors.push(`metadata must be a map of strings, not ${kind(metadata)}`);
    else for (const [k, v] of Object.entries(metadata)) if (typeof v !== "string") errors.push(`metadata.${k} must be a string, not ${kind(v)}`);
  }
  const tools = data["allowed-tools"];
  if (tools !== undefined && typeof tools !== "string" && !(Array.isArray(tools) && tools.every((t) => typeof t === "string"))) {
    errors.push(`allowed-tools must be a space-separated string of tool names, not ${kind(tools)}`);
  }
  return errors;
}

function kind(v: unknown): string {
  return v === null ? "empty" : Array.isArray(v) ? "a list" : typeof v === "object" ? "a map" : `a ${typeof v}`;
}

/**
 * The frontmatter as a plain object. Tries strict YAML, then YAML with leading tabs made spaces,
 * then reads each top-level key on its own, falling back to the raw `key: value` text for keys
 * YAML cannot read (typically `description: Use when: …`).
 */
function readYamlMapping(yaml: string): { data: Record<string, unknown> } | { error: string } {
  const first = parseMapping(yaml);
  if ("data" in first) return first;
  const untabbed = yaml.replace(/^\t+/gm, (tabs) => "  ".repeat(tabs.length));
  const second = parseMapping(untabbed);
  if ("data" in second) return second;
  const entries: [string, unknown][] = [];
  for (const block of topLevelBlocks(untabbed)) {
    const one = parseMapping(block.text);
    if ("data" in one) entries.push(...Object.entries(one.data));
    else {
      const [head = "", ...tail] = block.text.split("\n");
      const line = /^([^\s#:][^:]*?)[ \t]*:(?:[ \t]+|$)(.*)$/.exec(head);
      if (!line) return { error: `the frontmatter is not valid YAML (line ${block.line}: ${one.error})` };
      const continued = tail.map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
      entries.push([line[1] ?? "", unquote([line[2] ?? "", ...continued].join(" ").trim())]);
    }
  }
  return { data: Object.fromEntries(entries) };
}

function parseMapping(yaml: string): { data: Record<string, unknown> } | { error: string } {
  const doc = parseDocument(yaml, { uniqueKeys: false, prettyErrors: false });
  const [err] = doc.errors;
  if (err) return { error: err.message.split("\n")[0] ?? err.code };
  if (doc.contents === null) return { data: {} };
  if (!isMap(doc.contents)) return { error: "the frontmatter must be a map of key: value lines" };
  // Object.fromEntries, not assignment: a `__proto__` key stays a plain key.
  return {
    data: Object.fromEntries(doc.contents.items.map((pair) => {
      const key = keyOf(pair.key);
      const value = pair.value as Node | null;
      if (key === "metadata" && isMap(value)) {
        return [key, Object.fromEntries(value.items.map((p) => [keyOf(p.key), valueOf(p.value as Node | null, doc, true)]))];
      }
      return [key, valueOf(value, doc, STRING_FIELDS.has(key))];
    })),
  };
}

const STRING_FIELDS = new Set(["name", "description", "license", "compatibility"]);

function keyOf(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

/**
 * A node's value. Where the spec wants a string but YAML read a number or boolean (`version: 1.10`),
 * the scalar comes back exactly as written, not as 1.1.
 */
function valueOf(node: Node | null, doc: Document, asString: boolean): unknown {
  if (node === null) return null;
  if (asString && isScalar(node) && (typeof node.value === "number" || typeof node.value === "boolean")) {
    return typeof node.source === "string" ? node.source : String(node.value);
  }
  return node.toJS(doc);
}

/** Top-level `key:` lines with the indented, blank and comment lines under them. */
function topLevelBlocks(yaml: string): { line: number; text: string }[] {
  const blocks: { line: number; text: string }[] = [];
  yaml.split("\n").forEach((text, i) => {
    const last = blocks[blocks.length - 1];
    if (/^[^\s#]/.test(text) || !last) blocks.push({ line: i + 1, text });
    else last.text += `\n${text}`;
  });
  return blocks.filter((b) => b.text.trim() !== "" && !b.text.trimStart().startsWith("#"));
}

function unquote(value: string): string {
  const q = value[0];
  return (q === '"' || q === "'") && value.length >= 2 && value.endsWith(q) ? value.slice(1, -1) : value;
}
