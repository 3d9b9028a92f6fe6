/**
 * Firing a workspace's schedules, run by the workspace Durable Object (workspace/schedule-clock.ts)
 * when its alarm wakes, and for "run now". Which schedules are due, what each does now
 * (`planFire`, pure, over schedule-policy.ts), and the run itself: its schedule_runs row, the
 * issue it opens and the schedule's advanced clock are written in ONE D1 batch, so the unique
 * (schedule, fire time) index of schedule_runs refuses a second firing of the same fire whole —
 * a repeated alarm, or a wake-up racing "run now", opens no second issue.
 */
import { type BoardEvent, IssuePriority, newId } from "@multica/shared";
import type { BatchItem } from "drizzle-orm/batch";
import { and, asc, eq, isNotNull, lte } from "drizzle-orm";
import { type Db, schema } from "../db/client";
import type { Env } from "../env";
import type { Enqueue } from "../runs";
import { boardEvents } from "../board/agent-runs";
import { openIssue } from "../board/open-issue";
import { CronError } from "./cron";
import { finishRun } from "./schedule-outcomes";
import { planRuns } from "./schedule-policy";

type ScheduleRow = typeof schema.schedules.$inferSelect;
export type ScheduleRunRow = typeof schema.scheduleRuns.$inferSelect;
type RunKind = ScheduleRunRow["kind"];

const s = schema.schedules;
const r = schema.scheduleRuns;
/** Schedules fired per wake-up; the rest are still due and fire on the next one (moments later). */
const MAX_DUE = 20;

export interface FirePlan {
  run: { scheduledFor: number; kind: "on_time" | "catch_up" } | null;
  missed: number;
  firstMissed: number | null;
  /** The schedule's clock after this wake-up. */
  lastFireAt: number;
  nextFireAt: number | null;
  /** Why the stored expression or zone no longer computes (a zone gone from the tz data): the schedule pauses. */
  broken: string | null;
}

/** What a schedule does at `now`: schedule-policy.ts's plan, with a bad stored expression turned into a reason to pause. */
export function planFire(row: Pick<ScheduleRow, "cron" | "timezone" | "lastFireAt" | "missedPolicy">, now: number): FirePlan {
  try {
    const p = planRuns({ expr: row.cron, tz: row.timezone, lastFireAt: row.lastFireAt, now, policy: row.missedPolicy });
    return { run: p.run, missed: p.missed, firstMissed: p.firstMissed, lastFireAt: p.settledThrough, nextFireAt: p.nextFireAt, broken: null };
  } catch (err) {
    if (!(err instanceof CronError)) throw err;
    return { run: null, missed: 0, firstMissed: null, lastFireAt: row.lastFireAt, nextFireAt: null, broken: `its fire times cannot be computed: ${err.message}` };
  }
}

/** What firing needs from where it runs (the Durable Object). */
export interface ScheduleDeps {
  env: Env;
  db: Db;
  workspaceId: string;
  /** The workspace's queue; it ties the task to `runId` before the task can end. */
  enqueueFor(runId: string): Enqueue;
  publish(events: BoardEvent[]): void;
  log(message: string): void;
}

