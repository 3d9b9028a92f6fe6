// Dispatch planning: queue order, runtime preference, runner load and slots, agent limits, no mutation,
// and a pass that reads only the queues of agents that can start work.
import { describe, expect, it } from "vitest";
import { mergeQueues, placeOne, planDispatch, runDispatchPass, type QueueKey, type QueuedAgent, type QueuedAttempt, type RunnerSlots } from "./dispatch";

const runner = (runnerId: string, runtimes: string[], concurrency = 2, busy = 0): RunnerSlots => ({
  runnerId,
  runtimes: new Set(runtimes),
  concurrency,
  busy,
});
const task = (key: string, runtimes: string[], agentId = "agt_a", maxConcurrent = 10): QueuedAttempt => ({ key, agentId, runtimes, maxConcurrent });
const none = new Map<string, number>();

describe("placeOne", () => {
  it("takes the agent's most preferred runtime that any runner offers, over a less loaded runner", () => {
    const runners = [runner("rnr_codex", ["codex"], 4, 0), runner("rnr_claude", ["claude"], 4, 3)];
    expect(placeOne(task("t1", ["claude", "codex"]), runners)).toEqual({ runnerId: "rnr_claude", runtime: "claude" });
    expect(placeOne(task("t1", ["codex", "claude"]), runners)).toEqual({ runnerId: "rnr_codex", runtime: "codex" });
  });

  it("falls back to the next runtime when every runner of the preferred one is full", () => {
    const runners = [runner("rnr_claude", ["claude"], 1, 1), runner("rnr_codex", ["codex"], 1, 0)];
    expect(placeOne(task("t1", ["claude", "codex"]), runners)).toEqual({ runnerId: "rnr_codex", runtime: "codex" });
  });

  it("picks the least loaded runner by share of slots in use; a tie goes to the first listed", () => {
    const runners = [runner("rnr_half", ["claude"], 4, 2), runner("rnr_big", ["claude"], 10, 3), runner("rnr_idle", ["claude"], 2, 1)];
    expect(placeOne(task("t1", ["claude"]), runners)?.runnerId).toBe("rnr_big");
    const tied = [runner("rnr_first", ["claude"], 2, 1), runner("rnr_second", ["claude"], 4, 2)];
    expect(placeOne(task("t1", ["claude"]), tied)?.runnerId).toBe("rnr_first");
  });

  it("returns null when no runner has a matching runtime, all are full, or there are none", () => {
    expect(placeOne(task("t1", ["gemini"]), [runner("rnr_a", ["claude"])])).toBeNull();
    expect(placeOne(task("t1", ["claude"]), [runner("rnr_a", ["claude"], 2, 2)])).toBeNull();
    expect(placeOne(task("t1", ["claude"]), [])).toBeNull();
    expect(placeOne(task("t1", []), [runner("rnr_a", ["claude"])])).toBeNull();
  });
});

