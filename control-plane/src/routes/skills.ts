/**
 * /api/v1/workspaces/:workspaceId/skills — the workspace's skill library: create a version from
 * files (JSON) or a `.zip`, list and search, show a skill with its versions and usage, read one
 * version's files, diff two versions, archive. Every way in is validated by validateSkillFiles.
 */
import { type Context, Hono } from "hono";
import { and, desc, eq, isNull } from "drizzle-orm";
import { CreateSkillBody, diffSkillVersions, readSkillZip, SKILL_LIMITS, type SkillFileInput, validateSkillFiles } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import type { AppEnv } from "../middleware/auth";
import { searchSkills } from "../skills/search";
import { bundleFiles, fromBase64, requireSkill, skillStats, versionOf, writeVersion, type SkillRow } from "../skills/store";

/** Files from a request: a JSON `{ files }` body, or a zip of one skill folder. */
export async function readSkillUpload(req: Request): Promise<SkillFileInput[]> {
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > SKILL_LIMITS.maxUploadBytes) throw tooLarge(declared);
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.byteLength > SKILL_LIMITS.maxUploadBytes) throw tooLarge(bytes.byteLength);
  const type = req.headers.get("content-type") ?? "";
  if (/application\/(zip|x-zip-compressed)/.test(type)) {
    const zip = readSkillZip(bytes);
    if (!zip.ok) throw new ApiError(400, "bad_request", `invalid skill zip: ${zip.errors.map((e) => e.message).join("; ")}`, zip.errors);
    return zip.files;
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ApiError(400, "bad_request", "send a JSON body { files: [{ path, content, encoding }] } or a zip with Content-Type: application/zip");
  }
  const parsed = CreateSkillBody.safeParse(json);
  if (!parsed.success) {
    const details = parsed.error.issues.slice(0, 20).map((i) => ({ path: i.path.join(".") || null, message: i.message }));
    throw new ApiError(400, "bad_request", `invalid skill: ${details.slice(0, 3).map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join("; ")}`, details);
  }
  return parsed.data.files;
}

function tooLarge(size: number): ApiError {
  return new ApiError(413, "payload_too_large", `the upload is ${size} bytes; a skill upload may be at most ${SKILL_LIMITS.maxUploadBytes} bytes`);
}

/** Validates files as a skill, turning every problem into one 400 with details. */
export async function validated(files: SkillFileInput[], expectedName?: string) {
  const result = await validateSkillFiles(files, expectedName ? { expectedName } : undefined);
  if (!result.ok) {
    const first = result.errors.slice(0, 3).map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join("; ");
    throw new ApiError(400, "bad_request", `invalid skill: ${first}`, result.errors);
  }
  return result.skill;
}

function view(s: SkillRow, stats?: { runs: number; succeeded: number; failed: number; successRate: number | null }) {
  return {
    id: s.id, name: s.name, description: s.description, latestVersion: s.latestVersion, archived: s.archivedAt !== null,
    createdAt: s.createdAt, updatedAt: s.updatedAt, ...(stats ?? { runs: 0, succeeded: 0, failed: 0, successRate: null }),
  };
}

function versionView(v: typeof schema.skillVersions.$inferSelect, workspaceId: string) {
  // A version harvested from a run links to that run (its attempts and transcript).
  const run = v.authorKind === "task" ? { run: `/api/v1/workspaces/${workspaceId}/tasks/${v.authorId}?attempt=${v.authorAttempt ?? 1}` } : {};
  const author = { kind: v.authorKind, id: v.authorId, attempt: v.authorAttempt, ...run };
  return { version: v.version, hash: v.bundleHash, description: v.description, author, createdAt: v.createdAt, files: v.files };
}

