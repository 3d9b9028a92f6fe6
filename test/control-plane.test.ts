/**
 * Control plane integration: real workerd (wrangler dev), real D1 migrations, real WebSockets.
 * A raw protocol client plays the runner so each frame is under the test's control.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlTaskAssign } from "@multica/shared";
import { startControlPlane, waitFor, type TestControlPlane } from "./helpers/control-plane";
import { RawRunner, Viewer } from "./helpers/sockets";

let cp: TestControlPlane;
let runnerToken: string;

beforeAll(async () => {
  cp = await startControlPlane({ LEASE_MS: "2000" });
  runnerToken = await cp.runnerToken();
});
afterAll(async () => {
  await cp?.stop();
});

const ev = (seq: number, text: string) => ({ seq, ts: Date.now(), event: { kind: "output" as const, stream: "stdout" as const, text } });

describe("task lifecycle over the protocol", () => {
  it("pushes an assigned task to a connected runner, streams to viewers, stores the result", async () => {
    const runner = await RawRunner.connect(cp.url, runnerToken);
    const welcome = await runner.hello("rnr_lifecycle01", ["command:echo"]);
    expect(welcome).toMatchObject({ type: "welcome", leaseMs: 2000, revoked: [] });

    const { taskId, issueId } = await cp.api.assignNew(["command:echo"]);
    const assign = (await runner.next((m) => m.type === "task.assign")) as ControlTaskAssign;
    expect(assign).toMatchObject({ taskId, attempt: 1, runtime: "command:echo", issue: { id: issueId, title: "test issue" } });
    expect(assign.prompt).toContain("do the thing");

    const viewer = await Viewer.connect(cp.url, cp.workspaceId, cp.adminToken, taskId);
    await viewer.next((m) => m.type === "replay.done");
    runner.send({ type: "task.started", taskId, attempt: 1 });
    runner.send({ type: "task.events", taskId, attempt: 1, events: [ev(1, "one"), ev(2, "two")] });
    runner.send({ type: "task.events", taskId, attempt: 1, events: [ev(2, "two"), ev(3, "three")] }); // overlap: resend
    await runner.next((m) => m.type === "ack" && m.seq === 3);
    runner.send({ type: "task.report", taskId, attempt: 1, status: "succeeded", lastSeq: 3, exit: { exitCode: 0, signal: null, error: null, durationMs: 5 }, sessionId: null, usage: null });
    await runner.next((m) => m.type === "report.ack");

    await viewer.next((m) => m.type === "task.status" && m.attempt.status === "succeeded");
    expect(viewer.texts()).toEqual(["one", "two", "three"]);
    const statuses = viewer.received.flatMap((m) => (m.type === "task.status" ? [m.attempt.status] : []));
    expect(statuses).toEqual(["running", "succeeded"]);

    const task = await cp.api.task(taskId);
    expect(task.body.task).toMatchObject({ status: "succeeded", exitCode: 0, lastSeq: 3 });
    expect(task.body.transcript.events.map((e) => e.event.text)).toEqual(["one", "two", "three"]);

    // The result lands on the issue as a comment once mirrored to D1.
    const issue = await waitFor(async () => {
      const r = await cp.api.get<{ issue: { status: string }; comments: { body: string }[]; tasks: { status: string }[] }>(`/issues/${issueId}`);
      return r.body.comments.length > 0 && r.body.tasks[0]?.status === "succeeded" ? r.body : null;
    }, 10_000, "result comment");
    // Done is for humans: a successful run asks for review.
    expect(issue.issue.status).toBe("in_review");
    expect(issue.comments[0]!.body).toMatch(/^Attempt 1 succeeded on runner rnr_lifecycle01/);
    expect(issue.comments[0]!.body).toContain("three");
    viewer.close();
    runner.close();
  });

  it("replays what a late viewer missed, from a given seq", async () => {
    const runner = await RawRunner.connect(cp.url, runnerToken);
    await runner.hello("rnr_replay0001", ["command:replay"]);
    const { taskId } = await cp.api.assignNew(["command:replay"]);
    await runner.next((m) => m.type === "task.assign");
    runner.send({ type: "task.events", taskId, attempt: 1, events: [1, 2, 3, 4, 5].map((i) => ev(i, `line ${i}`)) });
    await runner.next((m) => m.type === "ack" && m.seq === 5);
    const late = await Viewer.connect(cp.url, cp.workspaceId, cp.adminToken, taskId, "&attempt=1&after=2");
    // A viewer of another task hears nothing of this one.
    const other = await cp.api.assignNew(["command:nobody-runs-this"]);
    const bystander = await Viewer.connect(cp.url, cp.workspaceId, cp.adminToken, other.taskId);
    await bystander.next((m) => m.type === "replay.done");
    const done = await late.next((m) => m.type === "replay.done");
    expect(done).toMatchObject({ replayed: 3 });
    runner.send({ type: "task.events", taskId, attempt: 1, events: [ev(6, "line 6")] });
    await late.next((m) => m.type === "task.event" && m.seq === 6);
    expect(late.texts()).toEqual(["line 3", "line 4", "line 5", "line 6"]);
    expect(bystander.received.map((m) => m.type)).toEqual(["task.snapshot", "replay.done"]);
    bystander.close();
    late.close();
    runner.close();
  });

  it("marks an attempt lost when its runner vanishes and pushes attempt 2 to another runner", async () => {
    const a = await RawRunner.connect(cp.url, runnerToken);
    await a.hello("rnr_vanish0001", ["command:lease"]);
    const { taskId } = await cp.api.assignNew(["command:lease"]);
    await a.next((m) => m.type === "task.assign");
    a.send({ type: "task.started", taskId, attempt: 1 });
    a.ws.terminate();
    const b = await RawRunner.connect(cp.url, runnerToken);
    await b.hello("rnr_vanish0002", ["command:lease"]);
    const second = await b.next((m) => m.type === "task.assign", 10_000);
    expect(second).toMatchObject({ taskId, attempt: 2 });
    const task = await cp.api.task(taskId);
    expect(task.body.attempts.map((t) => [t.attempt, t.status, t.runnerId])).toEqual([
      [1, "lost", "rnr_vanish0001"],
      [2, "dispatched", "rnr_vanish0002"],
    ]);
    b.close();
  });

  it("resumes a viewer with a per-attempt cursor: late events of a lost attempt that came after the retry's are replayed, nothing twice", async () => {
    const ran = (v: Viewer) => v.received.flatMap((m) => (m.type === "task.event" ? [`${m.attempt}.${m.seq}`] : []));
    const a = await RawRunner.connect(cp.url, runnerToken);
    await a.hello("rnr_lateevt001", ["command:late"]);
    const { taskId } = await cp.api.assignNew(["command:late"]);
    await a.next((m) => m.type === "task.assign");
    a.send({ type: "task.started", taskId, attempt: 1 });
    a.send({ type: "task.events", taskId, attempt: 1, events: [ev(1, "a1"), ev(2, "a2"), ev(3, "a3")] });
    await a.next((m) => m.type === "ack" && m.seq === 3);
    const viewer = await Viewer.connect(cp.url, cp.workspaceId, cp.adminToken, taskId);
    await viewer.next((m) => m.type === "task.event" && m.seq === 3);

    // Attempt 1's runner is killed: the lease (2 s here) declares it lost and attempt 2 streams.
    a.ws.terminate();
    const b = await RawRunner.connect(cp.url, runnerToken);
    await b.hello("rnr_lateevt002", ["command:late"]);
    await b.next((m) => m.type === "task.assign", 10_000);
    b.send({ type: "task.started", taskId, attempt: 2 });
    b.send({ type: "task.events", taskId, attempt: 2, events: [ev(1, "b1"), ev(2, "b2")] });
    await viewer.next((m) => m.type === "task.event" && m.attempt === 2 && m.seq === 2);
    expect(ran(viewer)).toEqual(["1.1", "1.2", "1.3", "2.1", "2.2"]);
    viewer.close();
    await viewer.closed;

    // While no viewer watches, attempt 1's runner comes back on its data directory and delivers the rest.
    const back = await RawRunner.connect(cp.url, runnerToken);
    await back.hello("rnr_lateevt001", ["command:late-nothing-else"]);
    back.send({ type: "task.events", taskId, attempt: 1, events: [ev(3, "a3"), ev(4, "a4"), ev(5, "a5")] });
    await back.next((m) => m.type === "ack" && m.attempt === 1 && m.seq === 5);

    const resumed = await Viewer.connect(cp.url, cp.workspaceId, cp.adminToken, taskId, "&cursor=1:3,2:2");
    expect(await resumed.next((m) => m.type === "replay.done")).toMatchObject({ replayed: 2 });
    expect(ran(resumed)).toEqual(["1.4", "1.5"]);
    expect(resumed.texts()).toEqual(["a4", "a5"]);
    // Live frames follow the replay as usual.
    b.send({ type: "task.events", taskId, attempt: 2, events: [ev(3, "b3")] });
    await resumed.next((m) => m.type === "task.event" && m.attempt === 2 && m.seq === 3);
    expect(ran(resumed)).toEqual(["1.4", "1.5", "2.3"]);

    // The old single position still works, and shows why it is not enough: it skips attempt 1 whole.
    const old = await Viewer.connect(cp.url, cp.workspaceId, cp.adminToken, taskId, "&attempt=2&after=2");
    expect(await old.next((m) => m.type === "replay.done")).toMatchObject({ replayed: 1 });
    expect(ran(old)).toEqual(["2.3"]);

    // A malformed cursor is refused at the edge with a message that says the expected shape.
    for (const bad of ["1:3;2:2", "1:3,1:4", "0:1", Array.from({ length: 101 }, (_, i) => `${i + 1}:1`).join(",")]) {
      const r = await cp.api.get<{ error: { code: string; message: string } }>(`/tasks/${taskId}/stream?cursor=${encodeURIComponent(bad)}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.error).toMatchObject({ code: "bad_request" });
      expect(r.body.error.message).toMatch(/cursor/);
    }
    for (const c of [resumed, old, a, b, back]) c.close();
  });

  it("gives a task to exactly one of 100 runners racing to claim it", async () => {
    const { taskId } = await cp.api.assignNew(["command:race"]);
    const runners = await Promise.all(Array.from({ length: 100 }, () => RawRunner.connect(cp.url, runnerToken)));
    runners.forEach((r, i) => {
      r.send({ type: "hello", protocol: 1, runnerId: `rnr_race${String(i).padStart(4, "0")}`, name: `race-${i}`, version: "t", concurrency: 1, runtimes: [{ key: "command:race", version: null }], active: [] });
      r.send({ type: "task.claim", taskId });
    });
    await Promise.all(runners.map((r) => r.next((m) => m.type === "claim.result")));
    await new Promise((r) => setTimeout(r, 300));
    const holders = runners.filter((r) => r.received.some((m) => m.type === "task.assign"));
    expect(holders).toHaveLength(1);
    const wins = runners.flatMap((r) => r.received.filter((m) => m.type === "claim.result" && m.ok));
    expect(wins.length).toBeLessThanOrEqual(1);
    const task = await cp.api.task(taskId);
    expect(task.body.attempts).toHaveLength(1);
    const holderHello = runners.indexOf(holders[0]!);
    expect(task.body.task.runnerId).toBe(`rnr_race${String(holderHello).padStart(4, "0")}`);
    for (const r of runners) r.close();
  });

  it("cancels a queued task at once and pushes cancel for a running one", async () => {
    const queued = await cp.api.assignNew(["command:nobody-has-this"]);
    const c1 = await cp.api.post<{ task: { status: string } }>(`/tasks/${queued.taskId}/cancel`);
    expect(c1.status).toBe(202);
    expect(c1.body.task.status).toBe("cancelled");
    const again = await cp.api.post<{ error: { code: string } }>(`/tasks/${queued.taskId}/cancel`);
    expect(again).toMatchObject({ status: 409, body: { error: { code: "conflict" } } });

    const runner = await RawRunner.connect(cp.url, runnerToken);
    await runner.hello("rnr_cancel0001", ["command:cancel"]);
    const { taskId } = await cp.api.assignNew(["command:cancel"]);
    await runner.next((m) => m.type === "task.assign");
    runner.send({ type: "task.started", taskId, attempt: 1 });
    await cp.api.post(`/tasks/${taskId}/cancel`);
    await runner.next((m) => m.type === "task.cancel" && m.taskId === taskId);
    runner.send({ type: "task.report", taskId, attempt: 1, status: "cancelled", lastSeq: 0, exit: { exitCode: null, signal: "SIGTERM", error: null, durationMs: 1 }, sessionId: null, usage: null });
    await runner.next((m) => m.type === "report.ack");
    expect((await cp.api.task(taskId)).body.task.status).toBe("cancelled");
    runner.close();
  });
});