describe("planDispatch", () => {
  it("plans nothing without runners or without queued attempts", () => {
    expect(planDispatch([task("t1", ["claude"])], [], none)).toEqual([]);
    expect(planDispatch([], [runner("rnr_a", ["claude"])], none)).toEqual([]);
  });

  it("plans nothing when no runner offers a runtime the agents accept", () => {
    const plan = planDispatch([task("t1", ["claude"]), task("t2", ["codex"])], [runner("rnr_a", ["gemini", "command:lint"])], none);
    expect(plan).toEqual([]);
  });

  it("serves the queue oldest first when slots are short", () => {
    const plan = planDispatch([task("t1", ["claude"]), task("t2", ["claude"]), task("t3", ["claude"])], [runner("rnr_a", ["claude"], 2)], none);
    expect(plan.map((p) => p.key)).toEqual(["t1", "t2"]);
  });

  it("skips an attempt that fits nowhere and places the ones behind it", () => {
    const plan = planDispatch([task("t1", ["gemini"]), task("t2", ["claude"])], [runner("rnr_a", ["claude"], 1)], none);
    expect(plan).toEqual([{ key: "t2", runnerId: "rnr_a", runtime: "claude" }]);
  });

  it("spreads attempts over runners as their load grows", () => {
    const plan = planDispatch(
      ["t1", "t2", "t3", "t4"].map((k) => task(k, ["claude"])),
      [runner("rnr_a", ["claude"], 2), runner("rnr_b", ["claude"], 2)],
      none,
    );
    expect(plan).toEqual([
      { key: "t1", runnerId: "rnr_a", runtime: "claude" },
      { key: "t2", runnerId: "rnr_b", runtime: "claude" },
      { key: "t3", runnerId: "rnr_a", runtime: "claude" },
      { key: "t4", runnerId: "rnr_b", runtime: "claude" },
    ]);
  });

  it("never gives a runner more than its free slots, counting what it already runs", () => {
    const plan = planDispatch(
      ["t1", "t2", "t3", "t4"].map((k) => task(k, ["claude"])),
      [runner("rnr_a", ["claude"], 3, 1), runner("rnr_full", ["claude"], 2, 2)],
      none,
    );
    expect(plan.map((p) => p.runnerId)).toEqual(["rnr_a", "rnr_a"]);
  });

  it("once the preferred runtime's runner fills up, later attempts use the next runtime", () => {
    const plan = planDispatch(
      ["t1", "t2"].map((k) => task(k, ["claude", "codex"])),
      [runner("rnr_codex", ["codex"], 4), runner("rnr_claude", ["claude"], 1)],
      none,
    );
    expect(plan).toEqual([
      { key: "t1", runnerId: "rnr_claude", runtime: "claude" },
      { key: "t2", runnerId: "rnr_codex", runtime: "codex" },
    ]);
  });

  it("holds an agent to its max concurrent tasks and lets other agents' attempts through", () => {
    const plan = planDispatch(
      [task("a1", ["claude"], "agt_a", 1), task("a2", ["claude"], "agt_a", 1), task("b1", ["claude"], "agt_b", 1)],
      [runner("rnr_a", ["claude"], 8)],
      none,
    );
    expect(plan.map((p) => p.key)).toEqual(["a1", "b1"]);
  });

  it("counts the agent's attempts already dispatched or running", () => {
    const queue = [task("a1", ["claude"], "agt_a", 2), task("a2", ["claude"], "agt_a", 2), task("b1", ["claude"], "agt_b", 2)];
    const runners = [runner("rnr_a", ["claude"], 8)];
    expect(planDispatch(queue, runners, new Map([["agt_a", 1]])).map((p) => p.key)).toEqual(["a1", "b1"]);
    expect(planDispatch(queue, runners, new Map([["agt_a", 2]])).map((p) => p.key)).toEqual(["b1"]);
    expect(planDispatch(queue, runners, new Map([["agt_a", 5]])).map((p) => p.key)).toEqual(["b1"]);
  });

  it("does not mutate its inputs", () => {
    const queue = [task("a1", ["claude"], "agt_a", 3), task("a2", ["codex"], "agt_a", 3), task("b1", ["claude"], "agt_b", 1)];
    const runners = [runner("rnr_a", ["claude"], 2, 1), runner("rnr_b", ["claude", "codex"], 2, 0)];
    const agentBusy = new Map([["agt_a", 1]]);
    const before = structuredClone({ queue, runners, agentBusy });
    const plan = planDispatch(queue, runners, agentBusy);
    expect(plan).toHaveLength(3);
    expect({ queue, runners, agentBusy }).toEqual(before);
    // A second plan from the same snapshot is the same plan.
    expect(planDispatch(queue, runners, agentBusy)).toEqual(plan);
  });
});

describe("pinned attempts (follow-ups resuming a session)", () => {
  it("go only to their runner, and wait while it is full rather than run elsewhere", () => {
    const pinned = { ...task("t1", ["claude"]), pinnedRunner: "rnr_home" };
    expect(placeOne(pinned, [runner("rnr_other", ["claude"]), runner("rnr_home", ["claude"], 2, 1)])).toEqual({ runnerId: "rnr_home", runtime: "claude" });
    expect(placeOne(pinned, [runner("rnr_other", ["claude"]), runner("rnr_home", ["claude"], 1, 1)])).toBeNull();
    expect(planDispatch([pinned, task("t2", ["claude"])], [runner("rnr_other", ["claude"]), runner("rnr_home", ["claude"], 1, 1)], none)).toEqual([
      { key: "t2", runnerId: "rnr_other", runtime: "claude" },
    ]);
  });
});

describe("agent runner pools", () => {
  it("place only on the pool's runners, on whichever of them has room", () => {
    const pooled = { ...task("t1", ["claude"]), allowedRunners: ["rnr_b", "rnr_c"] };
    expect(placeOne(pooled, [runner("rnr_a", ["claude"]), runner("rnr_b", ["claude"], 1, 1), runner("rnr_c", ["claude"])])).toEqual({ runnerId: "rnr_c", runtime: "claude" });
    // With rnr_c gone (offline), rnr_b takes it once it has room; rnr_a never does.
    expect(placeOne(pooled, [runner("rnr_a", ["claude"]), runner("rnr_b", ["claude"], 1, 1)])).toBeNull();
    expect(placeOne(pooled, [runner("rnr_a", ["claude"]), runner("rnr_b", ["claude"], 1, 0)])).toEqual({ runnerId: "rnr_b", runtime: "claude" });
  });
});

interface Row extends QueueKey {
  agentId: string;
  maxConcurrent: number;
}

