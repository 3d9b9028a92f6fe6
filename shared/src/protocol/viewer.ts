/**
 * Messages the control plane sends to viewers (browsers, CLI watchers) subscribed to one task's
 * live stream. A viewer connects with `?after=<seq>` per attempt semantics described below, gets
 * everything it missed, a `replay.done`, and then live frames. Viewers send nothing but pings.
 *
 * Resuming: events of an attempt can arrive after a later attempt's — a runner restarted on its
 * data directory delivers the rest of an attempt already declared lost. So the last event seen
 * is not a safe cursor: resume from the earliest attempt not ended by a report (succeeded,
 * failed, cancelled) at the last seq held of it, and drop repeats by (attempt, seq). The fault
 * suite's viewer does exactly this (bench/chaos/tracked-viewer.ts).
 */
import { z } from "zod";
import { AgentEvent } from "../events";
import { TaskId } from "../ids";
import { Failure, TaskStatus, Usage } from "../tasks";

/** One attempt of a task as viewers and the REST API see it. */
export const AttemptView = z.object({
  taskId: TaskId,
  attempt: z.number().int().positive(),
  issueId: z.string(),
  agentId: z.string(),
  runtime: z.string(),
  status: TaskStatus,
  runnerId: z.string().nullable(),
  queuedAt: z.number(),
  dispatchedAt: z.number().nullable(),
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  error: z.string().nullable(),
  /** Why it did not succeed, classified; null while it runs and when it succeeded. */
  failure: Failure.nullable(),
  /** A queued attempt parked until then (a rate limit); null when it may run now. */
  notBefore: z.number().nullable(),
  sessionId: z.string().nullable(),
  usage: Usage.nullable(),
  /** Highest transcript seq stored for this attempt. */
  lastSeq: z.number().int().nonnegative(),
  cancelRequested: z.boolean(),
});
export type AttemptView = z.infer<typeof AttemptView>;

export const ViewerSnapshot = z.object({
  type: z.literal("task.snapshot"),
  taskId: TaskId,
  attempts: z.array(AttemptView),
});

export const ViewerEvent = z.object({
  type: z.literal("task.event"),
  taskId: TaskId,
  attempt: z.number().int().positive(),
  seq: z.number().int().positive(),
  ts: z.number(),
  event: AgentEvent,
});

export const ViewerStatus = z.object({
  type: z.literal("task.status"),
  attempt: AttemptView,
});

/** Replay of stored events is complete; what follows is live. */
export const ViewerReplayDone = z.object({
  type: z.literal("replay.done"),
  taskId: TaskId,
  replayed: z.number().int().nonnegative(),
});

export const ViewerMessage = z.discriminatedUnion("type", [
  ViewerSnapshot,
  ViewerEvent,
  ViewerStatus,
  ViewerReplayDone,
]);
export type ViewerMessage = z.infer<typeof ViewerMessage>;
export type ViewerEvent = z.infer<typeof ViewerEvent>;
