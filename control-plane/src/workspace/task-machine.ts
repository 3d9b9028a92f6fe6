/**
 * The attempt state machine, pure: `transition(state, event)` returns the next state and the
 * effects the Durable Object must carry out (send a frame, queue a retry, post the result).
 * No I/O and no clock: time comes in on the event. Unit-tested in task-machine.test.ts.
 *
 *   queued ──dispatch/claim──▶ dispatched ──started──▶ running ──report──▶ succeeded | failed | cancelled | lost
 *     │                          │   ▲                    │
 *     └──cancel──▶ cancelled     │   └─ runner_absent ◀──┘ (never started: back to queued)
 *                                └──── lease_expired ────▶ lost (+ retry while attempts remain)
 *
 * A `failed` report whose failure is a `rate_limit` parks the task instead: attempt + 1 is queued
 * with `notBefore` (the provider's reset time) and does not count against `maxAttempts`.
 */
import type { AttemptView, ExitInfo, Failure, ReportStatus, TaskStatus, Usage } from "@multica/shared";
import { isTerminal } from "@multica/shared";

export interface AttemptState {
  taskId: string;
  attempt: number;
  issueId: string;
  agentId: string;
  /** Runtime keys the agent accepts, most preferred first. */
  runtimes: string[];
  /** Runtime chosen at dispatch. */
  runtime: string | null;
  status: TaskStatus;
  runnerId: string | null;
  leaseExpiresAt: number | null;
  queuedAt: number;
  dispatchedAt: number | null;
  startedAt: number | null;
  endedAt: number | null;
  exitCode: number | null;
  signal: string | null;
  error: string | null;
  sessionId: string | null;
  usage: Usage | null;
  lastSeq: number;
  cancelRequested: boolean;
  maxAttempts: number;
  /** Why it did not succeed; null while it runs and on success. */
  failure: Failure | null;
  /** A queued attempt is not dispatched before this time (parked after a rate limit). */
  notBefore: number | null;
  /** How many earlier attempts of this task were parked by rate limits. */
  parks: number;
}

/** Parks per task before a rate limit counts as a failure (a provider that never resets). */
export const MAX_PARKS = 20;
/** Park time when the CLI reported a rate limit without saying when it resets. */
export const DEFAULT_PARK_MS = 5 * 60_000;
/** Longest park: a reset time further out is not believed. */
const MAX_PARK_MS = 24 * 3600_000;

export type TaskEvent =
  | { type: "dispatch"; runnerId: string; runtime: string; now: number; leaseMs: number }
  | { type: "started"; runnerId: string; now: number; leaseMs: number }
  | { type: "renew"; runnerId: string; now: number; leaseMs: number }
  | {
      type: "report";
      runnerId: string;
      status: ReportStatus;
      exit: ExitInfo;
      sessionId: string | null;
      usage: Usage | null;
      /** Absent from older runners: derived from the status. */
      failure?: Failure | null;
      now: number;
    }
  | { type: "cancel"; now: number }
  | { type: "lease_expired"; now: number }
  | { type: "runner_absent"; runnerId: string; now: number };

export type Effect =
  | { type: "send_assign"; runnerId: string }
  | { type: "send_cancel"; runnerId: string; reason: string }
  /** Queue attempt + 1 of the same task. */
  | { type: "retry" }
  /** Queue attempt + 1, not before `until`, without using up an attempt (rate limit). */
  | { type: "park"; until: number }
  /** The attempt reached a terminal status: mirror it and post the result. */
  | { type: "ended" };

export type TransitionResult =
  | { ok: true; state: AttemptState; effects: Effect[] }
  | { ok: false; reason: string };

const held = (s: AttemptState) => s.status === "dispatched" || s.status === "running";
const reject = (reason: string): TransitionResult => ({ ok: false, reason });

/** The failure class of an ending that did not say (older runners, the control plane's own). */
function defaultFailure(status: TaskStatus, error: string | null): Failure | null {
  const message = error ?? status;
  if (status === "lost") return { kind: "runner_lost", message, retryAt: null };
  if (status === "cancelled") return { kind: "cancelled", message, retryAt: null };
  if (status === "failed") return { kind: "agent_error", message, retryAt: null };
  return null;
}

function end(s: AttemptState, status: TaskStatus, now: number, error: string | null, extra: Effect[] = [], failure?: Failure | null) {
  const f = status === "succeeded" ? null : status === "cancelled" ? defaultFailure(status, error) : (failure ?? defaultFailure(status, error));
  const state: AttemptState = { ...s, status, endedAt: now, leaseExpiresAt: null, error, failure: f };
  const effects: Effect[] = [...extra, { type: "ended" }];
  if (!s.cancelRequested && status === "failed" && f?.kind === "rate_limit" && (s.parks ?? 0) < MAX_PARKS) {
    const wanted = f.retryAt ?? now + DEFAULT_PARK_MS;
    effects.push({ type: "park", until: Math.min(Math.max(wanted, now + 1000), now + MAX_PARK_MS) });
  } else if (status === "lost" && !s.cancelRequested && s.attempt < s.maxAttempts) {
    effects.push({ type: "retry" });
  }
  return { ok: true as const, state, effects };
}

/** Whether an ended attempt was followed by a parked one (see `end`). */
export function wasParked(s: AttemptState): boolean {
  return s.status === "failed" && s.failure?.kind === "rate_limit" && !s.cancelRequested && (s.parks ?? 0) < MAX_PARKS;
}

