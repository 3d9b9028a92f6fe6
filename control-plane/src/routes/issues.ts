/**
 * /api/v1/workspaces/:workspaceId/issues — create, list and read issues; assign one to an agent,
 * which enqueues a task in the workspace Durable Object (pushed to a runner at once if one fits).
 */
import { Hono } from "hono";
import { and, asc, desc, eq } from "drizzle-orm";
import { AssignIssueBody, CreateIssueBody, newId } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { readConfig } from "../env";
import { ApiError } from "../errors";
import type { AppEnv } from "../middleware/auth";
import { validate } from "../validation";
import { workspaceStub } from "../workspace/stub";

function buildPrompt(issue: { title: string; body: string }, instructions: string): string {
  const parts = [`# ${issue.title}`, issue.body.trim()];
  if (instructions.trim()) parts.push("---", instructions.trim());
  return parts.filter(Boolean).join("\n\n");
}

export const issueRoutes = new Hono<AppEnv>()
  .post("/", validate("json", CreateIssueBody), async (c) => {
    const body = c.req.valid("json");
    const p = c.get("principal");
    const now = Date.now();
    const issue = { id: newId("issue"), workspaceId: p.workspaceId, ...body, status: "open" as const, assigneeAgentId: null, createdBy: `user:${p.userId}`, createdAt: now, updatedAt: now };
    await createDb(c.env.DB).insert(schema.issues).values(issue);
    return c.json({ issue }, 201);
  })
  .get("/", async (c) => {
    const issues = await createDb(c.env.DB)
      .select()
      .from(schema.issues)
      .where(eq(schema.issues.workspaceId, c.get("principal").workspaceId))
      .orderBy(desc(schema.issues.createdAt))
      .limit(500);
    return c.json({ issues });
  })
  .get("/:issueId", async (c) => {
    const db = createDb(c.env.DB);
    const id = c.req.param("issueId");
    const [issue] = await db.select().from(schema.issues).where(and(eq(schema.issues.id, id), eq(schema.issues.workspaceId, c.get("principal").workspaceId)));
    if (!issue) throw ApiError.notFound("issue", id);
    const [comments, tasks] = await Promise.all([
      db.select().from(schema.comments).where(eq(schema.comments.issueId, id)).orderBy(asc(schema.comments.createdAt)),
      db.select().from(schema.tasks).where(eq(schema.tasks.issueId, id)).orderBy(asc(schema.tasks.queuedAt), asc(schema.tasks.attempt)),
    ]);
    return c.json({ issue, comments, tasks });
  })
  .post("/:issueId/assign", validate("json", AssignIssueBody), async (c) => {
    const { agentId, maxAttempts } = c.req.valid("json");
    const workspaceId = c.get("principal").workspaceId;
    const issueId = c.req.param("issueId");
    const db = createDb(c.env.DB);
    const [[issue], [agent]] = await Promise.all([
      db.select().from(schema.issues).where(and(eq(schema.issues.id, issueId), eq(schema.issues.workspaceId, workspaceId))),
      db.select().from(schema.agents).where(and(eq(schema.agents.id, agentId), eq(schema.agents.workspaceId, workspaceId))),
    ]);
    if (!issue) throw ApiError.notFound("issue", issueId);
    if (!agent) throw ApiError.notFound("agent", agentId);

    // The issue's new status and the enqueue are independent: do both at once.
    const [task] = await Promise.all([
      workspaceStub(c.env, workspaceId).enqueue(workspaceId, {
        issueId: issue.id,
        agentId: agent.id,
        runtimes: agent.runtimes,
        maxAttempts: maxAttempts ?? readConfig(c.env).maxAttempts,
        payload: {
          issue: { id: issue.id, title: issue.title, body: issue.body },
          agent: { id: agent.id, name: agent.name, instructions: agent.instructions },
          prompt: buildPrompt(issue, agent.instructions),
          maxConcurrent: agent.maxConcurrentTasks,
        },
      }),
      db.update(schema.issues).set({ assigneeAgentId: agent.id, status: "in_progress", updatedAt: Date.now() }).where(eq(schema.issues.id, issue.id)),
    ]);
    return c.json({ task }, 201);
  });
