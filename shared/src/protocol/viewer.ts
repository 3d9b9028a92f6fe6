/**
 * Messages the control plane sends to viewers (browsers, CLI watchers) subscribed to one task's
 * live stream, and the resume cursor viewers send back. A viewer connects, gets everything it
 * does not hold, a `replay.done`, and then live frames. Viewers send nothing but pings.
 *
 * Resuming: pass `?cursor=1:45,2:10` ("I hold attempt 1 up to seq 45, attempt 2 up to seq 10").
 * The replay sends, for every attempt of the task, the events after the seq held of it (from the
 * start for attempts not listed), in (attempt, seq) order. One position ("the last event I saw")
 * is not enough: events of an attempt can arrive after a later attempt's — a runner restarted on
 * its data directory delivers the rest of an attempt already declared lost (docs/performance.md,
 * "What it found"). The older `?attempt=N&after=SEQ` still works (attempt N after SEQ, and every
 * later attempt whole) but misses such late events; receivers drop repeats by (attempt, seq).
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

/** Attempts a resume cursor may list: far more than any task is retried (a bound on the URL, not a policy). */
export const MAX_CURSOR_ATTEMPTS = 100;

/** The last seq a viewer holds of each attempt; attempts absent hold nothing. */
export type HeldSeqs = ReadonlyMap<number, number>;

const CURSOR_PART = /^([1-9]\d{0,8}):(\d{1,12})$/;

/**
 * Parses a resume cursor (`1:45,2:10`; empty means "nothing held"); null when it is malformed,
 * lists an attempt twice or more than MAX_CURSOR_ATTEMPTS attempts. Never throws.
 */
export function parseViewerCursor(raw: string): HeldSeqs | null {
  const held = new Map<number, number>();
  if (raw === "") return held;
  const parts = raw.split(",");
  if (parts.length > MAX_CURSOR_ATTEMPTS) return null;
  for (const part of parts) {
    const m = CURSOR_PART.exec(part);
    if (!m) return null;
    const attempt = Number(m[1]);
    const seq = Number(m[2]);
    if (held.has(attempt) || !Number.isSafeInteger(seq)) return null;
    held.set(attempt, seq);
  }
  return held;
}

/** Formats what a viewer holds as a resume cursor, attempts in order; attempts holding seq 0 are left out. */
export function formatViewerCursor(held: HeldSeqs): string {
  return [...held]
    .filter(([, seq]) => seq > 0)
    .sort(([a], [b]) => a - b)
    .map(([attempt, seq]) => `${attempt}:${seq}`)
    .join(",");
}

/** The `cursor` query parameter, validated at the edge: a clear message instead of a silent full replay. */
export const ViewerCursorParam = z
  .string()
  .max(MAX_CURSOR_ATTEMPTS * 24)
  .transform((raw, ctx) => {
    const held = parseViewerCursor(raw);
    if (held === null) {
      ctx.addIssue({ code: "custom", message: `expected attempt:seq pairs separated by commas (e.g. 1:45,2:10), each attempt once, at most ${MAX_CURSOR_ATTEMPTS}` });
      return z.NEVER;
    }
    return held;
  });
