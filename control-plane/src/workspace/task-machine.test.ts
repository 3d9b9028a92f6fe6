// The attempt state machine: every transition, every rejection, and that inputs are never mutated.
import { AttemptView, TASK_STATUSES, type ExitInfo, type ReportStatus, type TaskStatus } from "@multica/shared";
import { describe, expect, it } from "vitest";
import { DEFAULT_PARK_MS, MAX_PARKS, newAttempt, toAttemptView, transition, type AttemptState, type Effect, type TaskEvent, type TransitionResult } from "./task-machine";

const LEASE = 1_000;
const T0 = 10_000;
const exit: ExitInfo = { exitCode: 0, signal: null, error: null, durationMs: 5 };

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Applies one event and checks the input came through untouched (frozen, and equal to a copy). */
function step(s: AttemptState, e: TaskEvent): TransitionResult {
  const before = structuredClone(s);
  const result = transition(deepFreeze(s), e);
  expect(s).toEqual(before);
  return result;
}

function accepted(s: AttemptState, e: TaskEvent) {
  const r = step(s, e);
  if (!r.ok) throw new Error(`expected ${e.type} on ${s.status} to be accepted, got: ${r.reason}`);
  return r;
}

function rejected(s: AttemptState, e: TaskEvent): string {
  const r = step(s, e);
  if (r.ok) throw new Error(`expected ${e.type} on ${s.status} to be rejected`);
  return r.reason;
}

const queued = (over: Partial<AttemptState> = {}): AttemptState => ({
  ...newAttempt({ taskId: "tsk_aaaa1111", issueId: "iss_aaaa1111", agentId: "agt_aaaa1111", runtimes: ["claude", "codex"], maxAttempts: 3 }, 1, T0),
  ...over,
});
const dispatch = (runnerId = "rnr_one", now = T0 + 10): TaskEvent => ({ type: "dispatch", runnerId, runtime: "codex", now, leaseMs: LEASE });
const started = (runnerId = "rnr_one", now = T0 + 20): TaskEvent => ({ type: "started", runnerId, now, leaseMs: LEASE });
const renew = (runnerId = "rnr_one", now = T0 + 30): TaskEvent => ({ type: "renew", runnerId, now, leaseMs: LEASE });
const report = (status: ReportStatus, runnerId = "rnr_one", now = T0 + 40, over: Partial<Extract<TaskEvent, { type: "report" }>> = {}): TaskEvent => ({
  type: "report",
  runnerId,
  status,
  exit,
  sessionId: null,
  usage: null,
  now,
  ...over,
});
const cancel = (now = T0 + 50): TaskEvent => ({ type: "cancel", now });
const expired = (now: number): TaskEvent => ({ type: "lease_expired", now });
const absent = (runnerId = "rnr_one", now = T0 + 60): TaskEvent => ({ type: "runner_absent", runnerId, now });

const dispatched = (over: Partial<AttemptState> = {}) => ({ ...accepted(queued(), dispatch()).state, ...over });
const running = (over: Partial<AttemptState> = {}) => ({ ...accepted(dispatched(), started()).state, ...over });
/** A state in `status`, held by rnr_one unless queued, with a lease that ran out at T0 + 100. */
const inStatus = (status: TaskStatus): AttemptState =>
  status === "queued" ? queued() : { ...running(), status, leaseExpiresAt: status === "dispatched" || status === "running" ? T0 + 100 : null };

describe("newAttempt", () => {
  it("starts queued with nothing assigned and carries the base fields", () => {
    const s = newAttempt({ taskId: "tsk_bbbb2222", issueId: "iss_x1", agentId: "agt_x1", runtimes: ["gemini"], maxAttempts: 5 }, 2, 123);
    expect(s).toEqual({
      taskId: "tsk_bbbb2222",
      attempt: 2,
      issueId: "iss_x1",
      agentId: "agt_x1",
      runtimes: ["gemini"],
      runtime: null,
      status: "queued",
      runnerId: null,
      leaseExpiresAt: null,
      queuedAt: 123,
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
      maxAttempts: 5,
      failure: null,
      notBefore: null,
      parks: 0,
    });
  });

  it("makes a fresh attempt from a lost one: status, runner and results reset, identity kept", () => {
    const lost = accepted(running({ sessionId: "sess-1", lastSeq: 9 }), report("lost")).state;
    const next = newAttempt(lost, lost.attempt + 1, T0 + 500);
    expect(next).toMatchObject({ taskId: lost.taskId, attempt: 2, status: "queued", runnerId: null, runtime: null, sessionId: null, lastSeq: 0, queuedAt: T0 + 500 });
  });
});