/** Fires every enabled schedule of the workspace that is due at `now`; returns the runs started. */
export async function fireDueSchedules(deps: ScheduleDeps, now: number): Promise<ScheduleRunRow[]> {
  const due = await deps.db.select().from(s)
    .where(and(eq(s.workspaceId, deps.workspaceId), eq(s.enabled, true), lte(s.nextFireAt, now)))
    .orderBy(asc(s.nextFireAt)).limit(MAX_DUE);
  const started: ScheduleRunRow[] = [];
  for (const row of due) {
    // One schedule's trouble (D1 hiccup, a bad action) must not hold back the others.
    try {
      const run = await fireSchedule(deps, row, now);
      if (run) started.push(run);
    } catch (err) {
      deps.log(`schedule ${row.id} (${row.name}) did not fire; retrying: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return started;
}

async function fireSchedule(deps: ScheduleDeps, row: ScheduleRow, now: number): Promise<ScheduleRunRow | null> {
  const plan = planFire(row, now);
  const clock = { lastFireAt: plan.lastFireAt, nextFireAt: plan.nextFireAt, updatedAt: now };
  // Compare-and-set on lastFireAt: a resume or edit made meanwhile keeps its own clock.
  const advance = deps.db.update(s).set(plan.broken ? { enabled: false, pausedReason: plan.broken, updatedAt: now } : clock)
    .where(and(eq(s.id, row.id), eq(s.lastFireAt, row.lastFireAt)));
  if (plan.broken) deps.log(`schedule ${row.id} (${row.name}) paused: ${plan.broken}`);
  if (plan.run === null) {
    if (plan.missed === 0 || plan.firstMissed === null) {
      await advance;
      return null;
    }
    // Dropped fires still show in the run log: one `skipped` row for them all, claimed like a run.
    const note = `${plan.missed} fire(s) missed while the control plane was down were skipped (policy ${row.missedPolicy})`;
    deps.log(`schedule ${row.id} (${row.name}): ${note}`);
    const skipped: ScheduleRunRow = {
      id: newId("scheduleRun"), scheduleId: row.id, workspaceId: deps.workspaceId, scheduledFor: plan.firstMissed, firedAt: now,
      kind: "on_time", missed: plan.missed, issueId: null, taskId: null, outcome: "skipped", error: note,
    };
    await deps.db.batch([deps.db.insert(r).values(skipped).onConflictDoNothing(), advance]);
    return null;
  }
  return startScheduledRun(deps, row, { ...plan.run, missed: plan.missed }, [advance], now);
}

/** "Run now": a manual run at `now`, the schedule's own clock untouched. Null when there is no such schedule. */
export async function runScheduleNow(deps: ScheduleDeps, scheduleId: string, now: number): Promise<ScheduleRunRow | null> {
  const [row] = await deps.db.select().from(s).where(and(eq(s.id, scheduleId), eq(s.workspaceId, deps.workspaceId)));
  return row ? startScheduledRun(deps, row, { scheduledFor: now, kind: "manual", missed: 0 }, [], now) : null;
}

/**
 * Opens the run's issue and starts its agent. Returns the run, or null when this fire was already
 * claimed (the unique index refused the batch, so nothing was written). A run that could not start
 * (its agent was deleted) is logged as `error` and counts as a failure towards pausing.
 */
async function startScheduledRun(
  deps: ScheduleDeps, row: ScheduleRow, fire: { scheduledFor: number; kind: RunKind; missed: number }, alongside: BatchItem<"sqlite">[], now: number,
): Promise<ScheduleRunRow | null> {
  const { db, workspaceId } = deps;
  const { action } = row;
  const agentId = action.agentId ?? null;
  const base = { id: newId("scheduleRun"), scheduleId: row.id, workspaceId, ...fire, firedAt: now, issueId: null, taskId: null, error: null };

  if (agentId && !(await agentExists(db, workspaceId, agentId))) {
    const run: ScheduleRunRow = { ...base, outcome: "started" };
    if (!(await claimed(() => db.batch([db.insert(r).values(run), ...alongside])))) return firedBefore(deps, run, alongside);
    return fail(deps, run, `agent ${agentId} no longer exists in this workspace`, now);
  }

  const issueId = newId("issue");
  // Without an agent, opening the issue is the whole action: the run succeeded as it was written.
  const run: ScheduleRunRow = { ...base, issueId, outcome: agentId ? "started" : "succeeded" };
  const opened = await claimed(() =>
    openIssue(
      { env: deps.env, db, publish: deps.publish, enqueue: deps.enqueueFor(run.id) },
      {
        workspaceId, id: issueId, title: action.title, body: action.description ?? "", priority: IssuePriority.safeParse(action.priority).data, labels: action.labels ?? [],
        agentId, actor: "system", origin: { schedule: { id: row.id, name: row.name, runId: run.id, kind: fire.kind, scheduledFor: fire.scheduledFor } },
      },
      [db.insert(r).values(run), ...alongside],
    ),
  );
  if (!opened) return firedBefore(deps, run, alongside);
  if (opened.task) {
    await db.update(r).set({ taskId: opened.task.taskId }).where(eq(r.id, run.id));
    return { ...run, taskId: opened.task.taskId };
  }
  if (!agentId) return run;
  return fail(deps, run, `the agent's run did not start: ${opened.runError instanceof Error ? opened.runError.message : String(opened.runError)}`, now);
}

/** A run that could not start: logged as `error`, counted as a failure (which may pause the schedule). */
async function fail(deps: ScheduleDeps, run: ScheduleRunRow, error: string, now: number): Promise<ScheduleRunRow> {
  const settled = await finishRun(deps.db, { runId: run.id, outcome: "error", error }, now);
  deps.log(`schedule ${run.scheduleId} run ${run.id} did not start: ${error}`);
  if (settled?.paused) {
    deps.log(`schedule ${run.scheduleId} paused: ${settled.paused.reason}`);
    if (settled.paused.activity) deps.publish(boardEvents({ activities: [settled.paused.activity] }));
  }
  return { ...run, outcome: "error", error };
}

/** This fire was claimed before (its run row exists): the clock still moves on, or the alarm would retry it forever. */
async function firedBefore(deps: ScheduleDeps, run: ScheduleRunRow, alongside: BatchItem<"sqlite">[]): Promise<null> {
  deps.log(`schedule ${run.scheduleId}: the fire due at ${new Date(run.scheduledFor).toISOString()} was fired before; not again`);
  const [first, ...rest] = alongside;
  if (first) await deps.db.batch([first, ...rest]);
  return null;
}

async function agentExists(db: Db, workspaceId: string, agentId: string): Promise<boolean> {
  const [agent] = await db.select({ id: schema.agents.id }).from(schema.agents).where(and(eq(schema.agents.id, agentId), eq(schema.agents.workspaceId, workspaceId)));
  return agent !== undefined;
}

/** Runs a write that claims a fire; null when schedule_runs' unique index says it was claimed before. */
async function claimed<T>(write: () => Promise<T>): Promise<T | null> {
  try {
    return await write();
  } catch (err) {
    for (let e: unknown = err; e instanceof Error; e = e.cause) {
      if (/UNIQUE constraint failed: schedule_runs\./.test(e.message)) return null;
    }
    throw err;
  }
}

/** The earliest fire the workspace waits for (enabled schedules only), or null. */
export async function nextScheduledFire(db: Db, workspaceId: string): Promise<number | null> {
  const [row] = await db.select({ at: s.nextFireAt }).from(s)
    .where(and(eq(s.workspaceId, workspaceId), eq(s.enabled, true), isNotNull(s.nextFireAt))).orderBy(asc(s.nextFireAt)).limit(1);
  return row?.at ?? null;
}
