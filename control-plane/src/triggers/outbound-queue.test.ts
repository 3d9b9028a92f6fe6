/**
 * The outbound queue's SQL against real SQLite (Node's built-in, as the Durable Object's storage
 * stand-in), and which board frames and task transitions become which outbound events.
 */
import { describe, expect, it } from "vitest";
import { newAttempt, toAttemptView, transition, type AttemptState, type Effect } from "../workspace/task-machine";
import { createTestSqlStorage } from "../workspace/test-sql-storage";
import { boardOutboundEvent, taskOutboundEvent } from "./outbound-events";
import { MAX_QUEUED, OutboundQueue, type QueueSubscription } from "./outbound-queue";
import { applyAttempt, type AttemptResult } from "./outbound-retry";

const T0 = Date.UTC(2026, 0, 1);
const WS = "ws_test0001";
const sub = (id: string, events: string[], enabled = true): QueueSubscription => ({ id, url: `http://127.0.0.1/${id}`, secret: "s".repeat(16), events, enabled });
const comment = { type: "comment.added" as const, data: { issueId: "iss_1", comment: { id: "cmt_1" } } };
const fail503: AttemptResult = { ok: false, status: 503, durationMs: 3, error: "HTTP 503", responseSnippet: "" };

function queueWith(...subs: QueueSubscription[]): OutboundQueue {
  const q = new OutboundQueue(createTestSqlStorage(), 8);
  q.setSubscriptions(subs);
  return q;
}

describe("OutboundQueue", () => {
  it("queues one delivery per enabled subscription to the event's type, sharing the event", () => {
    const q = queueWith(sub("sub_a", ["comment.added"]), sub("sub_b", ["issue.created"]), sub("sub_c", ["comment.added"], false), sub("sub_d", ["comment.added", "task.failed"]));
    const queued = q.record(comment, WS, T0);
    expect(queued.map((d) => d.subscriptionId)).toEqual(["sub_a", "sub_d"]);
    expect(new Set(queued.map((d) => d.eventId)).size).toBe(1);
    expect(new Set(queued.map((d) => d.id)).size).toBe(2);
    expect(JSON.parse(queued[0]!.payload)).toMatchObject({ type: "comment.added", workspaceId: WS, createdAt: new Date(T0).toISOString(), data: comment.data });
    expect(q.record({ type: "task.started", data: {} }, WS, T0)).toEqual([]);
    expect(q.nextDueAt()).toBe(T0);
  });

  it("takes due rows once, under a lease, and brings them back when the lease runs out", () => {
    const q = queueWith(sub("sub_a", ["comment.added"]));
    const [d] = q.record(comment, WS, T0);
    expect(q.take(T0 - 1, 10, T0 + 100)).toEqual([]);
    expect(q.take(T0, 10, T0 + 100).map((r) => r.id)).toEqual([d!.id]);
    expect(q.take(T0 + 50, 10, T0 + 200)).toEqual([]);
    expect(q.nextDueAt()).toBe(T0 + 100);
    // The attempt never stored an outcome (the object crashed): due again after the lease.
    expect(q.take(T0 + 100, 10, T0 + 300).map((r) => r.id)).toEqual([d!.id]);
  });

  it("keeps a retrying row until D1 has its final state, and never marks a newer state mirrored", () => {
    const q = queueWith(sub("sub_a", ["comment.added"]));
    const [d] = q.record(comment, WS, T0);
    expect(q.unmirrored(10).map((r) => r.version)).toEqual([1]);
    expect(q.hasUnmirrored()).toBe(true);
    const retrying = applyAttempt(d!.log, fail503, T0 + 10, 0.5);
    const v2 = q.save(d!.id, retrying)!;
    q.markMirrored(d!.id, 1); // an older write finishing late
    expect(q.unmirrored(10).map((r) => r.version)).toEqual([v2]);
    q.markMirrored(d!.id, v2);
    expect(q.unmirrored(10)).toEqual([]);
    expect(q.hasUnmirrored()).toBe(false);
    expect(q.get(d!.id)?.log).toMatchObject({ status: "retrying", attempt: 1 });
    expect(q.nextDueAt()).toBe(retrying.nextAttemptAt);

    const delivered = applyAttempt(retrying, { ok: true, status: 200, durationMs: 2, responseSnippet: "ok" }, T0 + 20, 0.5);
    const v3 = q.save(d!.id, delivered)!;
    expect(q.nextDueAt()).toBeNull();
    q.markMirrored(d!.id, v3);
    expect(q.get(d!.id)).toBeNull();
  });

  it("requeues a failed delivery for exactly one more attempt, keeping its history", () => {
    const q = queueWith(sub("sub_a", ["comment.added"]));
    const [d] = q.record(comment, WS, T0);
    let log = d!.log;
    for (let i = 0; i < 8; i += 1) log = applyAttempt(log, fail503, T0 + i, 0.5);
    expect(log).toMatchObject({ status: "failed", failReason: "max_attempts", attempt: 8 });
    const again = q.requeue({ ...d!, log }, T0 + 1000);
    expect(again).toMatchObject({ maxAttempts: 9, log: { status: "retrying", nextAttemptAt: T0 + 1000, failReason: null, attempt: 8 } });
    expect(q.take(T0 + 1000, 10, T0 + 2000).map((r) => r.id)).toEqual([d!.id]);
  });

  it("drops the rows of deleted subscriptions and stops matching disabled ones", () => {
    const q = queueWith(sub("sub_a", ["comment.added"]), sub("sub_b", ["comment.added"]));
    q.record(comment, WS, T0);
    q.setSubscriptions([sub("sub_b", ["comment.added"])]);
    expect(q.unmirrored(10).map((r) => r.subscriptionId)).toEqual(["sub_b"]);
    q.disableSubscription("sub_b");
    expect(q.subscription("sub_b")?.enabled).toBe(false);
    expect(q.record(comment, WS, T0)).toEqual([]);
    expect(q.recordPing("sub_nope", WS, T0)).toBeNull();
    expect(JSON.parse(q.recordPing("sub_b", WS, T0)!.payload)).toMatchObject({ type: "ping", data: { subscriptionId: "sub_b" } });
  });

  it("reads its subscriptions back from storage after a restart", () => {
    const sql = createTestSqlStorage();
    new OutboundQueue(sql, 8).setSubscriptions([sub("sub_a", ["comment.added"])]);
    expect(new OutboundQueue(sql, 8).record(comment, WS, T0)).toHaveLength(1);
  });

  it("stops queueing at MAX_QUEUED undelivered rows", () => {
    const q = queueWith(sub("sub_a", ["comment.added"]));
    for (let i = 0; i < MAX_QUEUED; i += 1) q.record(comment, WS, T0);
    expect(q.record(comment, WS, T0)).toEqual([]);
    expect(q.undelivered()).toBe(MAX_QUEUED);
  });
});