describe("toAttemptView", () => {
  it("exposes the public fields only and satisfies the shared AttemptView schema", () => {
    const s = running({ usage: { inputTokens: 3, outputTokens: 4 }, lastSeq: 7 });
    const view = toAttemptView(s);
    expect(AttemptView.safeParse(view).success).toBe(true);
    expect(view).not.toHaveProperty("leaseExpiresAt");
    expect(view).not.toHaveProperty("runtimes");
    expect(view).not.toHaveProperty("maxAttempts");
    expect(view).toMatchObject({ taskId: s.taskId, attempt: 1, status: "running", runnerId: "rnr_one", runtime: "codex", lastSeq: 7, usage: { inputTokens: 3, outputTokens: 4 } });
  });

  it("shows the chosen runtime, else the agent's first preference, else an empty string", () => {
    expect(toAttemptView(dispatched()).runtime).toBe("codex");
    expect(toAttemptView(queued()).runtime).toBe("claude");
    expect(toAttemptView(queued({ runtimes: [] })).runtime).toBe("");
  });
});

describe("which events each status accepts", () => {
  const events: Record<TaskEvent["type"], TaskEvent> = {
    dispatch: dispatch(),
    started: started(),
    renew: renew(),
    report: report("succeeded"),
    cancel: cancel(),
    lease_expired: expired(T0 + 100),
    runner_absent: absent(),
  };
  const accepts: Record<TaskEvent["type"], readonly TaskStatus[]> = {
    dispatch: ["queued"],
    started: ["dispatched", "running"],
    renew: ["dispatched", "running"],
    // Terminal statuses accept a report from the former holder as an idempotent no-op.
    report: ["dispatched", "running", "succeeded", "failed", "cancelled", "lost"],
    cancel: ["queued", "dispatched", "running"],
    lease_expired: ["dispatched", "running"],
    runner_absent: ["dispatched", "running"],
  };
  for (const [type, event] of Object.entries(events) as [TaskEvent["type"], TaskEvent][]) {
    for (const status of TASK_STATUSES) {
      const ok = accepts[type].includes(status);
      it(`${type} on ${status}: ${ok ? "accepted" : "rejected"}`, () => {
        const r = step(inStatus(status), event);
        expect(r.ok).toBe(ok);
        if (!r.ok) expect(r.reason).toMatch(/\w/);
      });
    }
  }
});

describe("dispatch", () => {
  it("moves queued to dispatched on the runner and runtime given, with a lease, and sends the assign", () => {
    const r = accepted(queued(), dispatch("rnr_two", T0 + 5));
    expect(r.state).toMatchObject({ status: "dispatched", runnerId: "rnr_two", runtime: "codex", dispatchedAt: T0 + 5, leaseExpiresAt: T0 + 5 + LEASE, startedAt: null });
    expect(r.effects).toEqual([{ type: "send_assign", runnerId: "rnr_two" }]);
  });

  it("is rejected while a cancel is requested, even when still queued", () => {
    expect(rejected(queued({ cancelRequested: true }), dispatch())).toMatch(/cancel/);
  });

  it("is rejected on an already dispatched attempt (no double assignment)", () => {
    expect(rejected(dispatched(), dispatch("rnr_two"))).toMatch(/dispatched/);
  });
});

