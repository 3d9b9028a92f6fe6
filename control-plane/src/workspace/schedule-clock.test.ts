/**
 * ScheduleClock's bookkeeping in the Durable Object's storage (Node's SQLite standing in): which
 * ended tasks are scheduled runs' and with what outcome, judged from the real task machine's
 * effects, and when the alarm must wake for schedules.
 */
import { describe, expect, it } from "vitest";
import type { Env } from "../env";
import { ScheduleClock, SCHEDULE_RETRY_MS } from "./schedule-clock";
import { newAttempt, transition, type AttemptState, type TaskEvent } from "./task-machine";
import { TaskStore } from "./task-store";
import { createTestSqlStorage } from "./test-sql-storage";
import type { Workspace } from "./workspace";

function setup() {
  const sql = createTestSqlStorage();
  const store = new TaskStore(sql);
  // Firing and settling need D1 and the workspace; the bookkeeping tested here touches neither.
  const clock = new ScheduleClock(sql, store, {} as Workspace, {} as Env, () => "ws_test0001", () => {});
  return { sql, store, clock };
}

function running(taskId: string, maxAttempts = 1): AttemptState {
  const first = newAttempt({ taskId, issueId: "iss_aaaa1111", agentId: "agt_aaaa1111", runtimes: ["command:x"], maxAttempts }, 1, 1000);
  return { ...first, status: "running", runnerId: "rnr_r1", runtime: "command:x", dispatchedAt: 1000, startedAt: 1000, leaseExpiresAt: 9000 };
}

/** The real transition, so the effects are the ones the workspace sees. */
function apply(s: AttemptState, event: TaskEvent) {
  const r = transition(s, event);
  if (!r.ok) throw new Error(r.reason);
  return r;
}

const report = (status: "succeeded" | "failed", error: string | null = null): TaskEvent => ({
  type: "report", runnerId: "rnr_r1", status, exit: { exitCode: status === "failed" ? 7 : 0, signal: null, error, durationMs: 1000 }, sessionId: null, usage: null, now: 2000,
});

describe("ScheduleClock", () => {
  it("keeps the outcome of a scheduled task when it ends, and ignores other tasks", () => {
    const { clock } = setup();
    clock.track("tsk_sched0001", "shr_run00001");
    const ok = apply(running("tsk_sched0001"), report("succeeded"));
    expect(clock.hasFinished()).toBe(false);
    expect(clock.taskOver(ok.state, ok.effects)).toBe(true);
    expect(clock.hasFinished()).toBe(true);

    const other = apply(running("tsk_other0001"), report("failed", "boom"));
    expect(clock.taskOver(other.state, other.effects)).toBe(false);
  });

  it("records a failure with its reason, and a cancellation as cancelled", () => {
    const { clock, sql } = setup();
    clock.track("tsk_fail0001", "shr_run00002");
    clock.track("tsk_cncl0001", "shr_run00003");
    const failed = apply(running("tsk_fail0001"), report("failed", "exit 7"));
    expect(clock.taskOver(failed.state, failed.effects)).toBe(true);
    const queued = newAttempt({ taskId: "tsk_cncl0001", issueId: "iss_aaaa1111", agentId: "agt_aaaa1111", runtimes: ["command:x"], maxAttempts: 1 }, 1, 1000);
    const cancelled = apply(queued, { type: "cancel", now: 1500 });
    expect(clock.taskOver(cancelled.state, cancelled.effects)).toBe(true);
    expect(sql.exec("SELECT run_id, outcome, error FROM schedule_tasks ORDER BY run_id").toArray()).toEqual([
      { run_id: "shr_run00002", outcome: "failed", error: "exit 7" },
      { run_id: "shr_run00003", outcome: "cancelled", error: "cancelled before it started" },
    ]);
  });

  it("waits while a lost attempt is retried: only the task's last attempt decides", () => {
    const { clock } = setup();
    clock.track("tsk_lost0001", "shr_run00004");
    const lost = apply(running("tsk_lost0001", 3), { type: "lease_expired", now: 10_000 });
    expect(lost.effects.map((e) => e.type)).toContain("retry");
    expect(clock.taskOver(lost.state, lost.effects)).toBe(false);
    expect(clock.hasFinished()).toBe(false);
  });

  it("wakes for the next fire, and soon while outcomes wait for D1", () => {
    const { clock, store } = setup();
    expect(clock.wakeAt(1000)).toBeNull();
    store.setMeta("schedule_next", "500000");
    expect(clock.wakeAt(1000)).toBe(500_000);
    store.setMeta("schedule_next", "");
    expect(clock.wakeAt(1000)).toBeNull();
    clock.track("tsk_sched0002", "shr_run00005");
    const ok = apply(running("tsk_sched0002"), report("succeeded"));
    clock.taskOver(ok.state, ok.effects);
    expect(clock.wakeAt(1000)).toBe(1000 + SCHEDULE_RETRY_MS);
  });
});
