/**
 * Which outbound event, if any, a change in the workspace is: pure, used by the workspace
 * Durable Object (outbound-queue.ts records what this returns). Two sources feed it:
 * - every board frame the object sends (fanout.ts `onBoard`): issues and comments, whatever made
 *   them (a member, a webhook, a schedule's fire, an agent's MCP call);
 * - the task state machine's transitions (workspace.ts `apply`), for task.* events.
 * Skill proposals come straight from the route that stores them (triggers/outbound-emit.ts).
 */
import type { AttemptView, BoardEvent } from "@multica/shared";
import type { Effect } from "../workspace/task-machine";
import type { OutboundEventType } from "./outbound";

export interface OutboundChange {
  type: OutboundEventType;
  data: Record<string, unknown>;
}

/**
 * An issue, a comment, or nothing. `issue.changed` carries `changes` only for an edit (PATCH,
 * or a comment moving the issue to in progress); a creation is the one frame without `changes`
 * whose issue was never updated after it was made (`updatedAt === createdAt`: an assignment
 * later on stamps a newer `updatedAt`). Activity frames repeat what the issue frame says.
 */
export function boardOutboundEvent(event: BoardEvent): OutboundChange | null {
  switch (event.type) {
    case "issue.changed": {
      const created = event.changes === undefined && event.issue.createdAt !== undefined && event.issue.createdAt === event.issue.updatedAt;
      if (created) return { type: "issue.created", data: { issue: event.issue } };
      return { type: "issue.updated", data: { issue: event.issue, ...(event.changes ? { changes: event.changes } : {}) } };
    }
    case "comment.added":
      return { type: "comment.added", data: { issueId: event.issueId, comment: event.comment } };
    case "task.status":
    case "activity":
      // Task status comes from the state machine itself (taskOutboundEvent), with what it decided.
      return null;
  }
}

/**
 * The task event of one attempt's transition from `prev` to `next`, or null. An attempt that
 * ends but is followed by another (lost with attempts left: "retry"; a rate limit: "park") is
 * not the task failing, so it sends nothing; the next attempt's own events follow.
 */
export function taskOutboundEvent(prev: { status: string }, next: AttemptView, effects: readonly Effect[]): OutboundChange | null {
  if (prev.status === next.status) return null;
  const data = { task: next };
  switch (next.status) {
    case "running":
      return { type: "task.started", data };
    case "succeeded":
      return { type: "task.succeeded", data };
    case "cancelled":
      return { type: "task.cancelled", data };
    case "failed":
    case "lost":
      return effects.some((e) => e.type === "retry" || e.type === "park") ? null : { type: "task.failed", data };
    default:
      return null;
  }
}