describe("outbound events", () => {
  const view = { id: "iss_1", createdAt: T0, updatedAt: T0 };
  it("tells an issue's creation from its updates", () => {
    expect(boardOutboundEvent({ type: "issue.changed", issueId: "iss_1", issue: view })?.type).toBe("issue.created");
    expect(boardOutboundEvent({ type: "issue.changed", issueId: "iss_1", issue: { ...view, updatedAt: T0 + 5 } })?.type).toBe("issue.updated");
    expect(boardOutboundEvent({ type: "issue.changed", issueId: "iss_1", issue: view, changes: { title: "x" } })).toEqual({ type: "issue.updated", data: { issue: view, changes: { title: "x" } } });
    expect(boardOutboundEvent({ type: "comment.added", issueId: "iss_1", comment: { id: "cmt_1" } })).toEqual({ type: "comment.added", data: { issueId: "iss_1", comment: { id: "cmt_1" } } });
    expect(boardOutboundEvent({ type: "activity", issueId: "iss_1", activity: {} })).toBeNull();
  });

  const first = newAttempt({ taskId: "tsk_aaaa0001", issueId: "iss_1", agentId: "agt_aaaa0001", runtimes: ["command:x"], maxAttempts: 2 }, 1, T0);
  const step = (s: AttemptState, e: Parameters<typeof transition>[1]) => {
    const r = transition(s, e);
    if (!r.ok) throw new Error(r.reason);
    return { prev: s, next: r.state, effects: r.effects, type: taskOutboundEvent(s, toAttemptView(r.state), r.effects)?.type ?? null };
  };
  const exit = { exitCode: 0, signal: null, error: null, durationMs: 1 };
  const running = step(step(first, { type: "dispatch", runnerId: "rnr_1", runtime: "command:x", now: T0, leaseMs: 1000 }).next, { type: "started", runnerId: "rnr_1", now: T0, leaseMs: 1000 });

  it("maps an attempt's start and end to task events, and a retried or parked ending to none", () => {
    expect(step(first, { type: "dispatch", runnerId: "rnr_1", runtime: "command:x", now: T0, leaseMs: 1000 }).type).toBeNull();
    expect(running.type).toBe("task.started");
    const report = (status: "succeeded" | "failed" | "lost", failure?: { kind: "rate_limit"; message: string; retryAt: null }) =>
      step(running.next, { type: "report", runnerId: "rnr_1", status, exit, sessionId: null, usage: null, now: T0 + 1, ...(failure ? { failure } : {}) });
    expect(report("succeeded").type).toBe("task.succeeded");
    expect(report("failed").type).toBe("task.failed");
    expect(report("failed", { kind: "rate_limit", message: "slow down", retryAt: null }).type).toBeNull();
    expect(report("lost").type).toBeNull(); // attempt 2 of 2 follows
    expect(step({ ...running.next, attempt: 2 }, { type: "lease_expired", now: T0 + 5000 }).type).toBe("task.failed");
    expect(step(first, { type: "cancel", now: T0 }).type).toBe("task.cancelled");
    const renewed: Effect[] = [];
    expect(taskOutboundEvent(running.next, toAttemptView(running.next), renewed)).toBeNull();
  });
});
