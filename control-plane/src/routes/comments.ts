/**
 * /api/v1/workspaces/:workspaceId/issues/:issueId/comments — read and post comments, threaded
 * (`parentId`: a reply to another comment on the same issue). The author is who posts: a member
 * (`user:<id>`) or an agent through its run's token (`agent:<id>`).
 *
 * A comment is a follow-up for the agent the issue is assigned to (unless that agent wrote it, or
 * the issue is in the backlog) and for every agent it @mentions (board/mentions.ts has the rule;
 * a mention asks even in the backlog, an agent never asks itself). Each enqueues a run of that
 * agent, which resumes its earlier session when its runner still has it (workspace/follow-up.ts);
 * comments posted while such a run still waits join it. A started run moves the issue to
 * in_progress.
 */
import { Hono } from "hono";
import { and, asc, eq } from "drizzle-orm";
import { type AttemptView, CreateBoardCommentBody, newId } from "@multica/shared";
import { createDb, schema } from "../db/client";
import type { AppEnv } from "../middleware/auth";
import { issuePrefix, issueView } from "../runs";
import { actorOf, newActivity, runStarted, insertActivityOnce, type ActivityRow, type RunReason } from "../board/activity";
import { announce, startAgentRun } from "../board/agent-runs";
import { endOfColumn, requireIssue } from "../board/issue-rules";
import { findMentions } from "../board/mentions";
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
    const now = Date.now();
    // A comment an agent posts from its run is tied to that run: its result then needs no comment of its own.
    const taskId = p.kind === "agent" ? (p.scope?.taskId ?? null) : null;
    const comment = { id: newId("comment"), issueId: issue.id, author: actor, body, parentId, taskId, createdAt: now };
    const commented = newActivity(issue, actor, "commented", { commentId: comment.id, parentId }, now);
    await db.batch([db.insert(schema.comments).values(comment), db.insert(schema.activities).values(commented)]);

    // Who is asked to act on it: the assignee first, then the agents mentioned, never the author.
    const author = actor.startsWith("agent:") ? actor.slice("agent:".length) : null;
    const asked = new Map<string, RunReason>();
    if (issue.assigneeAgentId && issue.assigneeAgentId !== author && issue.status !== "backlog") asked.set(issue.assigneeAgentId, "follow_up");
    for (const id of findMentions(body, agents)) {
      if (id !== author && !asked.has(id)) asked.set(id, "mention");
    }
    const followUp = [{ author: comment.author, body, createdAt: comment.createdAt }];
    const runs = await Promise.all([...asked].map(async ([agentId, reason]) => ({ agentId, reason, task: await startAgentRun(c.env, issue, agentId, { followUp }) })));

    const activities: ActivityRow[] = [commented];
    let changed: ReturnType<typeof issueView> | null = null;
    if (runs.length > 0) {
      const started = runs.map((r) => runStarted(issue, actor, { taskId: r.task.taskId, agentId: r.agentId, reason: r.reason }, now));
      const status = issue.status === "in_progress" ? [] : [newActivity(issue, actor, "status_changed", { from: issue.status, to: "in_progress" }, now)];
      const update = db.update(schema.issues).set({ status: "in_progress", updatedAt: now, ...(status.length > 0 ? { position: endOfColumn(p.workspaceId, "in_progress") } : {}) })
        .where(eq(schema.issues.id, issue.id)).returning();
      const [[stored], ...inserted] = await db.batch([update, ...[...status, ...started].map((a) => insertActivityOnce(db, a))]);
      // A comment that joined a waiting follow-up got that run back: it was logged when it started.
      const fresh = new Set(inserted.flat().map((r) => r.id));
      activities.push(...[...status, ...started].filter((a) => fresh.has(a.id)));
      if (stored && status.length > 0) changed = issueView(stored, await issuePrefix(c.env, p.workspaceId));
    }
    announce(c, { ...(changed ? { issue: changed, changes: { status: "in_progress" } } : {}), comment, activities });
    const task: AttemptView | null = runs.find((r) => r.agentId === issue.assigneeAgentId)?.task ?? null;
    return c.json({ comment, task, runs }, 201);
  });