/** An in-memory queue per agent that counts the rows each read hands out. */
function fakeQueue(rows: Row[]) {
  const reads = { rows: 0, calls: 0, byAgent: new Map<string, number>() };
  const byKey = (a: QueueKey, b: QueueKey) => a.queuedAt - b.queuedAt || (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0);
  const read = (agentId: string, after: QueueKey | null, limit: number): Row[] => {
    const out = rows.filter((r) => r.agentId === agentId && (!after || byKey(r, after) > 0)).sort(byKey).slice(0, limit);
    reads.calls += 1;
    reads.rows += out.length;
    reads.byAgent.set(agentId, (reads.byAgent.get(agentId) ?? 0) + out.length);
    return out;
  };
  const agents = (): QueuedAgent[] =>
    [...new Set(rows.map((r) => r.agentId))].map((agentId) => ({ agentId, limit: Math.max(...rows.filter((r) => r.agentId === agentId).map((r) => r.maxConcurrent)) }));
  return { read, agents, reads };
}

const row = (taskId: string, agentId: string, queuedAt: number, maxConcurrent = 10): Row => ({ taskId, agentId, queuedAt, maxConcurrent });

function pass(rows: Row[], runners: RunnerSlots[], agentBusy: ReadonlyMap<string, number>, refuse: (r: Row) => boolean = () => false) {
  const q = fakeQueue(rows);
  const placed: string[] = [];
  const n = runDispatchPass<Row>({
    agents: q.agents(),
    runners,
    agentBusy,
    read: q.read,
    candidate: (r) => (refuse(r) ? null : { key: r.taskId, agentId: r.agentId, runtimes: ["claude"], maxConcurrent: r.maxConcurrent }),
    commit: (r) => {
      placed.push(r.taskId);
      return true;
    },
  });
  return { n, placed, reads: q.reads };
}

describe("runDispatchPass", () => {
  it("does not read the queue of an agent at its limit, however long, and dispatches another agent's task", () => {
    const runners = [runner("rnr_a", ["claude"], 8, 2)];
    const busy = new Map([["agt_full", 2]]);
    for (const backlog of [10, 1000, 5000]) {
      const rows = Array.from({ length: backlog }, (_, i) => row(`tsk_f${String(i).padStart(5, "0")}`, "agt_full", i, 2));
      const { placed, reads } = pass([...rows, row("tsk_other", "agt_other", backlog + 1)], runners, busy);
      expect(placed).toEqual(["tsk_other"]);
      expect(reads.byAgent.get("agt_full")).toBeUndefined();
      expect(reads.rows).toBe(1);
    }
  });

  it("stops reading an agent once it reaches its limit during the pass", () => {
    const runners = [runner("rnr_a", ["claude"], 50, 0)];
    for (const backlog of [100, 5000]) {
      const rows = Array.from({ length: backlog }, (_, i) => row(`tsk_f${String(i).padStart(5, "0")}`, "agt_lim", i, 3));
      const { placed, reads } = pass(rows, runners, new Map([["agt_lim", 2]]));
      expect(placed).toEqual(["tsk_f00000"]);
      // One read of a few rows (at least MIN_READ), not the backlog.
      expect(reads.calls).toBe(1);
      expect(reads.rows).toBe(8);
    }
  });

  it("serves several agents' queues in one queue order, oldest first, across reads", () => {
    const rows = [row("a1", "agt_a", 1), row("b1", "agt_b", 2), row("a2", "agt_a", 3), row("b2", "agt_b", 4), row("a3", "agt_a", 5)];
    expect(pass(rows, [runner("rnr_a", ["claude"], 4)], none).placed).toEqual(["a1", "b1", "a2", "b2"]);
    const q = fakeQueue([...rows, ...Array.from({ length: 30 }, (_, i) => row(`c${String(i).padStart(2, "0")}`, "agt_c", 10 + i))]);
    const order = [...mergeQueues(["agt_c", "agt_a", "agt_b"], (a, after) => q.read(a, after, 2), () => true)].map((r) => r.taskId);
    expect(order.slice(0, 6)).toEqual(["a1", "b1", "a2", "b2", "a3", "c00"]);
    expect(order).toHaveLength(35);
  });

  it("passes over attempts that must wait or fit nowhere and places the ones behind them", () => {
    const rows = [row("a1", "agt_a", 1), row("a2", "agt_a", 2), row("b1", "agt_b", 3)];
    expect(pass(rows, [runner("rnr_a", ["claude"], 4)], none, (r) => r.taskId === "a1").placed).toEqual(["a2", "b1"]);
  });

  it("counts an attempt's own limit, reads nothing when every slot is taken, and does not mutate its inputs", () => {
    const rows = [row("a1", "agt_a", 1, 1), row("a2", "agt_a", 2, 3)];
    const runners = [runner("rnr_a", ["claude"], 4, 1)];
    const busy = new Map([["agt_a", 1]]);
    const before = structuredClone({ runners, busy });
    expect(pass(rows, runners, busy).placed).toEqual(["a2"]);
    expect({ runners, busy }).toEqual(before);
    const full = pass(rows, [runner("rnr_a", ["claude"], 1, 1)], none);
    expect(full.placed).toEqual([]);
    expect(full.reads.calls).toBe(0);
  });
});
