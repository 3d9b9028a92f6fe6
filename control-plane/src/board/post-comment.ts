/**
 * Posting a comment on an issue and asking agents to act on it: what the comments route and the
 * inbound webhooks (a GitHub comment mentioning an agent) share.
 *
 * A comment is a follow-up for the agent the issue is assigned to (unless that agent wrote it, or
 * the issue is in the backlog) and for every agent it @mentions (board/mentions.ts has the rule;
 * a mention asks even in the backlog, an agent never asks itself). Each enqueues a run of that
 * agent; comments posted while such a run still waits join it. A started run moves the issue to
 * in_progress.
 */
import type { Context } from "hono";
import { eq } from "drizzle-orm";
import { type AttemptView, newId } from "@multica/shared";
import { type createDb, schema } from "../db/client";
import type { AppEnv } from "../middleware/auth";
import { issuePrefix, issueView } from "../runs";
import { newActivity, runStarted, insertActivityOnce, type ActivityRow, type RunReason } from "./activity";
import { announce, startAgentRun } from "./agent-runs";
import { endOfColumn } from "./issue-rules";
import { findMentions, type NamedAgent } from "./mentions";

type Db = ReturnType<typeof createDb>;
type IssueRow = typeof schema.issues.$inferSelect;

export interface NewComment {
  issue: IssueRow;
  /** `user:<id>`, `agent:<id>` or `system`. */
  actor: string;
  body: string;
  parentId: string | null;
  /** The run an agent posts from: its result then needs no comment of its own. */
  taskId: string | null;
  /** The workspace's agents, for @mentions. */
  agents: readonly NamedAgent[];
}

/** Stores the comment with its activity, starts the runs it asks for and tells the boards. */
export async function postComment(c: Context<AppEnv>, db: Db, { issue, actor, body, parentId, taskId, agents }: NewComment) {
  const now = Date.now();
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
    const update = db.update(schema.issues).set({ status: "in_progress", updatedAt: now, ...(status.length > 0 ? { position: endOfColumn(issue.workspaceId, "in_progress") } : {}) })
      .where(eq(schema.issues.id, issue.id)).returning();
    const [[stored], ...inserted] = await db.batch([update, ...[...status, ...started].map((a) => insertActivityOnce(db, a))]);
    // A comment that joined a waiting follow-up got that run back: it was logged when it started.
    const fresh = new Set(inserted.flat().map((r) => r.id));
    activities.push(...[...status, ...started].filter((a) => fresh.has(a.id)));
    if (stored && status.length > 0) changed = issueView(stored, await issuePrefix(c.env, issue.workspaceId));
  }
  announce(c, { ...(changed ? { issue: changed, changes: { status: "in_progress" } } : {}), comment, activities }, issue.workspaceId);
  const task: AttemptView | null = runs.find((r) => r.agentId === issue.assigneeAgentId)?.task ?? null;
  return { comment, task, runs };
}