describe("started and renew", () => {
  it("started by the holder moves dispatched to running and renews the lease", () => {
    const r = accepted(dispatched(), started("rnr_one", T0 + 20));
    expect(r.state).toMatchObject({ status: "running", startedAt: T0 + 20, leaseExpiresAt: T0 + 20 + LEASE });
    expect(r.effects).toEqual([]);
  });

  it("a repeated started keeps the first start time", () => {
    const r = accepted(running(), started("rnr_one", T0 + 900));
    expect(r.state.startedAt).toBe(T0 + 20);
    expect(r.state.leaseExpiresAt).toBe(T0 + 900 + LEASE);
  });

  it("renew by the holder moves the lease and nothing else", () => {
    for (const s of [dispatched(), running()]) {
      const r = accepted(s, renew("rnr_one", T0 + 700));
      expect(r.state).toEqual({ ...s, leaseExpiresAt: T0 + 700 + LEASE });
      expect(r.effects).toEqual([]);
    }
  });

  it("started and renew from a runner that does not hold the attempt are rejected", () => {
    for (const s of [dispatched(), running()]) {
      expect(rejected(s, started("rnr_other"))).toMatch(/does not hold/);
      expect(rejected(s, renew("rnr_other"))).toMatch(/does not hold/);
    }
  });

  it("renew from the former holder after the attempt ended is rejected", () => {
    const lost = accepted(running(), expired(T0 + 5_000)).state;
    expect(lost.runnerId).toBe("rnr_one");
    expect(rejected(lost, renew("rnr_one"))).toMatch(/does not hold/);
  });
});

describe("report", () => {
  it("ends the attempt with what the runner reported and posts the result", () => {
    const r = accepted(
      running(),
      report("failed", "rnr_one", T0 + 40, {
        exit: { exitCode: 2, signal: null, error: "agent failed", durationMs: 9 },
        sessionId: "sess-9",
        usage: { inputTokens: 10, outputTokens: 20, costUsd: 0.5 },
      }),
    );
    expect(r.state).toMatchObject({
      status: "failed",
      endedAt: T0 + 40,
      leaseExpiresAt: null,
      exitCode: 2,
      signal: null,
      error: "agent failed",
      sessionId: "sess-9",
      usage: { inputTokens: 10, outputTokens: 20, costUsd: 0.5 },
      startedAt: T0 + 20,
    });
    expect(r.effects).toEqual([{ type: "ended" }]);
  });

  it("succeeded ends succeeded, with no retry", () => {
    const r = accepted(running(), report("succeeded"));
    expect(r.state.status).toBe("succeeded");
    expect(r.effects).toEqual([{ type: "ended" }]);
  });

  it("keeps the known session id and usage when the report carries none", () => {
    const r = accepted(running({ sessionId: "sess-old", usage: { inputTokens: 1, outputTokens: 1 } }), report("succeeded"));
    expect(r.state.sessionId).toBe("sess-old");
    expect(r.state.usage).toEqual({ inputTokens: 1, outputTokens: 1 });
  });

  it("a report on an attempt that never said started takes the dispatch time as its start", () => {
    const r = accepted(dispatched(), report("failed"));
    expect(r.state.startedAt).toBe(T0 + 10);
  });

  it("from a runner that does not hold the attempt is rejected", () => {
    expect(rejected(running(), report("succeeded", "rnr_other"))).toMatch(/does not hold/);
    expect(rejected(dispatched(), report("succeeded", "rnr_other"))).toMatch(/does not hold/);
    expect(rejected(queued(), report("succeeded", "rnr_one"))).toMatch(/does not hold/);
  });

  it("a repeated report after the end is an idempotent no-op", () => {
    const ended = accepted(running(), report("succeeded")).state;
    const again = accepted(ended, report("failed", "rnr_one", T0 + 999, { exit: { exitCode: 1, signal: null, error: "x", durationMs: 1 } }));
    expect(again.state).toEqual(ended);
    expect(again.effects).toEqual([]);
  });

  it("a late report after the lease expired changes nothing and queues no second retry", () => {
    const lost = accepted(running(), expired(T0 + 5_000)).state;
    const late = accepted(lost, report("succeeded", "rnr_one", T0 + 6_000));
    expect(late.state).toEqual(lost);
    expect(late.effects).toEqual([]);
  });

  it("lost asks for a retry while attempts remain", () => {
    const r = accepted(running({ attempt: 2, maxAttempts: 3 }), report("lost"));
    expect(r.state.status).toBe("lost");
    expect(r.effects).toEqual([{ type: "ended" }, { type: "retry" }]);
  });

  it("lost on the last attempt ends without a retry", () => {
    const r = accepted(running({ attempt: 3, maxAttempts: 3 }), report("lost"));
    expect(r.state.status).toBe("lost");
    expect(r.effects).toEqual([{ type: "ended" }]);
  });

  it("lost while a cancel is requested ends cancelled, without a retry", () => {
    const r = accepted(running({ cancelRequested: true }), report("lost"));
    expect(r.state.status).toBe("cancelled");
    expect(r.effects).toEqual([{ type: "ended" }]);
  });

  it("cancelled after a requested cancel ends cancelled", () => {
    const r = accepted(running({ cancelRequested: true }), report("cancelled"));
    expect(r.state.status).toBe("cancelled");
    expect(r.effects).toEqual([{ type: "ended" }]);
  });
});

