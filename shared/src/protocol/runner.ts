/**
 * Messages a runner sends to its workspace over the runner WebSocket. Tagged on `type`.
 * The control plane parses every frame with `parseRunnerMessage` before acting on it.
 */
import { z } from "zod";
import { SequencedEvent } from "../events";
import { RunnerId, TaskId } from "../ids";
import { ExitInfo, Failure, ReportStatus, RuntimeInfo, Usage } from "../tasks";
import { MAX_EVENTS_PER_FRAME, MAX_HELD_ATTEMPTS } from "./version";

const AttemptRef = z.object({ taskId: TaskId, attempt: z.number().int().positive() });
export type AttemptRef = z.infer<typeof AttemptRef>;

/** First frame after connecting: who the runner is and what it can run. */
export const RunnerHello = z.object({
  type: z.literal("hello"),
  protocol: z.number().int(),
  runnerId: RunnerId,
  name: z.string().min(1).max(100),
  version: z.string().max(50),
  concurrency: z.number().int().min(1).max(64),
  runtimes: z.array(RuntimeInfo).max(50),
  /**
   * Attempts this runner still holds: running, or finished with a report not yet acknowledged.
   * Held attempts missing here are taken as never started (requeued) or lost (retried).
   */
  active: z.array(AttemptRef).max(MAX_HELD_ATTEMPTS),
});

/** A batch of transcript events for one attempt, in seq order. */
export const RunnerTaskEvents = z.object({
  type: z.literal("task.events"),
  taskId: TaskId,
  attempt: z.number().int().positive(),
  events: z.array(SequencedEvent).min(1).max(MAX_EVENTS_PER_FRAME),
});

/** The final word on an attempt. Sent after all its events; resent until acknowledged. */
export const RunnerTaskReport = z.object({
  type: z.literal("task.report"),
  taskId: TaskId,
  attempt: z.number().int().positive(),
  status: ReportStatus,
  /** Seq of the last event of this attempt (0 if none): the control plane checks it has them all. */
  lastSeq: z.number().int().nonnegative(),
  exit: ExitInfo,
  sessionId: z.string().max(200).nullable(),
  usage: Usage.nullable(),
  /** Why the attempt did not succeed; null when it did. Absent from older runners. */
  failure: Failure.nullable().optional(),
});

/** Marks that the agent process is up (queued → dispatched → running). */
export const RunnerTaskStarted = z.object({
  type: z.literal("task.started"),
  taskId: TaskId,
  attempt: z.number().int().positive(),
});

/** Renews the leases of the listed attempts. */
export const RunnerHeartbeat = z.object({
  type: z.literal("heartbeat"),
  active: z.array(AttemptRef).max(MAX_HELD_ATTEMPTS),
});

/** Asks for one queued task explicitly; answered by `claim.result` (and `task.assign` on success). */
export const RunnerTaskClaim = z.object({
  type: z.literal("task.claim"),
  taskId: TaskId,
});

export const RunnerMessage = z.discriminatedUnion("type", [
  RunnerHello,
  RunnerTaskEvents,
  RunnerTaskReport,
  RunnerTaskStarted,
  RunnerHeartbeat,
  RunnerTaskClaim,
]);
export type RunnerMessage = z.infer<typeof RunnerMessage>;
export type RunnerHello = z.infer<typeof RunnerHello>;
export type RunnerTaskEvents = z.infer<typeof RunnerTaskEvents>;
export type RunnerTaskReport = z.infer<typeof RunnerTaskReport>;

export { RunnerId };
