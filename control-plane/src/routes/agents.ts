/**
 * /api/v1/workspaces/:workspaceId/agents — the agents who work on assigned issues. Members list
 * and read them (one agent with its derived status); admins create, change and delete them.
 * Status comes from D1 on read: `working` (an attempt is dispatched or running), `offline` (no
 * online runner offers one of its runtimes, within its runner pool when it has one), `blocked`
 * (its latest attempt failed as bad_config: its set-up needs fixing), else `idle`.
 */
import { type Context, Hono } from "hono";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { type AgentStatus, CreateAgentBody, newId, UpdateAgentBody } from "@multica/shared";
import { createDb, schema, type Db } from "../db/client";
import { ApiError } from "../errors";
import { requireRole, type AppEnv } from "../middleware/auth";
import { agentView } from "../runs";
import { validate } from "../validation";

type AgentRow = typeof schema.agents.$inferSelect;
const a = schema.agents;
const tasks = schema.tasks;

async function requireAgent(c: Context<AppEnv>): Promise<AgentRow> {
  const id = c.req.param("agentId") ?? "";
  const [agent] = await createDb(c.env.DB).select().from(a).where(and(eq(a.id, id), eq(a.workspaceId, c.get("principal").workspaceId)));
  if (!agent) throw ApiError.notFound("agent", id);
  return agent;
}

/** The agent's status, from its tasks and the workspace's runners in one D1 batch. */
async function agentStatus(db: Db, agent: AgentRow): Promise<AgentStatus> {
  const mine = and(eq(tasks.workspaceId, agent.workspaceId), eq(tasks.agentId, agent.id));
  const pool = agent.runnerIds ? [inArray(schema.runners.id, agent.runnerIds)] : [];
  const [working, latest, online] = await db.batch([
    db.select({ id: tasks.id }).from(tasks).where(and(mine, inArray(tasks.status, ["dispatched", "running"]))).limit(1),
    db.select({ status: tasks.status, failureKind: tasks.failureKind }).from(tasks).where(mine).orderBy(desc(tasks.queuedAt), desc(tasks.attempt)).limit(1),
    db.select({ id: schema.runners.id }).from(schema.runners)
      .innerJoin(schema.runtimes, eq(schema.runtimes.runnerId, schema.runners.id))
      .where(and(eq(schema.runners.workspaceId, agent.workspaceId), eq(schema.runners.online, true), inArray(schema.runtimes.key, agent.runtimes), ...pool))
      .limit(1),
  ]);
  if (working.length > 0) return "working";
  if (online.length === 0) return "offline";
  if (latest[0]?.status === "failed" && latest[0].failureKind === "bad_config") return "blocked";
  return "idle";
}

/**
 * An agent's record from its attempts (D1's mirror): how many ended which way, what runs now, the
 * success rate of attempts that ran to an end (cancelled ones left out), tokens and cost.
 */
function agentStats(agentId: string, status: AgentStatus, rows: { status: string; n: number; costUsd: number; input: number; output: number; lastAt: number }[]) {
  const count = (...s: string[]) => rows.filter((r) => s.includes(r.status)).reduce((n, r) => n + Number(r.n), 0);
  const succeeded = count("succeeded");
  const failed = count("failed", "lost");
  return {
    agentId, status, succeeded, failed, cancelled: count("cancelled"), running: count("dispatched", "running"), queued: count("queued"),
    successRate: succeeded + failed > 0 ? succeeded / (succeeded + failed) : null,
    costUsd: rows.reduce((n, r) => n + Number(r.costUsd), 0),
    tokens: rows.reduce((n, r) => n + Number(r.input) + Number(r.output), 0),
    lastRunAt: rows.length > 0 ? Math.max(...rows.map((r) => Number(r.lastAt))) : null,
  };
}

export const agentRoutes = new Hono<AppEnv>()
  .post("/", requireRole("admin"), validate("json", CreateAgentBody), async (c) => {
    const { repository, ...body } = c.req.valid("json");
    const row = {
      id: newId("agent"), workspaceId: c.get("principal").workspaceId, ...body, repository: repository?.source ?? null, baseRef: repository?.baseRef ?? null,
      avatar: null, model: null, extraArgs: null, env: null, runnerIds: null, canClose: false, createdAt: Date.now(),
    };
    await createDb(c.env.DB).insert(a).values(row);
    return c.json({ agent: agentView(row) }, 201);
  })
  .get("/", async (c) => {
    const agents = await createDb(c.env.DB).select().from(a).where(eq(a.workspaceId, c.get("principal").workspaceId));
    return c.json({ agents: agents.map(agentView) });
  })
  // Before "/:agentId", which would otherwise take "stats" for an id.
  .get("/stats", async (c) => {
    const workspaceId = c.get("principal").workspaceId;
    const db = createDb(c.env.DB);
    const usage = (field: string) => sql<number>`coalesce(sum(json_extract(${tasks.usage}, ${`$.${field}`})), 0)`;
    const [agents, rows] = await Promise.all([
      db.select().from(a).where(eq(a.workspaceId, workspaceId)),
      db.select({ agentId: tasks.agentId, status: tasks.status, n: sql<number>`count(*)`, costUsd: usage("costUsd"), input: usage("inputTokens"), output: usage("outputTokens"), lastAt: sql<number>`max(${tasks.queuedAt})` })
        .from(tasks).where(eq(tasks.workspaceId, workspaceId)).groupBy(tasks.agentId, tasks.status),
    ]);
    const statuses = await Promise.all(agents.map((agent) => agentStatus(db, agent)));
    return c.json({ stats: agents.map((agent, i) => agentStats(agent.id, statuses[i]!, rows.filter((r) => r.agentId === agent.id))) });
  })
  .get("/:agentId", async (c) => {
    const agent = await requireAgent(c);
    return c.json({ agent: { ...agentView(agent), status: await agentStatus(createDb(c.env.DB), agent) } });
  })
  .patch("/:agentId", requireRole("admin"), validate("json", UpdateAgentBody), async (c) => {
    const { repository, ...rest } = c.req.valid("json");
    const agent = await requireAgent(c);
    const repo = repository === undefined ? {} : { repository: repository?.source ?? null, baseRef: repository?.baseRef ?? null };
    const [row] = await createDb(c.env.DB).update(a).set({ ...rest, ...repo }).where(eq(a.id, agent.id)).returning();
    if (!row) throw ApiError.notFound("agent", agent.id);
    return c.json({ agent: agentView(row) });
  })
  .delete("/:agentId", requireRole("admin"), async (c) => {
    const agent = await requireAgent(c);
    const db = createDb(c.env.DB);
    // D1 mirrors the Durable Object's tasks: an assignment made a moment ago may not show yet.
    const [busy] = await db.select({ id: tasks.id }).from(tasks)
      .where(and(eq(tasks.workspaceId, agent.workspaceId), eq(tasks.agentId, agent.id), inArray(tasks.status, ["queued", "dispatched", "running"]))).limit(1);
    if (busy) throw new ApiError(409, "conflict", `agent ${agent.id} has unfinished task ${busy.id}; cancel it or let it end first`);
    await db.batch([
      db.delete(schema.agentSkills).where(eq(schema.agentSkills.agentId, agent.id)),
      // Its issues stay, unassigned: an issue does not point at an agent that is gone.
      db.update(schema.issues).set({ assigneeAgentId: null, updatedAt: Date.now() }).where(and(eq(schema.issues.workspaceId, agent.workspaceId), eq(schema.issues.assigneeAgentId, agent.id))),
      db.delete(a).where(eq(a.id, agent.id)),
    ]);
    return c.body(null, 204);
  });
