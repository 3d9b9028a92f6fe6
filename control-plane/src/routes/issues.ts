/**
 * /api/v1/workspaces/:workspaceId/issues — create, list and read issues; assign one to an agent,
 * which enqueues a task in the workspace Durable Object (pushed to a runner at once if one fits).
 * Issues get a per-workspace number; the API shows their key (`MUL-7`).
 */
import { Hono } from "hono";
import { and, asc, desc, eq, sql } from "drizzle-orm";
import { AssignIssueBody, CreateIssueBody, newId } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import type { AppEnv } from "../middleware/auth";
import { issuePrefix, issueView, loadRunContext, startRun } from "../runs";
import { validate } from "../validation";

export const issueRoutes = new Hono<AppEnv>()
  .post("/", validate("json", CreateIssueBody), async (c) => {
    const { title, body, repository } = c.req.valid("json");
    const p = c.get("principal");
    const now = Date.now();
    // The number is taken inside the INSERT: one statement, so two creates never share one.
    const nextNumber = sql<number>`(SELECT coalesce(max(${schema.issues.number}), 0) + 1 FROM ${schema.issues} WHERE ${schema.issues.workspaceId} = ${p.workspaceId})`;
    const [issue] = await createDb(c.env.DB)
      .insert(schema.issues)
      .values({
        id: newId("issue"), workspaceId: p.workspaceId, number: nextNumber, title, body, status: "todo", assigneeAgentId: null,
        repository: repository?.source ?? null, baseRef: repository?.baseRef ?? null, createdBy: `user:${p.userId}`, createdAt: now, updatedAt: now,
      })
      .returning();
    if (!issue) throw new ApiError(500, "internal", "the issue was not stored");
    return c.json({ issue: issueView(issue, await issuePrefix(c.env, p.workspaceId)) }, 201);
  })
  .get("/", async (c) => {
    const workspaceId = c.get("principal").workspaceId;
    const [prefix, issues] = await Promise.all([
      issuePrefix(c.env, workspaceId),
      createDb(c.env.DB).select().from(schema.issues).where(eq(schema.issues.workspaceId, workspaceId)).orderBy(desc(schema.issues.createdAt)).limit(500),
    ]);
    return c.json({ issues: issues.map((i) => issueView(i, prefix)) });
  })
  .get("/:issueId", async (c) => {
    const db = createDb(c.env.DB);
    const id = c.req.param("issueId");
    const workspaceId = c.get("principal").workspaceId;
    const [issue] = await db.select().from(schema.issues).where(and(eq(schema.issues.id, id), eq(schema.issues.workspaceId, workspaceId)));
    if (!issue) throw ApiError.notFound("issue", id);
    const [prefix, comments, tasks] = await Promise.all([
      issuePrefix(c.env, workspaceId),
      db.select().from(schema.comments).where(eq(schema.comments.issueId, id)).orderBy(asc(schema.comments.createdAt)),
      db.select().from(schema.tasks).where(eq(schema.tasks.issueId, id)).orderBy(asc(schema.tasks.queuedAt), asc(schema.tasks.attempt)),
    ]);
    return c.json({ issue: issueView(issue, prefix), comments, tasks });
  })
  .post("/:issueId/assign", validate("json", AssignIssueBody), async (c) => {
    const { agentId, maxAttempts } = c.req.valid("json");
    const workspaceId = c.get("principal").workspaceId;
    const run = await loadRunContext(c.env, workspaceId, c.req.param("issueId"), agentId);
    const { agent } = run;
    if (!agent) throw ApiError.notFound("agent", agentId);
    // The issue's new status and the enqueue are independent: do both at once.
    const [task] = await Promise.all([
      startRun(c.env, workspaceId, { ...run, agent }, { maxAttempts }),
      createDb(c.env.DB).update(schema.issues).set({ assigneeAgentId: agent.id, status: "in_progress", updatedAt: Date.now() }).where(eq(schema.issues.id, run.issue.id)),
    ]);
    return c.json({ task }, 201);
  });
