/**
 * Skills in D1: writing a validated bundle as a new version (content-addressed blobs, the FTS row
 * kept in step), reading bundles back for runners, resolving an agent's attachments at dispatch,
 * and usage statistics. Routes validate input first (skill-bundle in @multica/shared) and call
 * these; nothing here trusts a caller's hash.
 */
import { and, desc, eq, inArray, isNull } from "drizzle-orm";
import type { AssignSkill, SkillAuthor, SkillBundleView, ValidatedSkill } from "@multica/shared";
import { encodeFileForWire, newId } from "@multica/shared";
import type { createDb } from "../db/client";
import { schema } from "../db/client";
import { ApiError } from "../errors";
import { skillsFts } from "./fts-table";

type Db = ReturnType<typeof createDb>;
export type SkillRow = typeof schema.skills.$inferSelect;
export type VersionRow = typeof schema.skillVersions.$inferSelect;

/** Base64 of bytes, in chunks (String.fromCharCode on a whole 512 KiB file overflows the stack). */
export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export async function findSkill(db: Db, workspaceId: string, name: string): Promise<SkillRow | null> {
  const [row] = await db.select().from(schema.skills).where(and(eq(schema.skills.workspaceId, workspaceId), eq(schema.skills.name, name)));
  return row ?? null;
}

export async function requireSkill(db: Db, workspaceId: string, name: string): Promise<SkillRow> {
  const skill = await findSkill(db, workspaceId, name);
  if (!skill) throw ApiError.notFound("skill", name);
  return skill;
}

export async function versionOf(db: Db, skillId: string, version: number): Promise<VersionRow | null> {
  const [row] = await db.select().from(schema.skillVersions).where(and(eq(schema.skillVersions.skillId, skillId), eq(schema.skillVersions.version, version)));
  return row ?? null;
}

/**
 * Stores `skill` as the next version of the workspace's skill of that name (creating it, or
 * bringing an archived one back). Unchanged content (same bundle hash as the latest) writes
 * nothing. One D1 batch, so a concurrent writer of the same version makes this one fail whole.
 */
export async function writeVersion(db: Db, workspaceId: string, skill: ValidatedSkill, author: SkillAuthor, now: number) {
  const existing = await findSkill(db, workspaceId, skill.name);
  if (existing && existing.archivedAt === null) {
    const latest = await versionOf(db, existing.id, existing.latestVersion);
    if (latest && latest.bundleHash === skill.hash) return { skill: existing, version: latest, created: false };
  }
  const skillId = existing?.id ?? newId("skill");
  const version = (existing?.latestVersion ?? 0) + 1;
  const files = skill.files.map((f) => ({ path: f.path, size: f.size, hash: f.hash }));
  const versionRow: VersionRow = {
    skillId, version, bundleHash: skill.hash, files, description: skill.description,
    authorKind: author.kind, authorId: author.id, authorAttempt: author.attempt ?? null, createdAt: now,
  };
  const skillRow: SkillRow = {
    id: skillId, workspaceId, name: skill.name, description: skill.description, latestVersion: version, archivedAt: null,
    createdAt: existing?.createdAt ?? now, updatedAt: now,
  };
  const blobs = skill.files.map((f) => db.insert(schema.skillBlobs).values({ hash: f.hash, size: f.size, content: toBase64(f.bytes) }).onConflictDoNothing());
  const upsert = existing
    ? db.update(schema.skills).set({ latestVersion: version, description: skill.description, archivedAt: null, updatedAt: now })
        .where(and(eq(schema.skills.id, skillId), eq(schema.skills.latestVersion, existing.latestVersion)))
    : db.insert(schema.skills).values(skillRow);
  try {
    await db.batch([
      upsert,
      ...blobs,
      db.insert(schema.skillVersions).values(versionRow),
      db.delete(skillsFts).where(eq(skillsFts.skillId, skillId)),
      db.insert(skillsFts).values({ name: skill.name, description: skill.description, body: skill.body, skillId }),
    ]);
  } catch (err) {
    if (/UNIQUE|PRIMARY KEY/i.test(String((err as Error).cause ?? err))) {
      throw new ApiError(409, "conflict", `skill ${skill.name} was changed at the same time; send the change again`);
    }
    throw err;
  }
  return { skill: skillRow, version: versionRow, created: true };
}