export const skillRoutes = new Hono<AppEnv>()
  .post("/", async (c) => {
    const p = c.get("principal");
    const skill = await validated(await readSkillUpload(c.req.raw));
    const r = await writeVersion(createDb(c.env.DB), p.workspaceId, skill, { kind: "user", id: p.userId, attempt: null }, Date.now());
    return c.json({ skill: view(r.skill), version: versionView(r.version, p.workspaceId), created: r.created }, r.created ? 201 : 200);
  })
  .get("/", async (c) => {
    const db = createDb(c.env.DB);
    const ws = c.get("principal").workspaceId;
    const q = c.req.query("q")?.trim();
    const limit = Math.min(Math.max(Number(c.req.query("limit") ?? 50) || 50, 1), 200);
    if (q) {
      const hits = await searchSkills(db, ws, q, limit);
      const rows = hits.length === 0 ? [] : await db.select().from(schema.skills).where(eq(schema.skills.workspaceId, ws));
      const stats = await skillStats(db, hits.map((h) => h.skillId));
      const byId = new Map(rows.map((r) => [r.id, r]));
      return c.json({ skills: hits.flatMap((h) => { const s = byId.get(h.skillId); return s ? [{ ...view(s, stats.get(s.id)), rank: h.rank }] : []; }) });
    }
    const archived = c.req.query("archived") === "1";
    const rows = await db.select().from(schema.skills)
      .where(archived ? eq(schema.skills.workspaceId, ws) : and(eq(schema.skills.workspaceId, ws), isNull(schema.skills.archivedAt)))
      .orderBy(schema.skills.name).limit(limit);
    const stats = await skillStats(db, rows.map((r) => r.id));
    return c.json({ skills: rows.map((r) => view(r, stats.get(r.id))) });
  })
  .get("/:name", async (c) => {
    const db = createDb(c.env.DB);
    const skill = await requireSkill(db, c.get("principal").workspaceId, c.req.param("name"));
    const [versions, stats] = await Promise.all([
      db.select().from(schema.skillVersions).where(eq(schema.skillVersions.skillId, skill.id)).orderBy(desc(schema.skillVersions.version)),
      skillStats(db, [skill.id]),
    ]);
    return c.json({ skill: view(skill, stats.get(skill.id)), versions: versions.map((v) => versionView(v, skill.workspaceId)) });
  })
  .get("/:name/versions/:version", async (c) => {
    const db = createDb(c.env.DB);
    const skill = await requireSkill(db, c.get("principal").workspaceId, c.req.param("name"));
    const v = await versionOf(db, skill.id, Number(c.req.param("version")));
    if (!v) throw ApiError.notFound(`version of skill ${skill.name}`, c.req.param("version"));
    return c.json({ ...versionView(v, skill.workspaceId), files: await bundleFiles(db, v.files) });
  })
  .get("/:name/diff", async (c) => {
    const db = createDb(c.env.DB);
    const skill = await requireSkill(db, c.get("principal").workspaceId, c.req.param("name"));
    const [from, to] = [Number(c.req.query("from") ?? skill.latestVersion - 1), Number(c.req.query("to") ?? skill.latestVersion)];
    const [a, b] = await Promise.all([versionOf(db, skill.id, from), versionOf(db, skill.id, to)]);
    if (!a || !b) throw ApiError.notFound(`version of skill ${skill.name}`, String(!a ? from : to));
    const bytes = async (v: typeof schema.skillVersions.$inferSelect) => (await bundleFiles(db, v.files)).map((f) => ({ path: f.path, bytes: f.encoding === "base64" ? fromBase64(f.content) : new TextEncoder().encode(f.content) }));
    return c.json({ from, to, diff: diffSkillVersions(await bytes(a), await bytes(b)) });
  })
  .post("/:name/archive", (c) => archive(c))
  .delete("/:name", (c) => archive(c));

async function archive(c: Context<AppEnv>) {
  const db = createDb(c.env.DB);
  const skill = await requireSkill(db, c.get("principal").workspaceId, c.req.param("name") ?? "");
  const now = Date.now();
  await db.update(schema.skills).set({ archivedAt: skill.archivedAt ?? now, updatedAt: now }).where(eq(schema.skills.id, skill.id));
  return c.json({ skill: view({ ...skill, archivedAt: skill.archivedAt ?? now }) });
}
