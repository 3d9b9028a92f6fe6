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
  it("round-trips attempts and lists an agent's queue oldest first with its limit, a page after another", () => {
    const store = new TaskStore(createTestSqlStorage());
    task(store, "tsk_bbbb0002", 2000);
    task(store, "tsk_bbbb0001", 1000);
    expect(store.queuedOf("agt_aaaa1111", null, 10).map((q) => [q.taskId, q.queuedAt, q.maxConcurrent, q.runtimes])).toEqual([
      ["tsk_bbbb0001", 1000, 2, ["command:x"]],
      ["tsk_bbbb0002", 2000, 2, ["command:x"]],
    ]);
    expect(store.queuedOf("agt_other", null, 10)).toEqual([]);
    expect(store.queuedOf("agt_aaaa1111", null, 1).map((q) => q.taskId)).toEqual(["tsk_bbbb0001"]);
    expect(store.queuedOf("agt_aaaa1111", { queuedAt: 1000, taskId: "tsk_bbbb0001" }, 10).map((q) => q.taskId)).toEqual(["tsk_bbbb0002"]);
  });

  it("leaves parked attempts out of the queue until their time", () => {
    const store = new TaskStore(createTestSqlStorage());
    const a = task(store, "tsk_hhhh0001");
    store.putAttempt({ ...a, notBefore: 5000 });
    expect(store.queuedOf("agt_aaaa1111", null, 10, 4999)).toEqual([]);
    expect(store.queuedOf("agt_aaaa1111", null, 10, 5000).map((q) => q.taskId)).toEqual(["tsk_hhhh0001"]);
  });

  it("knows which agents have queued work as attempts move in and out of the queue", () => {
    const store = new TaskStore(createTestSqlStorage());
    const a = task(store, "tsk_gggg0001");
    task(store, "tsk_gggg0002");
    expect(store.queuedAgents()).toEqual([{ agentId: "agt_aaaa1111", limit: 2 }]);
    store.putAttempt({ ...a, status: "dispatched", runnerId: "rnr_r1" });
    expect(store.queuedAgents()).toEqual([{ agentId: "agt_aaaa1111", limit: 2 }]);
    const b = store.getAttempt("tsk_gggg0002", 1)!;
    store.putAttempt({ ...b, status: "cancelled" });
    expect(store.queuedAgents()).toEqual([]);
    store.putAttempt({ ...a, status: "queued", runnerId: null }); // requeued (runner never started it)
    store.putAttempt({ ...a, status: "queued", runnerId: null }); // a repeated write changes nothing
    expect(store.queuedAgents()).toEqual([{ agentId: "agt_aaaa1111", limit: 2 }]);
  });

  it("bounds an agent's limit by the largest among its queued attempts, reset when its queue empties", () => {
    const store = new TaskStore(createTestSqlStorage());
    const first = newAttempt({ taskId: "tsk_iiii0001", issueId: "iss_aaaa1111", agentId: "agt_aaaa1111", runtimes: ["command:x"], maxAttempts: 3 }, 1, 1000);
    store.createTask(first, { ...payload, maxConcurrent: 5 });
    const second = task(store, "tsk_iiii0002", 2000); // the agent's limit was lowered to 2
    expect(store.queuedAgents()).toEqual([{ agentId: "agt_aaaa1111", limit: 5 }]);
    store.putAttempt({ ...first, status: "cancelled" });
    store.putAttempt({ ...second, status: "cancelled" });
    task(store, "tsk_iiii0003", 3000);
    expect(store.queuedAgents()).toEqual([{ agentId: "agt_aaaa1111", limit: 2 }]);
  });

  it("opens its own storage again (after hibernation) with the queue bookkeeping intact", () => {
    const sql = createTestSqlStorage();
    task(new TaskStore(sql), "tsk_jjjj0001");
    const again = new TaskStore(sql);
    task(again, "tsk_jjjj0002", 2000);
    expect(again.queuedAgents()).toEqual([{ agentId: "agt_aaaa1111", limit: 2 }]);
    expect(again.queuedOf("agt_aaaa1111", null, 10).map((q) => q.taskId)).toEqual(["tsk_jjjj0001", "tsk_jjjj0002"]);
  });

  it("upgrades an object whose queue counts predate the limit bound: the bound is backfilled, the old triggers replaced", () => {
    const sql = createTestSqlStorage();
    const store = new TaskStore(sql);
    task(store, "tsk_kkkk0001");
    // As the first release left it: counts only, kept by the first triggers.
    sql.exec("DROP TRIGGER queue_in_limit; DROP TRIGGER queue_move_limit; ALTER TABLE queue_counts DROP COLUMN max_concurrent;");
    sql.exec(`CREATE TRIGGER queue_in AFTER INSERT ON attempts WHEN new.status = 'queued' BEGIN
      INSERT INTO queue_counts (agent_id, n) VALUES (new.agent_id, 1) ON CONFLICT (agent_id) DO UPDATE SET n = n + 1; END;`);
    const upgraded = new TaskStore(sql);
    expect(upgraded.queuedAgents()).toEqual([{ agentId: "agt_aaaa1111", limit: 2 }]);
    task(upgraded, "tsk_kkkk0002", 2000);
    expect(sql.exec<{ n: number }>("SELECT n FROM queue_counts").toArray()).toEqual([{ n: 2 }]);
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
