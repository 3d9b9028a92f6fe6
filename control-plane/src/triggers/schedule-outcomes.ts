/**
 * How a schedule's runs end, and what that does to the schedule. A finished run's schedule_runs
 * row gets its outcome and the schedule's consecutive-failure count moves by `recordOutcome`
 * (schedule-policy.ts), in one D1 batch; at its limit the schedule pauses itself (disabled, with
 * the reason) and a `schedule_paused` activity goes on the issue of the run that tipped it.
 * Called by the workspace Durable Object (workspace/schedule-clock.ts) when a scheduled task ends,
 * and by schedule-runner.ts when a run cannot start at all.
 */
import type { TaskStatus } from "@multica/shared";
import { and, eq } from "drizzle-orm";
import { type Db, schema } from "../db/client";
import { newActivity, type ActivityRow } from "../board/activity";
import { recordOutcome, type RunOutcome } from "./schedule-policy";

const s = schema.schedules;
const r = schema.scheduleRuns;

export interface FinishedRun {
  runId: string;
  /** `error`: the run never started (its agent was gone); it counts as a failure. */
  outcome: RunOutcome | "error";
  error: string | null;
}

/** A scheduled task's outcome from its last attempt's status: lost (out of retries) is a failure. */
export function outcomeOf(status: TaskStatus): RunOutcome {
  return status === "succeeded" ? "succeeded" : status === "cancelled" ? "cancelled" : "failed";
}

/**
 * Records how a run ended and counts it. Idempotent: a run already settled (a retried call after a
 * lost answer) changes nothing (null). Tells whether the schedule paused, with the activity to
 * publish (none when the run opened no issue).
 */
export async function finishRun(db: Db, f: FinishedRun, now: number): Promise<{ paused: { reason: string; activity: ActivityRow | null } | null } | null> {
  const [row] = await db.select({ run: r, schedule: s }).from(r).innerJoin(s, eq(s.id, r.scheduleId)).where(eq(r.id, f.runId));
  if (!row || row.run.outcome !== "started") return null;
  const { run, schedule } = row;
  const next = recordOutcome(
    { consecutiveFailures: schedule.consecutiveFailures, pausedReason: schedule.pausedReason },
    f.outcome === "error" ? "failed" : f.outcome,
    schedule.maxConsecutiveFailures,
  );
  const pausedNow = next.pausedReason !== null && schedule.pausedReason === null;
  const paused = pausedNow && run.issueId
    ? newActivity({ id: run.issueId, workspaceId: schedule.workspaceId }, "system", "schedule_paused",
      { scheduleId: schedule.id, name: schedule.name, reason: next.pausedReason, consecutiveFailures: next.consecutiveFailures, runId: run.id }, now)
    : null;
  await db.batch([
    db.update(r).set({ outcome: f.outcome, error: f.error }).where(and(eq(r.id, run.id), eq(r.outcome, "started"))),
    // Compare-and-set on the count: a resume made meanwhile (count back to 0) is not undone by a run from before it.
    db.update(s).set({ consecutiveFailures: next.consecutiveFailures, pausedReason: next.pausedReason, ...(pausedNow ? { enabled: false } : {}), updatedAt: now })
      .where(and(eq(s.id, schedule.id), eq(s.consecutiveFailures, schedule.consecutiveFailures))),
    ...(paused ? [db.insert(schema.activities).values(paused)] : []),
  ]);
  return { paused: pausedNow ? { reason: next.pausedReason ?? "", activity: paused } : null };
}