describe("cancel", () => {
  it("of a queued attempt ends it cancelled at once", () => {
    const r = accepted(queued(), cancel(T0 + 50));
    expect(r.state).toMatchObject({ status: "cancelled", cancelRequested: true, endedAt: T0 + 50, runnerId: null });
    expect(r.state.error).toMatch(/before it started/);
    expect(r.effects).toEqual([{ type: "ended" }]);
  });

  it("of a held attempt marks the request and tells the holder, status unchanged", () => {
    for (const s of [dispatched(), running()]) {
      const r = accepted(s, cancel());
      expect(r.state).toEqual({ ...s, cancelRequested: true });
      expect(r.effects).toEqual([{ type: "send_cancel", runnerId: "rnr_one", reason: "cancelled by a member" }]);
    }
  });

  it("a second cancel of a running attempt has no further effect", () => {
    const first = accepted(running(), cancel()).state;
    const second = accepted(first, cancel(T0 + 60));
    expect(second.state).toEqual(first);
    expect(second.effects).toEqual([]);
  });

  it("of an ended attempt is rejected", () => {
    for (const status of ["succeeded", "failed", "cancelled", "lost"] as const) {
      expect(rejected(inStatus(status), cancel())).toMatch(new RegExp(status));
    }
  });
});

describe("lease_expired", () => {
  it("is rejected before the lease runs out", () => {
    const s = running();
    expect(rejected(s, expired(s.leaseExpiresAt! - 1))).toMatch(/not expired/);
  });

  it("at or after expiry ends lost, tells the runner to stop, and asks for a retry", () => {
    const s = running();
    for (const now of [s.leaseExpiresAt!, s.leaseExpiresAt! + 5_000]) {
      const r = accepted(s, expired(now));
      expect(r.state).toMatchObject({ status: "lost", endedAt: now, leaseExpiresAt: null });
      expect(r.state.error).toMatch(/lease/);
      expect(r.effects).toEqual([{ type: "send_cancel", runnerId: "rnr_one", reason: "lease expired" }, { type: "ended" }, { type: "retry" }]);
    }
  });

  it("expires a dispatched attempt that never started, too", () => {
    const s = dispatched();
    const r = accepted(s, expired(s.leaseExpiresAt!));
    expect(r.state.status).toBe("lost");
    expect(r.effects).toContainEqual({ type: "retry" });
  });

  it("on the last attempt ends lost without a retry", () => {
    const r = accepted(running({ attempt: 3, maxAttempts: 3 }), expired(T0 + 5_000));
    expect(r.state.status).toBe("lost");
    expect(r.effects).toEqual([{ type: "send_cancel", runnerId: "rnr_one", reason: "lease expired" }, { type: "ended" }]);
  });

  it("while a cancel is requested ends cancelled, without a retry", () => {
    const r = accepted(running({ cancelRequested: true }), expired(T0 + 5_000));
    expect(r.state.status).toBe("cancelled");
    expect(r.effects).toEqual([{ type: "send_cancel", runnerId: "rnr_one", reason: "lease expired" }, { type: "ended" }]);
  });

  it("is rejected on a queued or ended attempt", () => {
    expect(rejected(queued(), expired(T0 + 5_000))).toMatch(/no lease/);
    expect(rejected(inStatus("succeeded"), expired(T0 + 5_000))).toMatch(/no lease/);
  });
});