/** Applies one event to one attempt. Rejections leave the state untouched and explain why. */
export function transition(s: AttemptState, e: TaskEvent): TransitionResult {
  switch (e.type) {
    case "dispatch":
      if (s.status !== "queued") return reject(`task is ${s.status}, not queued`);
      if (s.cancelRequested) return reject("task is being cancelled");
      if ((s.notBefore ?? 0) > e.now) return reject(`task is parked until ${new Date(s.notBefore ?? 0).toISOString()}`);
      return {
        ok: true,
        state: {
          ...s,
          notBefore: null,
          status: "dispatched",
          runnerId: e.runnerId,
          runtime: e.runtime,
          dispatchedAt: e.now,
          leaseExpiresAt: e.now + e.leaseMs,
        },
        effects: [{ type: "send_assign", runnerId: e.runnerId }],
      };

    case "started":
      if (!held(s) || s.runnerId !== e.runnerId) return reject("this runner does not hold the attempt");
      return {
        ok: true,
        state: { ...s, status: "running", startedAt: s.startedAt ?? e.now, leaseExpiresAt: e.now + e.leaseMs },
        effects: [],
      };

    case "renew":
      if (!held(s) || s.runnerId !== e.runnerId) return reject("this runner does not hold the attempt");
      return { ok: true, state: { ...s, leaseExpiresAt: e.now + e.leaseMs }, effects: [] };

    case "report": {
      if (s.runnerId !== e.runnerId) return reject("this runner does not hold the attempt");
      // A repeated or late report (the attempt already ended, e.g. lease expiry) changes nothing.
      if (isTerminal(s.status)) return { ok: true, state: s, effects: [] };
      const status: TaskStatus = s.cancelRequested && e.status === "lost" ? "cancelled" : e.status;
      const ended = end(s, status, e.now, e.exit.error, [], e.failure);
      ended.state = {
        ...ended.state,
        exitCode: e.exit.exitCode,
        signal: e.exit.signal,
        sessionId: e.sessionId ?? s.sessionId,
        usage: e.usage ?? s.usage,
        startedAt: s.startedAt ?? s.dispatchedAt,
      };
      return ended;
    }

    case "cancel":
      if (isTerminal(s.status)) return reject(`task already ${s.status}`);
      if (s.status === "queued") return end({ ...s, cancelRequested: true }, "cancelled", e.now, "cancelled before it started");
      if (s.cancelRequested) return { ok: true, state: s, effects: [] };
      return {
        ok: true,
        state: { ...s, cancelRequested: true },
        effects: [{ type: "send_cancel", runnerId: s.runnerId ?? "", reason: "cancelled by a member" }],
      };

    case "lease_expired": {
      if (!held(s)) return reject(`task is ${s.status}, it holds no lease`);
      if (s.leaseExpiresAt !== null && s.leaseExpiresAt > e.now) return reject("lease has not expired");
      // Tell the runner, in case it is alive but cut off: it must not keep working on a lost attempt.
      const stop: Effect[] = s.runnerId ? [{ type: "send_cancel", runnerId: s.runnerId, reason: "lease expired" }] : [];
      if (s.cancelRequested) return end(s, "cancelled", e.now, "cancelled; the runner did not confirm in time", stop);
      return end(s, "lost", e.now, "runner stopped renewing its lease", stop);
    }

    case "runner_absent":
      if (!held(s) || s.runnerId !== e.runnerId) return reject("this runner does not hold the attempt");
      if (s.status === "dispatched") {
        // The runner never started it (the assign frame was lost with the old connection): same attempt again.
        return {
          ok: true,
          state: { ...s, status: "queued", runnerId: null, runtime: null, dispatchedAt: null, leaseExpiresAt: null },
          effects: [],
        };
      }
      if (s.cancelRequested) return end(s, "cancelled", e.now, "cancelled; the runner restarted");
      return end(s, "lost", e.now, "runner reconnected without the attempt (it restarted)");
  }
}

/** The first attempt of a new task, or the next attempt after `prev` was lost. */
export function newAttempt(
  base: Pick<AttemptState, "taskId" | "issueId" | "agentId" | "runtimes" | "maxAttempts"> & Partial<Pick<AttemptState, "parks">>,
  attempt: number,
  now: number,
  notBefore: number | null = null,
): AttemptState {
  return {
    taskId: base.taskId,
    issueId: base.issueId,
    agentId: base.agentId,
    runtimes: base.runtimes,
    maxAttempts: base.maxAttempts,
    parks: base.parks ?? 0,
    notBefore,
    failure: null,
    attempt,
    runtime: null,
    status: "queued",
    runnerId: null,
    leaseExpiresAt: null,
    queuedAt: now,
    dispatchedAt: null,
    startedAt: null,
    endedAt: null,
    exitCode: null,
    signal: null,
    error: null,
    sessionId: null,
    usage: null,
    lastSeq: 0,
    cancelRequested: false,
  };
}

/** The public view of an attempt (REST and viewer frames): no lease internals. */
export function toAttemptView(s: AttemptState): AttemptView {
  return {
    taskId: s.taskId,
    attempt: s.attempt,
    issueId: s.issueId,
    agentId: s.agentId,
    runtime: s.runtime ?? s.runtimes[0] ?? "",
    status: s.status,
    runnerId: s.runnerId,
    queuedAt: s.queuedAt,
    dispatchedAt: s.dispatchedAt,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    exitCode: s.exitCode,
    signal: s.signal,
    error: s.error,
    failure: s.failure ?? null,
    notBefore: s.notBefore ?? null,
    sessionId: s.sessionId,
    usage: s.usage,
    lastSeq: s.lastSeq,
    cancelRequested: s.cancelRequested,
  };
}
