/**
 * The workspace Durable Object's side of schedules (WorkspaceDO holds one):
 * - when the alarm must wake for the next fire, kept in the object's storage so arming the alarm
 *   never waits on D1 (refreshed from D1 after every wake-up and whenever the API changed a schedule);
 * - firing what is due and "run now" (triggers/schedule-runner.ts), enqueueing agents' tasks here;
 * - the outcomes of scheduled tasks: written to a table of this object's storage the moment a task
 *   ends (so a restart loses none), then to D1 (triggers/schedule-outcomes.ts), retried until D1 takes them.
 */
import type { BoardEvent } from "@multica/shared";
import { createDb, type Db } from "../db/client";
import type { Env } from "../env";
import { boardEvents } from "../board/agent-runs";
import { finishRun, outcomeOf } from "../triggers/schedule-outcomes";
import { fireDueSchedules, nextScheduledFire, runScheduleNow, type ScheduleDeps, type ScheduleRunRow } from "../triggers/schedule-runner";
import { type AttemptState, type Effect, toAttemptView } from "./task-machine";
import type { TaskStore } from "./task-store";
import type { Workspace } from "./workspace";

const SCHEMA = "CREATE TABLE IF NOT EXISTS schedule_tasks (task_id TEXT PRIMARY KEY, run_id TEXT NOT NULL, outcome TEXT, error TEXT)";
/** Meta key: the earliest fire any enabled schedule waits for (ms), absent when none. */
const NEXT_KEY = "schedule_next";
/** How soon D1 trouble (a fire or an outcome it did not take) is tried again. */
export const SCHEDULE_RETRY_MS = 30_000;
/** Outcomes written to D1 per pass. */
const SETTLE_BATCH = 50;

type FinishedRow = {
  task_id: string;
  run_id: string;
  outcome: "succeeded" | "failed" | "cancelled";
  error: string | null;
};

export class ScheduleClock {
  private firing = false;
  private settling = false;

  constructor(
    private readonly sql: SqlStorage,
    private readonly store: TaskStore,
    private readonly workspace: Workspace,
    private readonly env: Env,
    private readonly workspaceId: () => string,
    private readonly log: (message: string) => void,
  ) {
    sql.exec(SCHEMA);
  }

  /** When the alarm must wake for schedules: the next fire, or a retry while outcomes wait for D1. */
  wakeAt(now: number): number | null {
    const next = this.store.getMeta(NEXT_KEY);
    const wants = [next ? Number(next) : null, this.hasFinished() ? now + SCHEDULE_RETRY_MS : null].filter((t): t is number => t !== null);
    return wants.length > 0 ? Math.min(...wants) : null;
  }

  /** Remembers that `taskId` is the task of schedule run `runId`, so its outcome is counted. */
  track(taskId: string, runId: string): void {
    this.sql.exec("INSERT OR IGNORE INTO schedule_tasks (task_id, run_id) VALUES (?, ?)", taskId, runId);
  }

  hasFinished(): boolean {
    return this.sql.exec("SELECT 1 FROM schedule_tasks WHERE outcome IS NOT NULL LIMIT 1").toArray().length > 0;
  }

  /**
   * Told of every transition: when it ended a task for good (no retry or park follows) and the task
   * is a scheduled run's, stores its outcome and returns true (settle it then).
   */
  taskOver(s: AttemptState, effects: readonly Effect[]): boolean {
    if (!effects.some((e) => e.type === "ended") || effects.some((e) => e.type === "retry" || e.type === "park")) return false;
    if (this.sql.exec("SELECT 1 FROM schedule_tasks WHERE task_id = ?", s.taskId).toArray().length === 0) return false;
    const outcome = outcomeOf(s.status);
    const error = outcome === "succeeded" ? null : (s.error ?? s.failure?.message ?? s.status);
    this.sql.exec("UPDATE schedule_tasks SET outcome = ?, error = ? WHERE task_id = ?", outcome, error, s.taskId);
    return true;
  }

  /** Wake-up: fire what is due, write finished outcomes, and learn the next fire from D1. */
  async tick(now: number): Promise<void> {
    const due = this.store.getMeta(NEXT_KEY);
    if (due && Number(due) <= now && !this.firing && this.workspaceId()) {
      this.firing = true;
      try {
        await fireDueSchedules(this.deps(), now);
        await this.refresh(now);
      } catch (err) {
        this.log(`schedules: ${err instanceof Error ? err.message : String(err)}; retrying`);
        this.store.setMeta(NEXT_KEY, String(now + SCHEDULE_RETRY_MS));
      } finally {
        this.firing = false;
      }
    }
    await this.settle(now);
  }

  /** Re-reads the next fire from D1 (a schedule was created, changed, paused, resumed or deleted). */
  async refresh(now: number): Promise<void> {
    const next = await nextScheduledFire(createDb(this.env.DB), this.workspaceId());
    // Still due right after a wake-up fired it: that fire failed; try again later, not in a loop.
    const at = next !== null && next <= now && this.firing ? now + SCHEDULE_RETRY_MS : next;
    this.store.setMeta(NEXT_KEY, at === null ? "" : String(at));
  }

  /** "Run now" from the API. Null when the schedule does not exist in this workspace. */
  runNow(scheduleId: string, now: number): Promise<ScheduleRunRow | null> {
    return runScheduleNow(this.deps(), scheduleId, now);
  }

  /** Soon after a scheduled task ended: its outcome goes to D1 without waiting for the alarm. */
  settleSoon(): void {
    setTimeout(() => void this.settle(Date.now()), 0);
  }

  /**
   * Writes finished outcomes to D1 until none is left; on a D1 failure the rest stay for the
   * alarm's retry. Outcomes recorded while this runs are picked up by its next pass.
   */
  async settle(now: number): Promise<void> {
    if (this.settling) return;
    this.settling = true;
    try {
      const db = createDb(this.env.DB);
      for (let rows = this.finished(); rows.length > 0; rows = this.finished()) {
        for (const row of rows) await this.settleOne(db, row, now);
      }
    } catch (err) {
      this.log(`schedule outcomes not written yet (retrying): ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.settling = false;
    }
  }

  private finished(): FinishedRow[] {
    return this.sql.exec<FinishedRow>("SELECT task_id, run_id, outcome, error FROM schedule_tasks WHERE outcome IS NOT NULL LIMIT ?", SETTLE_BATCH).toArray();
  }

  private async settleOne(db: Db, row: FinishedRow, now: number): Promise<void> {
    const settled = await finishRun(db, { runId: row.run_id, outcome: row.outcome, error: row.error }, now);
    this.sql.exec("DELETE FROM schedule_tasks WHERE task_id = ?", row.task_id);
    if (!settled?.paused) return;
    this.log(`schedule run ${row.run_id} ${row.outcome}; the schedule paused: ${settled.paused.reason}`);
    if (settled.paused.activity) this.publish(boardEvents({ activities: [settled.paused.activity] }));
    await this.refresh(now);
  }

  private publish(events: BoardEvent[]): void {
    for (const e of events) this.workspace.fanout.board(e);
  }

  private deps(): ScheduleDeps {
    return {
      env: this.env,
      db: createDb(this.env.DB),
      workspaceId: this.workspaceId(),
      // Tracked in the same synchronous step as the enqueue: the task cannot end before it is known here.
      enqueueFor: (runId) => async (input) => {
        const first = this.workspace.enqueue(input, Date.now());
        this.track(first.taskId, runId);
        return toAttemptView(first);
      },
      publish: (events) => this.publish(events),
      log: this.log,
    };
  }
}
