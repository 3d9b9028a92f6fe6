/**
 * Starting an agent's run from a board change (an assignment, an issue leaving the backlog, a
 * comment or a mention), and telling the workspace's boards what changed. The run sees the issue
 * as the change leaves it. Used by routes/issues.ts and routes/comments.ts.
 */
import type { AttemptView, BoardEvent } from "@multica/shared";
import type { Context } from "hono";
import type { schema } from "../db/client";
import type { Env } from "../env";
import { ApiError } from "../errors";
import { publish } from "../live";
import type { AppEnv } from "../middleware/auth";
import { loadRunContext, type RunOptions, startRun } from "../runs";
import { activityView, type ActivityRow } from "./activity";

type IssueRow = typeof schema.issues.$inferSelect;

/** Enqueues a run of `agentId` on `issue` (its state after the change being made). */
export async function startAgentRun(env: Env, issue: IssueRow, agentId: string, opts: RunOptions = {}): Promise<AttemptView> {
  const run = await loadRunContext(env, issue.workspaceId, issue.id, agentId);
  // Checked before the change; deleted since.
  if (!run.agent) throw ApiError.notFound("agent", agentId);
  return startRun(env, issue.workspaceId, { ...run, issue, agent: run.agent }, opts);
}

/**
 * Pushes a change to the workspace's boards: the issue (when it changed), a comment, the activity
 * rows. `workspaceId` defaults to the caller's (routes without a principal, like webhooks, pass it).
 */
export function announce(c: Context<AppEnv>, change: BoardChange, workspaceId?: string): void {
  for (const e of boardEvents(change)) publish(c, e, workspaceId);
}

/** One change to the board: the issue (when it changed), a comment, the activity rows. */
export interface BoardChange {
  issue?: Record<string, unknown> & { id: string };
  changes?: Record<string, unknown>;
  comment?: Record<string, unknown> & { issueId: string };
  activities: ActivityRow[];
}

/** The live-feed events of a change, in the order boards apply them. */
export function boardEvents(change: BoardChange): BoardEvent[] {
  const events: BoardEvent[] = [];
  if (change.issue) events.push({ type: "issue.changed", issueId: change.issue.id, issue: change.issue, ...(change.changes ? { changes: change.changes } : {}) });
  if (change.comment) events.push({ type: "comment.added", issueId: change.comment.issueId, comment: change.comment });
  for (const a of change.activities) events.push({ type: "activity", issueId: a.issueId, activity: activityView(a) });
  return events;
}
