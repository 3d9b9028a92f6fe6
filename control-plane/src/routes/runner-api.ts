/**
 * /api/v1/runner/* over HTTP, for runner tokens: fetch a skill bundle by hash (runners cache
 * them), propose a skill a run created or changed, and push local skills (`multica-runner skills
 * push`). The runner's WebSocket (`/api/v1/runner/connect`) is in runners.ts.
 */
import { Hono } from "hono";
import { and, eq } from "drizzle-orm";
import { newId, SkillProposalBody } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import { type AppEnv, requireToken } from "../middleware/auth";
import { emitOutbound } from "../triggers/outbound-emit";
import { bundleByHash, findSkill, toBase64, versionOf, writeVersion } from "../skills/store";
import { validate } from "../validation";
import { workspaceStub } from "../workspace/stub";
import { readSkillUpload, validated } from "./skills";

export const runnerApiRoutes = new Hono<AppEnv>()
  .get("/skill-bundles/:hash", requireToken("runner"), async (c) => {
    const hash = c.req.param("hash");
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new ApiError(400, "bad_request", "a bundle hash is 64 lowercase hex characters");
    const bundle = await bundleByHash(createDb(c.env.DB), c.get("principal").workspaceId, hash);
    if (!bundle) throw ApiError.notFound("skill bundle", hash);
    return c.json(bundle);
  })
  .post("/skills", requireToken("runner"), async (c) => {
    const p = c.get("principal");
    const skill = await validated(await readSkillUpload(c.req.raw));
    const r = await writeVersion(createDb(c.env.DB), p.workspaceId, skill, { kind: "runner", id: p.tokenId, attempt: null }, Date.now());
    return c.json({ skill: { name: r.skill.name, latestVersion: r.skill.latestVersion }, version: { version: r.version.version, hash: r.version.bundleHash }, created: r.created }, r.created ? 201 : 200);
  })
  .post("/skill-proposals", requireToken("runner"), validate("json", SkillProposalBody), async (c) => {
    const body = c.req.valid("json");
    const ws = c.get("principal").workspaceId;
    const db = createDb(c.env.DB);
    // The Durable Object knows the attempt the moment it is dispatched; D1 mirrors it a little later.
    if (!(await workspaceStub(c.env, ws).hasAttempt(body.taskId, body.attempt))) throw ApiError.notFound("task attempt", `${body.taskId}/${body.attempt}`);
    const skill = await validated(body.files);
    // Nothing to propose when the run left the skill as it was, or as the library has it now.
    const existing = await findSkill(db, ws, skill.name);
    const latest = existing && existing.archivedAt === null ? await versionOf(db, existing.id, existing.latestVersion) : null;
    if (skill.hash === body.baseHash || skill.hash === latest?.bundleHash) return c.json({ proposal: null, reason: "unchanged" });
    const row = {
      id: newId("proposal"), workspaceId: ws, name: skill.name, description: skill.description, bundleHash: skill.hash,
      files: skill.files.map((f) => ({ path: f.path, size: f.size, hash: f.hash })), baseHash: body.baseHash,
      taskId: body.taskId, attempt: body.attempt, status: "pending" as const, decidedBy: null, acceptedVersion: null, createdAt: Date.now(), decidedAt: null,
    };
    const blobs = skill.files.map((f) => db.insert(schema.skillBlobs).values({ hash: f.hash, size: f.size, content: toBase64(f.bytes) }).onConflictDoNothing());
    // A runner that resends after a lost answer gets the proposal it already made (unique per run and name).
    await db.batch([db.insert(schema.skillProposals).values(row).onConflictDoNothing(), ...blobs]);
    const [saved] = await db.select().from(schema.skillProposals)
      .where(and(eq(schema.skillProposals.taskId, body.taskId), eq(schema.skillProposals.attempt, body.attempt), eq(schema.skillProposals.name, skill.name)));
    const created = saved?.id === row.id;
    if (created) {
      const { files: _files, ...proposal } = row;
      emitOutbound(c, ws, { type: "skill.proposed", data: { proposal } });
    }
    return c.json({ proposal: { id: saved?.id ?? row.id, name: skill.name, status: saved?.status ?? "pending" } }, created ? 201 : 200);
  });
