/**
 * `npm run bench`, control-plane figures: the task loop through one workspace Durable Object on a
 * real local control plane (workerd) with real WebSockets and protocol-level runners
 * (fake-runners.ts): dispatch and cancel latency, task lifecycles per second, transcript events
 * ingested per second. Bounded: fixed sample counts, every wait has a timeout. Figures, not
 * pass/fail: the only assertions are that the runs completed.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startControlPlane, type TestControlPlane } from "../test/helpers/control-plane";
import { RawRunner } from "../test/helpers/sockets";
import { agentAndIssue, autoRunner } from "./fake-runners";
import { Results } from "./results";
import { cpuMeter, nowMs, summarize } from "./stats";

const results = new Results("control-plane", "Control plane: one workspace Durable Object");
let cp: TestControlPlane;
let token: string;

beforeAll(async () => {
  cp = await startControlPlane();
  token = await cp.runnerToken("bench");
}, 120_000);

afterAll(async () => {
  await cp?.stop();
  results.save();
});

it("dispatch latency: assign accepted → runner holds the task", async () => {
  const received = new Map<string, number>();
  const runner = await autoRunner(cp.url, token, "rnr_benchdispatch", "command:dispatch", 64, { onAssign: (id, at) => received.set(id, at) });
  const { agentId, issueId } = await agentAndIssue(cp.api, "command:dispatch");
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
  results.latency("dispatch: HTTP assign → runner has it", summarize(total));
  results.latency("dispatch: DO enqueue → runner has it", summarize(inDo));
  expect(total).toHaveLength(300);
  runner.close();
});

// The floor under any HTTP figure: a request that touches nothing, and one that authenticates
// (a D1 token lookup) and reads one D1 row, through the same local wrangler dev.
it("HTTP round trips for reference: /health, and an authenticated D1 read", async () => {
  const { agentId } = await agentAndIssue(cp.api, "command:reference");
  const health: number[] = [];
  const read: number[] = [];
  for (let i = 0; i < 300; i++) {
    let t0 = nowMs();
    await (await fetch(`${cp.url}/api/v1/health`)).text();
    health.push(nowMs() - t0);
    t0 = nowMs();
    await cp.api.get(`/agents/${agentId}`);
    read.push(nowMs() - t0);
  }
  results.latency("reference: GET /health", summarize(health));
  results.latency("reference: authenticated GET of one agent (D1)", summarize(read));
  expect(read).toHaveLength(300);
});

it("cancel latency: cancel accepted → runner told", async () => {
  const runtime = "command:cancel";
  const r = await RawRunner.connect(cp.url, token);
  await r.hello("rnr_benchcancel", [runtime], 1);
  const { agentId, issueId } = await agentAndIssue(cp.api, runtime);
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
  results.latency("cancel: HTTP cancel → runner told", summarize(samples));
  r.close();
});

// Enqueue first (HTTP assign rate), then connect runners and time the drain: every task goes
// dispatch → started → event → report → acked through the one workspace Durable Object.
// Two shapes: runner slots equal to the agent's limit, and twice as many (the agent is the
// bottleneck, so dispatch keeps skipping its queued tasks).
for (const [label, perRunner] of [["agent limit = runner slots", 25], ["agent at its limit, spare slots", 50]] as const) {
  it(`task lifecycles per second through one workspace DO (${label})`, async () => {
    const runtime = `command:life${perRunner}`;
    const { agentId, issueId } = await agentAndIssue(cp.api, runtime);
    const total = 2000;
    let next = 0;
    const t0 = nowMs();
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (next < total) {
        next += 1;
        await cp.api.post(`/issues/${issueId}/assign`, { agentId });
      }
    }));
    results.value(`HTTP assigns, 32 in flight (${label})`, total / ((nowMs() - t0) / 1000), "/s");

    const done = new Set<string>();
    const cpu = cpuMeter();
    const t1 = nowMs();
    const runners = await Promise.all([0, 1, 2, 3].map((i) => autoRunner(cp.url, token, `rnr_benchlife${perRunner}x${i}`, runtime, perRunner, { onReportAck: (id) => done.add(id) })));
    const deadline = Date.now() + 90_000;
    while (done.size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    results.value(`task lifecycles (${label})`, done.size / ((nowMs() - t1) / 1000), "/s");
    const used = cpu();
    results.value(`  CPU during it: bench client; machine (${label})`, Math.round(used.clientPercent), `%; ${Math.round(used.machinePercent)} % busy`);
    expect(done.size).toBe(total);
    for (const r of runners) r.close();
  }, 180_000);
}

// Four tasks streaming at once, 200 events per frame (the protocol's maximum), up to 8 frames
// unacknowledged per task: how many transcript events one Durable Object stores and acks per second.
it("transcript events ingested per second by one workspace DO", async () => {
  const runtime = "command:ingest";
  const r = await RawRunner.connect(cp.url, token);
  await r.hello("rnr_benchingest", [runtime], 4);
  const { agentId, issueId } = await agentAndIssue(cp.api, runtime);
  const taskIds: string[] = [];
  for (let i = 0; i < 4; i++) taskIds.push((await cp.api.post<{ task: { taskId: string } }>(`/issues/${issueId}/assign`, { agentId })).body.task.taskId);
  await Promise.all(taskIds.map((id) => r.next((m) => m.type === "task.assign" && m.taskId === id)));
  const perTask = 25_000;
  const frame = 200;
  const acked = new Map(taskIds.map((id) => [id, 0]));
  r.ws.on("message", (data) => {
    const m = JSON.parse(data.toString()) as { type: string; taskId: string; seq: number };
    if (m.type === "ack") acked.set(m.taskId, Math.max(acked.get(m.taskId)!, m.seq));
  });
  let bytes = 0;
  const t0 = nowMs();
  await Promise.all(taskIds.map(async (taskId) => {
    r.send({ type: "task.started", taskId, attempt: 1 });
    for (let sent = 0; sent < perTask; sent += frame) {
      while (sent - acked.get(taskId)! > 8 * frame) await new Promise((res) => setImmediate(res));
      const events = Array.from({ length: frame }, (_, i) => ({ seq: sent + i + 1, ts: Date.now(), event: { kind: "output" as const, stream: "stdout" as const, text: `line ${sent + i + 1} of a plausible agent's output, about eighty bytes long` } }));
      const json = JSON.stringify({ type: "task.events", taskId, attempt: 1, events });
      bytes += json.length;
      r.send(json);
    }
    while (acked.get(taskId)! < perTask) await new Promise((res) => setImmediate(res));
  }));
  const seconds = (nowMs() - t0) / 1000;
  results.value("transcript events ingested (4 tasks, 200/frame)", (4 * perTask) / seconds, "events/s");
  results.value("transcript bytes ingested", bytes / seconds / 1024 / 1024, "MiB/s");
  expect([...acked.values()].every((n) => n === perTask)).toBe(true);
  r.close();
}, 120_000);