/** A version's files with their contents, for runners and the API. */
export async function bundleFiles(db: Db, files: VersionRow["files"]) {
  const hashes = [...new Set(files.map((f) => f.hash))];
  const blobs = hashes.length === 0 ? [] : await db.select().from(schema.skillBlobs).where(inArray(schema.skillBlobs.hash, hashes));
  const byHash = new Map(blobs.map((b) => [b.hash, b.content]));
  return files.map((f) => {
    const content = byHash.get(f.hash);
    if (content === undefined) throw new ApiError(500, "internal", `the contents of ${f.path} are missing from storage`);
    return { ...f, ...encodeFileForWire(f.path, fromBase64(content)) };
  });
}

/** The bundle with this hash, if a skill of this workspace has it. */
export async function bundleByHash(db: Db, workspaceId: string, hash: string): Promise<SkillBundleView | null> {
  const [row] = await db
    .select({ name: schema.skills.name, files: schema.skillVersions.files })
    .from(schema.skillVersions)
    .innerJoin(schema.skills, eq(schema.skills.id, schema.skillVersions.skillId))
    .where(and(eq(schema.skillVersions.bundleHash, hash), eq(schema.skills.workspaceId, workspaceId)))
    .limit(1);
  if (!row) return null;
  const files = await bundleFiles(db, row.files);
  return { name: row.name, hash, files: files.map(({ path, content, encoding }) => ({ path, content, encoding })) };
}

/** The enabled, unarchived skills of an agent, each at its pinned version or the latest. */
export async function agentSkillsForDispatch(db: Db, agentId: string): Promise<(AssignSkill & { skillId: string })[]> {
  const rows = await db
    .select({ skillId: schema.skills.id, name: schema.skills.name, latest: schema.skills.latestVersion, pinned: schema.agentSkills.version })
    .from(schema.agentSkills)
    .innerJoin(schema.skills, eq(schema.skills.id, schema.agentSkills.skillId))
    .where(and(eq(schema.agentSkills.agentId, agentId), eq(schema.agentSkills.enabled, true), isNull(schema.skills.archivedAt)));
  if (rows.length === 0) return [];
  const wanted = rows.map((r) => ({ ...r, version: r.pinned ?? r.latest }));
  const versions = await db
    .select({ skillId: schema.skillVersions.skillId, version: schema.skillVersions.version, hash: schema.skillVersions.bundleHash })
    .from(schema.skillVersions)
    .where(inArray(schema.skillVersions.skillId, wanted.map((w) => w.skillId)));
  return wanted.flatMap((w) => {
    const v = versions.find((x) => x.skillId === w.skillId && x.version === w.version);
    return v ? [{ skillId: w.skillId, name: w.name, version: w.version, hash: v.hash }] : [];
  });
}

/** Runs of tasks dispatched with the skill: how many, how many succeeded, the success rate of the finished ones. */
export async function skillStats(db: Db, skillIds: string[]) {
  const stats = new Map<string, { runs: number; succeeded: number; failed: number; successRate: number | null }>();
  if (skillIds.length === 0) return stats;
  const rows = await db
    .select({ skillId: schema.taskSkills.skillId, taskId: schema.taskSkills.taskId, status: schema.tasks.status })
    .from(schema.taskSkills)
    .leftJoin(schema.tasks, eq(schema.tasks.id, schema.taskSkills.taskId))
    .where(inArray(schema.taskSkills.skillId, skillIds))
    .orderBy(desc(schema.taskSkills.taskId))
    .limit(20_000);
  const perTask = new Map<string, { skillId: string; statuses: string[] }>();
  for (const r of rows) {
    const k = `${r.skillId}|${r.taskId}`;
    const e = perTask.get(k) ?? { skillId: r.skillId, statuses: [] };
    if (r.status) e.statuses.push(r.status);
    perTask.set(k, e);
  }
  for (const id of skillIds) stats.set(id, { runs: 0, succeeded: 0, failed: 0, successRate: null });
  for (const { skillId, statuses } of perTask.values()) {
    const s = stats.get(skillId);
    if (!s) continue;
    s.runs += 1;
    if (statuses.includes("succeeded")) s.succeeded += 1;
    else if (statuses.length > 0 && statuses.every((x) => ["failed", "cancelled", "lost"].includes(x))) s.failed += 1;
  }
  for (const s of stats.values()) s.successRate = s.succeeded + s.failed > 0 ? s.succeeded / (s.succeeded + s.failed) : null;
  return stats;
}
