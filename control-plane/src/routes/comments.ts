/**
 * /api/v1/workspaces/:workspaceId/issues/:issueId/comments — read and post comments. A member's
 * comment on an issue assigned to an agent is a follow-up: it enqueues a run of that agent, which
 * resumes the agent's earlier session when its runner still has it (see workspace/follow-up.ts).
 * Comments posted while such a run still waits join it.
 */
import { Hono } from "hono";
import { and, asc, eq } from "drizzle-orm";
import { CreateCommentBody, newId } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import type { AppEnv } from "../middleware/auth";
import { loadRunContext, startRun } from "../runs";
import { validate } from "../validation";

async function findIssue(c: { env: AppEnv["Bindings"]; req: { param(name: string): string | undefined } }, workspaceId: string) {
  const id = c.req.param("issueId") ?? "";
  const [issue] = await createDb(c.env.DB).select().from(schema.issues).where(and(eq(schema.issues.id, id), eq(schema.issues.workspaceId, workspaceId)));
  if (!issue) throw ApiError.notFound("issue", id);
  return issue;
}

export const commentRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const issue = await findIssue(c, c.get("principal").workspaceId);
    const comments = await createDb(c.env.DB).select().from(schema.comments).where(eq(schema.comments.issueId, issue.id)).orderBy(asc(schema.comments.createdAt));
    return c.json({ comments });
  })
  .post("/", validate("json", CreateCommentBody), async (c) => {
    const { body } = c.req.valid("json");
    const p = c.get("principal");
    const issue = await findIssue(c, p.workspaceId);
    const db = createDb(c.env.DB);
    const comment = { id: newId("comment"), issueId: issue.id, author: `user:${p.userId}`, body, taskId: null, createdAt: Date.now() };
    await db.insert(schema.comments).values(comment);
    if (!issue.assigneeAgentId) return c.json({ comment, task: null }, 201);
    const run = await loadRunContext(c.env, p.workspaceId, issue.id, issue.assigneeAgentId);
    const { agent } = run;
    // The assignee was deleted: the comment stands, nobody is asked to act on it.
    if (!agent) return c.json({ comment, task: null }, 201);
    const [task] = await Promise.all([
      startRun(c.env, p.workspaceId, { ...run, agent }, { followUp: [{ author: comment.author, body, createdAt: comment.createdAt }] }),
      db.update(schema.issues).set({ status: "in_progress", updatedAt: Date.now() }).where(eq(schema.issues.id, issue.id)),
    ]);
    return c.json({ comment, task }, 201);
  });
