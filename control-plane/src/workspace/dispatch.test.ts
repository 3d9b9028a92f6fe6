// Dispatch planning: queue order, runtime preference, runner load and slots, agent limits, and no mutation.
import { describe, expect, it } from "vitest";
import { placeOne, planDispatch, type QueuedAttempt, type RunnerSlots } from "./dispatch";

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
