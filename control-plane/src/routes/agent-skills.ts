/**
 * /api/v1/workspaces/:workspaceId/agents/:agentId/skills — which skills an agent gets in its
 * runs: attach (pinned to a version, or following the latest), enable/disable, detach.
 */
import { type Context, Hono } from "hono";
import { and, eq } from "drizzle-orm";
import { AttachSkillBody } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import type { AppEnv } from "../middleware/auth";
import { requireSkill, versionOf } from "../skills/store";
import { validate } from "../validation";

async function requireAgent(c: Context<AppEnv>) {
  const id = c.req.param("agentId") ?? "";
  const [agent] = await createDb(c.env.DB).select().from(schema.agents).where(and(eq(schema.agents.id, id), eq(schema.agents.workspaceId, c.get("principal").workspaceId)));
  if (!agent) throw ApiError.notFound("agent", id);
  return agent;
}

export const agentSkillRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const agent = await requireAgent(c);
    const rows = await createDb(c.env.DB)
      .select({ name: schema.skills.name, description: schema.skills.description, latestVersion: schema.skills.latestVersion, archivedAt: schema.skills.archivedAt, version: schema.agentSkills.version, enabled: schema.agentSkills.enabled })
      .from(schema.agentSkills)
      .innerJoin(schema.skills, eq(schema.skills.id, schema.agentSkills.skillId))
      .where(eq(schema.agentSkills.agentId, agent.id))
      .orderBy(schema.skills.name);
    return c.json({ skills: rows.map(({ archivedAt, ...r }) => ({ ...r, archived: archivedAt !== null, runsWith: r.version ?? r.latestVersion })) });
  })
  .put("/:name", validate("json", AttachSkillBody), async (c) => {
    const { version, enabled } = c.req.valid("json");
    const agent = await requireAgent(c);
    const db = createDb(c.env.DB);
    const skill = await requireSkill(db, agent.workspaceId, c.req.param("name"));
    if (skill.archivedAt !== null) throw new ApiError(409, "conflict", `skill ${skill.name} is archived; create a new version to bring it back`);
    if (version !== null && !(await versionOf(db, skill.id, version))) throw ApiError.notFound(`version of skill ${skill.name}`, String(version));
    const row = { agentId: agent.id, skillId: skill.id, version, enabled, createdAt: Date.now() };
    await db.insert(schema.agentSkills).values(row).onConflictDoUpdate({ target: [schema.agentSkills.agentId, schema.agentSkills.skillId], set: { version, enabled } });
    return c.json({ attached: { name: skill.name, version, enabled, runsWith: version ?? skill.latestVersion } });
  })
  .delete("/:name", async (c) => {
    const agent = await requireAgent(c);
    const db = createDb(c.env.DB);
    const skill = await requireSkill(db, agent.workspaceId, c.req.param("name"));
    const gone = await db.delete(schema.agentSkills).where(and(eq(schema.agentSkills.agentId, agent.id), eq(schema.agentSkills.skillId, skill.id))).returning();
    if (gone.length === 0) throw new ApiError(404, "not_found", `skill ${skill.name} is not attached to agent ${agent.id}`);
    return c.json({ detached: skill.name });
  });
