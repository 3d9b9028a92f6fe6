/**
 * What a cron trigger does when it wakes, pure: which run to start now (on time, or one catch-up after
 * the control plane was down), when to wake next, and when repeated failures pause the schedule.
 * No I/O and no clock: `now` comes in. Built on cron.ts; unit-tested in schedule-policy.test.ts.
 *
 * Missed-run policies:
 * - `skip`: fires missed while down are dropped; the schedule resumes at the next fire after now.
 * - `catch_up_once`: if at least one fire was missed, one run starts now (however many were missed),
 *   then the schedule resumes at the next fire after now.
 * A fire within `graceMs` of now is not missed but on time (an alarm always wakes a little late), and
 * runs under either policy; it also stands in for the catch-up, so a wake-up starts at most one run.
 * Failures: a success resets the count, a failure adds one, and at the limit the schedule pauses with
 * a reason; resuming it (the caller's job) starts the count from zero.
 */
import { nextFire, type CronSchedule } from "./cron";

export type MissedRunPolicy = "skip" | "catch_up_once";

/** How long after its fire time a run still counts as on time. */
export const DEFAULT_GRACE_MS = 60_000;
/** Missed fires are counted up to this many (the count is for the activity log, not a queue). */
export const MISSED_COUNT_LIMIT = 100;
/** Consecutive failed runs after which a schedule pauses, unless configured otherwise. */
export const DEFAULT_MAX_CONSECUTIVE_FAILURES = 5;

export interface PlanInput {
  expr: string | CronSchedule;
  tz: string;
  /** Fire time of the last run, or when the schedule was created or resumed if it never ran. */
  lastFireAt: number;
  now: number;
  policy: MissedRunPolicy;
  graceMs?: number;
}

export interface RunPlan {
  /** The run to start now and the fire time it stands for (a catch-up: the first missed); `null` if none. */
  run: { scheduledFor: number; kind: "on_time" | "catch_up" } | null;
  /** Fires missed (due before now − grace), counted up to MISSED_COUNT_LIMIT. */
  missed: number;
  /** The first of them, or `null` when none was missed. */
  firstMissed: number | null;
  /** When to wake next: the first fire after now, or `null` if the expression never fires again. */
  nextFireAt: number | null;
  /** Store as the new `lastFireAt`: every fire at or before it has been run or dropped. */
  settledThrough: number;
}

/**
 * Decides what to run at `now` given the last fire time and the missed-run policy.
 * Throws `CronError` (from cron.ts) for a bad expression or time zone.
 */
export function planRuns(input: PlanInput): RunPlan {
  const { expr, tz, lastFireAt, now, policy, graceMs = DEFAULT_GRACE_MS } = input;
  const settledThrough = Math.max(lastFireAt, now);
  const nextFireAt = nextFire(expr, tz, settledThrough);
  const onTimeFrom = Math.max(lastFireAt, now - graceMs);

  let missed = 0;
  let firstMissed: number | null = null;
  for (let t = nextFire(expr, tz, lastFireAt); t !== null && t <= onTimeFrom && missed < MISSED_COUNT_LIMIT; t = nextFire(expr, tz, t)) {
    firstMissed ??= t;
    missed++;
  }

  const onTime = nextFire(expr, tz, onTimeFrom);
  let run: RunPlan["run"] = null;
  if (onTime !== null && onTime <= now) run = { scheduledFor: onTime, kind: "on_time" };
  else if (policy === "catch_up_once" && firstMissed !== null) run = { scheduledFor: firstMissed, kind: "catch_up" };
  return { run, missed, firstMissed, nextFireAt, settledThrough };
}

export type RunOutcome = "succeeded" | "failed" | "cancelled";

export interface FailureState {
  consecutiveFailures: number;
  /** Why the schedule is paused, or `null` while it runs. */
  pausedReason: string | null;
}

/**
 * Folds one finished run into the failure count: a success resets it, a failure adds one, a
 * cancellation (someone stopped it) leaves it alone. At `maxConsecutiveFailures` the schedule pauses.
 */
export function recordOutcome(state: FailureState, outcome: RunOutcome, maxConsecutiveFailures = DEFAULT_MAX_CONSECUTIVE_FAILURES): FailureState {
  if (!Number.isInteger(maxConsecutiveFailures) || maxConsecutiveFailures < 1) {
    throw new RangeError(`maxConsecutiveFailures must be a whole number ≥ 1, got ${maxConsecutiveFailures}`);
  }
  if (outcome === "succeeded") return { consecutiveFailures: 0, pausedReason: state.pausedReason };
  if (outcome === "cancelled") return state;
  const consecutiveFailures = state.consecutiveFailures + 1;
  const pausedReason =
    state.pausedReason ?? (consecutiveFailures >= maxConsecutiveFailures ? `paused after ${consecutiveFailures} consecutive failed run${consecutiveFailures === 1 ? "" : "s"}` : null);
  return { consecutiveFailures, pausedReason };
}
