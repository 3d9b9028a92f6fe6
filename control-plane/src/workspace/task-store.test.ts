/** TaskStore's SQL against real SQLite (Node's built-in), in particular the batched bookkeeping of D1 mirroring. */
import { describe, expect, it } from "vitest";
import { newAttempt, type AttemptState } from "./task-machine";
import { TaskStore } from "./task-store";
import { createTestSqlStorage } from "./test-sql-storage";

const payload = { issue: { id: "iss_aaaa1111", key: "MUL-1", title: "t", body: "", comments: [] }, agent: { id: "agt_aaaa1111", name: "a", instructions: "" }, prompt: "p", maxConcurrent: 2 };

function task(store: TaskStore, id: string, now = 1000): AttemptState {
  const first = newAttempt({ taskId: id, issueId: "iss_aaaa1111", agentId: "agt_aaaa1111", runtimes: ["command:x"], maxAttempts: 3 }, 1, now);
  store.createTask(first, payload);
  return first;
}

const out = (seq: number, text: string) => ({ seq, ts: seq, event: { kind: "output" as const, stream: "stdout" as const, text } });

describe("TaskStore", () => {
  it("round-trips attempts and lists the queue oldest first with the agent's limit", () => {
    const store = new TaskStore(createTestSqlStorage());
    task(store, "tsk_bbbb0002", 2000);
    task(store, "tsk_bbbb0001", 1000);
    expect(store.queued(10).map((q) => [q.taskId, q.maxConcurrent, q.runtimes])).toEqual([
      ["tsk_bbbb0001", 2, ["command:x"]],
      ["tsk_bbbb0002", 2, ["command:x"]],
    ]);
    expect(store.queued(10, 0, ["agt_aaaa1111"])).toEqual([]);
    expect(store.queued(1, 1).map((q) => q.taskId)).toEqual(["tsk_bbbb0002"]);
  });

  it("knows which agents have queued work as attempts move in and out of the queue", () => {
    const store = new TaskStore(createTestSqlStorage());
    const a = task(store, "tsk_gggg0001");
    task(store, "tsk_gggg0002");
    expect(store.queuedAgents()).toEqual(["agt_aaaa1111"]);
    store.putAttempt({ ...a, status: "dispatched", runnerId: "rnr_r1" });
    expect(store.queuedAgents()).toEqual(["agt_aaaa1111"]);
    const b = store.getAttempt("tsk_gggg0002", 1)!;
    store.putAttempt({ ...b, status: "cancelled" });
    expect(store.queuedAgents()).toEqual([]);
    store.putAttempt({ ...a, status: "queued", runnerId: null }); // requeued (runner never started it)
    store.putAttempt({ ...a, status: "queued", runnerId: null }); // a repeated write changes nothing
    expect(store.queuedAgents()).toEqual(["agt_aaaa1111"]);
  });

  it("counts held attempts per runner and agent, and finds the next lease expiry", () => {
    const store = new TaskStore(createTestSqlStorage());
    const a = task(store, "tsk_cccc0001");
    const b = task(store, "tsk_cccc0002");
    store.putAttempt({ ...a, status: "running", runnerId: "rnr_r1", leaseExpiresAt: 5000 });
    store.putAttempt({ ...b, status: "dispatched", runnerId: "rnr_r1", leaseExpiresAt: 4000 });
    expect(store.heldCounts()).toEqual([{ runnerId: "rnr_r1", agentId: "agt_aaaa1111", n: 2 }]);
    expect(store.nextLeaseExpiry()).toBe(4000);
    expect(store.expiredLeases(4500).map((s) => s.taskId)).toEqual(["tsk_cccc0002"]);
  });

  it("keeps the tail of what the agent said as the summary", () => {
    const store = new TaskStore(createTestSqlStorage());
    const a = task(store, "tsk_dddd0001");
    store.appendEvents({ ...a, lastSeq: 2 }, [out(1, "first"), out(2, "second")]);
    store.appendEvents({ ...a, lastSeq: 3 }, [{ seq: 3, ts: 3, event: { kind: "message", text: "x".repeat(5000) } }]);
    const summary = store.summary("tsk_dddd0001", 1)!;
    expect(summary).toHaveLength(4000);
    expect(summary.endsWith("x\n")).toBe(true);
    expect(store.getAttempt("tsk_dddd0001", 1)!.lastSeq).toBe(3);
  });

  it("clears dirty flags in one batch, except for attempts that changed since they were read", () => {
    const store = new TaskStore(createTestSqlStorage());
    task(store, "tsk_eeee0001");
    task(store, "tsk_eeee0002");
    const read = store.dirtyAttempts(10);
    expect(read).toHaveLength(2);
    // One changes after the flush read it: it must stay dirty.
    const changed = store.getAttempt("tsk_eeee0002", 1)!;
    store.putAttempt({ ...changed, status: "cancelled" });
    store.markSynced(read.map(({ resultPosted: _r, summary: _s, ...state }) => ({ state, posted: state.taskId === "tsk_eeee0001" })));
    expect(store.dirtyAttempts(10).map((a) => a.taskId)).toEqual(["tsk_eeee0002"]);
    expect(store.hasDirty()).toBe(true);
    store.markSynced(store.dirtyAttempts(10).map(({ resultPosted: _r, summary: _s, ...state }) => ({ state, posted: false })));
    expect(store.hasDirty()).toBe(false);
  });

  it("deletes flushed pending events per attempt up to the flushed seq, in one batch", () => {
    const store = new TaskStore(createTestSqlStorage());
    const a = task(store, "tsk_ffff0001");
    const b = task(store, "tsk_ffff0002");
    store.appendEvents({ ...a, lastSeq: 3 }, [out(1, "a1"), out(2, "a2"), out(3, "a3")]);
    store.appendEvents({ ...b, lastSeq: 2 }, [out(1, "b1"), out(2, "b2")]);
    store.deletePendingEvents([{ taskId: "tsk_ffff0001", attempt: 1, upTo: 2 }, { taskId: "tsk_ffff0002", attempt: 1, upTo: 2 }]);
    expect(store.pendingEvents().map((e) => `${e.taskId.slice(-1)}:${e.seq}`)).toEqual(["1:3"]);
  });
});
