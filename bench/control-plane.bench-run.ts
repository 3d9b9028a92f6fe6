/**
 * `npm run bench`: measures the task loop against a real local control plane (workerd) with
 * real WebSockets. Prints a table and writes bench-results/control-plane.json. Bounded: fixed
 * sample counts, every wait has a timeout. Figures, not pass/fail: the only assertions are that
 * the runs completed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startControlPlane, type TestControlPlane } from "../test/helpers/control-plane";
import { RawRunner, Viewer } from "../test/helpers/sockets";
import { measureRunnerIdleRss } from "./runner-rss";
import { nowMs, summarize, type Summary } from "./stats";

const results: Record<string, Summary | number | string> = {};
let cp: TestControlPlane;
let token: string;

beforeAll(async () => {
  cp = await startControlPlane();
  token = await cp.runnerToken("bench");
}, 120_000);

afterAll(async () => {
  await cp?.stop();
  const rows = Object.entries(results).map(([k, v]) => (typeof v === "object" ? `${k.padEnd(34)} n=${String(v.n).padEnd(6)} p50=${String(v.p50).padEnd(8)} p99=${String(v.p99).padEnd(8)} max=${v.max}` : `${k.padEnd(34)} ${v}`));
  console.log(["", "Multica benchmark (ms unless noted)", "-".repeat(80), ...rows, ""].join("\n"));
  mkdirSync("bench-results", { recursive: true });
  writeFileSync("bench-results/control-plane.json", JSON.stringify({ at: new Date().toISOString(), results }, null, 2));
});

/**
 * A runner that completes every assigned task at once (started, one event, succeeded). Its
 * handler is attached before hello: assignments can arrive in the same read as the welcome.
 */
async function autoRunner(id: string, runtime: string, concurrency: number, onAssign?: (taskId: string, at: number) => void, onReportAck?: (taskId: string) => void) {
  const r = await RawRunner.connect(cp.url, token);
  r.ws.on("message", (data) => {
    const m = JSON.parse(data.toString()) as { type: string; taskId: string; attempt: number };
    if (m.type === "report.ack") onReportAck?.(m.taskId);
    if (m.type !== "task.assign") return;
    onAssign?.(m.taskId, nowMs());
    r.send({ type: "task.started", taskId: m.taskId, attempt: m.attempt });
    r.send({ type: "task.events", taskId: m.taskId, attempt: m.attempt, events: [{ seq: 1, ts: Date.now(), event: { kind: "output", stream: "stdout", text: "done" } }] });
    r.send({ type: "task.report", taskId: m.taskId, attempt: m.attempt, status: "succeeded", lastSeq: 1, exit: { exitCode: 0, signal: null, error: null, durationMs: 0 }, sessionId: null, usage: null });
  });
  await r.hello(id, [runtime], concurrency);
  return r;
}

async function setup(runtime: string) {
  const agent = await cp.api.post<{ agent: { id: string } }>("/agents", { name: runtime, runtimes: [runtime], maxConcurrentTasks: 100 });
  const issue = await cp.api.post<{ issue: { id: string } }>("/issues", { title: "bench" });
  return { agentId: agent.body.agent.id, issueId: issue.body.issue.id };
}

it("dispatch latency: assign accepted → runner holds the task", async () => {
  const received = new Map<string, number>();
  const runner = await autoRunner("rnr_benchdispatch", "command:dispatch", 64, (id, at) => received.set(id, at));
  const { agentId, issueId } = await setup("command:dispatch");
  const total: number[] = [];
  const inDo: number[] = [];
  for (let i = 0; i < 300; i++) {
    const t0 = nowMs();
    const res = await cp.api.post<{ task: { taskId: string; queuedAt: number } }>(`/issues/${issueId}/assign`, { agentId });
    const id = res.body.task.taskId;
    while (!received.has(id)) await new Promise((r) => setImmediate(r));
    total.push(received.get(id)! - t0);
    // From the moment the Durable Object queued it (its clock has 1 ms resolution).
    inDo.push(received.get(id)! - res.body.task.queuedAt);
  }
  results["dispatch (HTTP assign → runner)"] = summarize(total);
  results["dispatch (DO enqueue → runner)"] = summarize(inDo);
  expect(total).toHaveLength(300);
  runner.close();
});

