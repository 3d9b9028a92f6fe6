/**
 * /api/v1/workspaces/:workspaceId/skill-proposals — skills that agent runs created or changed
 * (harvested by runners), waiting for a member: list, read with a diff against the version the
 * run started from, accept (it becomes the skill's next version, credited to the run) or reject.
 */
import { type Context, Hono } from "hono";
import { and, desc, eq } from "drizzle-orm";
import { diffSkillVersions } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import type { AppEnv } from "../middleware/auth";
import { bundleFiles, fromBase64, writeVersion } from "../skills/store";
import { validated } from "./skills";

type Proposal = typeof schema.skillProposals.$inferSelect;

async function requireProposal(c: Context<AppEnv>): Promise<Proposal> {
  const id = c.req.param("id") ?? "";
  const [row] = await createDb(c.env.DB).select().from(schema.skillProposals)
    .where(and(eq(schema.skillProposals.id, id), eq(schema.skillProposals.workspaceId, c.get("principal").workspaceId)));
  if (!row) throw ApiError.notFound("skill proposal", id);
  return row;
}

function pending(p: Proposal): void {
  if (p.status !== "pending") throw new ApiError(409, "conflict", `proposal ${p.id} was already ${p.status}`);
}

const asBytes = (f: { content: string; encoding: "utf8" | "base64" }) => (f.encoding === "base64" ? fromBase64(f.content) : new TextEncoder().encode(f.content));

export const skillProposalRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const status = c.req.query("status");
    const ws = c.get("principal").workspaceId;
    const where = status === "pending" || status === "accepted" || status === "rejected"
      ? and(eq(schema.skillProposals.workspaceId, ws), eq(schema.skillProposals.status, status))
      : eq(schema.skillProposals.workspaceId, ws);
    const rows = await createDb(c.env.DB).select().from(schema.skillProposals).where(where).orderBy(desc(schema.skillProposals.createdAt)).limit(200);
    return c.json({ proposals: rows });
  })
  .get("/:id", async (c) => {
    const p = await requireProposal(c);
    const db = createDb(c.env.DB);
    const files = await bundleFiles(db, p.files);
    const [base] = p.baseHash ? await db.select({ files: schema.skillVersions.files }).from(schema.skillVersions).where(eq(schema.skillVersions.bundleHash, p.baseHash)).limit(1) : [];
    const before = base ? (await bundleFiles(db, base.files)).map((f) => ({ path: f.path, bytes: asBytes(f) })) : [];
    return c.json({ proposal: p, files, diff: diffSkillVersions(before, files.map((f) => ({ path: f.path, bytes: asBytes(f) }))) });
  })
  .post("/:id/accept", async (c) => {
    const p = await requireProposal(c);
    pending(p);
    const db = createDb(c.env.DB);
    const files = (await bundleFiles(db, p.files)).map(({ path, content, encoding }) => ({ path, content, encoding }));
    const skill = await validated(files);
    const now = Date.now();
    const r = await writeVersion(db, p.workspaceId, skill, { kind: "task", id: p.taskId, attempt: p.attempt }, now);
    const who = `user:${c.get("principal").userId}`;
    await db.update(schema.skillProposals).set({ status: "accepted", decidedBy: who, decidedAt: now, acceptedVersion: r.version.version }).where(eq(schema.skillProposals.id, p.id));
    return c.json({ proposal: { ...p, status: "accepted", decidedBy: who, decidedAt: now, acceptedVersion: r.version.version }, skill: { name: r.skill.name, latestVersion: r.skill.latestVersion }, created: r.created });
  })
  .post("/:id/reject", async (c) => {
    const p = await requireProposal(c);
    pending(p);
    const now = Date.now();
    const who = `user:${c.get("principal").userId}`;
    await createDb(c.env.DB).update(schema.skillProposals).set({ status: "rejected", decidedBy: who, decidedAt: now }).where(eq(schema.skillProposals.id, p.id));
    return c.json({ proposal: { ...p, status: "rejected", decidedBy: who, decidedAt: now } });
  });
