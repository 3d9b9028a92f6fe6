/**
 * The workspace's live feed: what a board (browser, CLI) connected to
 * `GET /api/v1/workspaces/:ws/live` receives, so it updates without reloading. Every task status
 * change, and every issue, comment and activity change the API makes, is pushed as it happens.
 * Frames carry the changed record whole, so a client can apply them without a refetch.
 */
import { z } from "zod";
import { AttemptView } from "./viewer";

export const BoardHello = z.object({ type: z.literal("board.hello"), workspaceId: z.string(), at: z.number() });

/** An attempt changed status (queued, dispatched, running, ended, parked…). */
export const BoardTaskStatus = z.object({ type: z.literal("task.status"), attempt: AttemptView });

/** An issue was created or changed; `issue` is its API view. */
export const BoardIssueChanged = z.object({
  type: z.literal("issue.changed"),
  issueId: z.string(),
  issue: z.record(z.string(), z.unknown()),
  /** What changed, when known: field → new value. */
  changes: z.record(z.string(), z.unknown()).optional(),
});

export const BoardCommentAdded = z.object({
  type: z.literal("comment.added"),
  issueId: z.string(),
  comment: z.record(z.string(), z.unknown()),
});

export const BoardActivity = z.object({
  type: z.literal("activity"),
  issueId: z.string(),
  activity: z.record(z.string(), z.unknown()),
});

/** What the API publishes through the Durable Object (everything but the hello). */
export const BoardEvent = z.discriminatedUnion("type", [BoardTaskStatus, BoardIssueChanged, BoardCommentAdded, BoardActivity]);
export type BoardEvent = z.infer<typeof BoardEvent>;

export const BoardMessage = z.discriminatedUnion("type", [BoardHello, BoardTaskStatus, BoardIssueChanged, BoardCommentAdded, BoardActivity]);
export type BoardMessage = z.infer<typeof BoardMessage>;