// One event per frame, every `interval` ms (200/s is a very chatty agent; 50/s a busy one).
for (const [viewers, interval] of [[1, 5], [100, 20], [100, 5]] as const) {
  it(`stream latency: runner emits → ${viewers} viewer(s) receive, ${1000 / interval} events/s`, async () => {
    const runtime = `command:stream${viewers}x${interval}`;
    const r = await RawRunner.connect(cp.url, token);
    await r.hello(`rnr_benchstream${viewers}x${interval}`, [runtime], 1);
    const { agentId, issueId } = await setup(runtime);
    const assigned = await cp.api.post<{ task: { taskId: string } }>(`/issues/${issueId}/assign`, { agentId });
    const taskId = assigned.body.task.taskId;
    await r.next((m) => m.type === "task.assign");
    const vs = await Promise.all(Array.from({ length: viewers }, () => Viewer.connect(cp.url, cp.workspaceId, cp.adminToken, taskId)));
    await Promise.all(vs.map((v) => v.next((m) => m.type === "replay.done")));
    const samples: number[] = [];
    const events = 300;
    for (const v of vs) {
      v.ws.on("message", (data) => {
        const m = JSON.parse(data.toString()) as { type: string; event?: { text?: string } };
        if (m.type === "task.event" && m.event?.text) samples.push(nowMs() - Number(m.event.text));
      });
    }
    for (let seq = 1; seq <= events; seq++) {
      r.send({ type: "task.events", taskId, attempt: 1, events: [{ seq, ts: Date.now(), event: { kind: "output", stream: "stdout", text: String(nowMs()) } }] });
      await new Promise((res) => setTimeout(res, interval));
    }
    const deadline = Date.now() + 20_000;
    while (samples.length < events * viewers && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    results[`stream, ${viewers} viewer(s), ${1000 / interval} ev/s`] = summarize(samples);
    expect(samples.length).toBe(events * viewers);
    for (const v of vs) v.close();
    r.close();
  });
}

it("cancel latency: cancel accepted → runner told", async () => {
  const runtime = "command:cancel";
  const r = await RawRunner.connect(cp.url, token);
  await r.hello("rnr_benchcancel", [runtime], 1);
  const { agentId, issueId } = await setup(runtime);
  const samples: number[] = [];
  for (let i = 0; i < 100; i++) {
    const assigned = await cp.api.post<{ task: { taskId: string } }>(`/issues/${issueId}/assign`, { agentId });
    const taskId = assigned.body.task.taskId;
    await r.next((m) => m.type === "task.assign" && m.taskId === taskId);
    r.send({ type: "task.started", taskId, attempt: 1 });
    const t0 = nowMs();
    await cp.api.post(`/tasks/${taskId}/cancel`);
    await r.next((m) => m.type === "task.cancel" && m.taskId === taskId);
    samples.push(nowMs() - t0);
    r.send({ type: "task.report", taskId, attempt: 1, status: "cancelled", lastSeq: 0, exit: { exitCode: null, signal: "SIGTERM", error: null, durationMs: 0 }, sessionId: null, usage: null });
    await r.next((m) => m.type === "report.ack" && m.taskId === taskId);
  }
  results["cancel (HTTP cancel → runner)"] = summarize(samples);
  r.close();
});

// Enqueue first (HTTP assign rate), then connect runners and time the drain: every task goes
// dispatch → started → event → report → acked through the one workspace Durable Object.
// Two shapes: runner slots equal to the agent's limit, and twice as many (the agent is the
// bottleneck, so dispatch keeps skipping its queued tasks).
for (const [label, perRunner] of [["agent limit = runner slots", 25], ["agent at its limit, spare slots", 50]] as const) {
  it(`task lifecycles per second through one workspace DO (${label})`, async () => {
    const runtime = `command:life${perRunner}`;
    const { agentId, issueId } = await setup(runtime);
    const total = 2000;
    let next = 0;
    const t0 = nowMs();
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < total) {
        next += 1;
        await cp.api.post(`/issues/${issueId}/assign`, { agentId });
      }
    }));
    results[`HTTP assigns/s, 32 in flight (${label})`] = Math.round(total / ((nowMs() - t0) / 1000));

    const done = new Set<string>();
    const t1 = nowMs();
    const runners = await Promise.all([0, 1, 2, 3].map((i) => autoRunner(`rnr_benchlife${perRunner}x${i}`, runtime, perRunner, undefined, (id) => done.add(id))));
    const deadline = Date.now() + 90_000;
    while (done.size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    results[`lifecycles/s (${label})`] = Math.round(done.size / ((nowMs() - t1) / 1000));
    expect(done.size).toBe(total);
    for (const r of runners) r.close();
  }, 180_000);
}

it("runner idle RSS", async () => {
  const rss = await measureRunnerIdleRss(cp.url, await cp.runnerToken("rss"));
  results["runner idle RSS (MiB)"] = Math.round((rss / 1024 / 1024) * 10) / 10;
  expect(rss).toBeGreaterThan(0);
});