describe("runner_absent", () => {
  it("puts a dispatched attempt back in the queue, same attempt, no runner, no retry", () => {
    const r = accepted(dispatched(), absent());
    expect(r.state).toEqual({ ...queued(), status: "queued", runnerId: null, runtime: null, dispatchedAt: null, leaseExpiresAt: null });
    expect(r.state.attempt).toBe(1);
    expect(r.effects).toEqual([]);
    // …and it can be dispatched again.
    expect(accepted(r.state, dispatch("rnr_two")).state.runnerId).toBe("rnr_two");
  });

  it("ends a running attempt lost and asks for a retry", () => {
    const r = accepted(running(), absent("rnr_one", T0 + 60));
    expect(r.state).toMatchObject({ status: "lost", endedAt: T0 + 60, leaseExpiresAt: null });
    expect(r.effects).toEqual([{ type: "ended" }, { type: "retry" }]);
  });

  it("ends a running attempt with a requested cancel as cancelled, without a retry", () => {
    const r = accepted(running({ cancelRequested: true }), absent());
    expect(r.state.status).toBe("cancelled");
    expect(r.effects).toEqual([{ type: "ended" }]);
  });

  it("about another runner is rejected", () => {
    expect(rejected(dispatched(), absent("rnr_other"))).toMatch(/does not hold/);
    expect(rejected(running(), absent("rnr_other"))).toMatch(/does not hold/);
  });
});

describe("a whole attempt", () => {
  it("goes queued → dispatched → running → succeeded with one assign and one ended", () => {
    let s = queued();
    const effects: Effect[] = [];
    for (const e of [dispatch(), started(), renew(), report("succeeded"), report("succeeded")]) {
      const r = accepted(s, e);
      s = r.state;
      effects.push(...r.effects);
    }
    expect(s.status).toBe("succeeded");
    expect(effects).toEqual([{ type: "send_assign", runnerId: "rnr_one" }, { type: "ended" }]);
  });
});

describe("failures and rate-limit parking", () => {
  const rateLimited = (retryAt: number | null, now = T0 + 40) =>
    report("failed", "rnr_one", now, { failure: { kind: "rate_limit", message: "429: slow down", retryAt } });

  it("parks a rate-limited attempt until the provider's reset time instead of ending the task", () => {
    const r = accepted(running(), rateLimited(T0 + 60_000));
    expect(r.state).toMatchObject({ status: "failed", failure: { kind: "rate_limit", retryAt: T0 + 60_000 } });
    expect(r.effects).toEqual([{ type: "ended" }, { type: "park", until: T0 + 60_000 }]);
  });

  it("parks for a default time when no reset time was given, and at least a second when it is past", () => {
    expect(accepted(running(), rateLimited(null)).effects).toContainEqual({ type: "park", until: T0 + 40 + DEFAULT_PARK_MS });
    expect(accepted(running(), rateLimited(T0 - 5_000)).effects).toContainEqual({ type: "park", until: T0 + 40 + 1000 });
  });

  it("stops parking after MAX_PARKS, and never parks a cancelled task", () => {
    expect(accepted(running({ parks: MAX_PARKS }), rateLimited(T0 + 60_000)).effects).toEqual([{ type: "ended" }]);
    const cancelling = accepted(running(), cancel()).state;
    expect(accepted(cancelling, rateLimited(T0 + 60_000)).effects).toEqual([{ type: "ended" }]);
  });

  it("refuses to dispatch a parked attempt before its time and accepts it after", () => {
    const parked = queued({ notBefore: T0 + 1_000 });
    expect(rejected(parked, dispatch("rnr_one", T0 + 999))).toMatch(/parked until/);
    expect(accepted(parked, dispatch("rnr_one", T0 + 1_000)).state).toMatchObject({ status: "dispatched", notBefore: null });
  });

  it("classifies endings the runner did not: lost → runner_lost, cancelled, plain failed → agent_error; success has none", () => {
    expect(accepted(running(), expired(T0 + 5_000)).state.failure).toMatchObject({ kind: "runner_lost" });
    expect(accepted(queued(), cancel()).state.failure).toMatchObject({ kind: "cancelled" });
    expect(accepted(running(), report("failed")).state.failure).toMatchObject({ kind: "agent_error" });
    expect(accepted(running(), report("succeeded")).state.failure).toBeNull();
    const badConfig = { kind: "bad_config" as const, message: "claude not installed", retryAt: null };
    const r = accepted(running(), report("failed", "rnr_one", T0 + 40, { failure: badConfig }));
    expect(r.state.failure).toEqual(badConfig);
    expect(r.effects).toEqual([{ type: "ended" }]);
  });
});
