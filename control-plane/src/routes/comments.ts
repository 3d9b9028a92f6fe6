/**
 * /api/v1/workspaces/:workspaceId/issues/:issueId/comments — read and post comments, threaded
 * (`parentId`: a reply to another comment on the same issue). The author is who posts: a member
 * (`user:<id>`) or an agent through its run's token (`agent:<id>`).
 *
 * A comment is a follow-up for the assignee and every agent it @mentions (board/post-comment.ts
 * has the rules); each run resumes the agent's earlier session when its runner still has it
 * (workspace/follow-up.ts).
 */
import { Hono } from "hono";
import { and, asc, eq } from "drizzle-orm";
import { CreateBoardCommentBody } from "@multica/shared";
import { createDb, schema } from "../db/client";
import type { AppEnv } from "../middleware/auth";
import { actorOf } from "../board/activity";
import { requireIssue } from "../board/issue-rules";
import { postComment } from "../board/post-comment";
import { missingRef, validateFields } from "../board/validate-fields";

export const commentRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const db = createDb(c.env.DB);
    const issue = await requireIssue(db, c.get("principal").workspaceId, c.req.param("issueId") ?? "");
    const comments = await db.select().from(schema.comments).where(eq(schema.comments.issueId, issue.id)).orderBy(asc(schema.comments.createdAt));
    return c.json({ comments });
  })
  .post("/", validateFields("json", CreateBoardCommentBody), async (c) => {
    const { body, parentId } = c.req.valid("json");
    const p = c.get("principal");
    const db = createDb(c.env.DB);
    const [issue, actor, agents, parent] = await Promise.all([
      requireIssue(db, p.workspaceId, c.req.param("issueId") ?? ""),
      actorOf(db, p),
      db.select({ id: schema.agents.id, name: schema.agents.name }).from(schema.agents).where(eq(schema.agents.workspaceId, p.workspaceId)),
      parentId ? db.select({ id: schema.comments.id }).from(schema.comments).where(and(eq(schema.comments.id, parentId), eq(schema.comments.issueId, c.req.param("issueId") ?? ""))) : [],
    ]);
    if (parentId && parent.length === 0) throw missingRef("parentId", "comment on this issue", parentId);
    // A comment an agent posts from its run is tied to that run: its result then needs no comment of its own.
    const taskId = p.kind === "agent" ? (p.scope?.taskId ?? null) : null;
    const { comment, task, runs } = await postComment(c, db, { issue, actor, body, parentId, taskId, agents });
    return c.json({ comment, task, runs }, 201);
  });
