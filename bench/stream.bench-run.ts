/**
 * `npm run bench`, stream figures: a protocol-level runner sends one event per frame at a fixed
 * rate; 1, 100 or 1,000 viewers of the task receive it through the workspace Durable Object's
 * fan-out. Latency is runner send → viewer receive on one machine's clock (the event's text
 * carries the send time). The viewers live in this one Node process, which shares the 2 cores
 * with workerd: at high fan-out their reading is part of what is measured, so they are lean.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startControlPlane, type TestControlPlane } from "../test/helpers/control-plane";
import WebSocket from "ws";
import { RawRunner } from "../test/helpers/sockets";
import { agentAndIssue, sleep } from "./fake-runners";
import { Results } from "./results";
import { cpuMeter, nowMs, summarize } from "./stats";

const results = new Results("stream", "Live stream: runner emits → viewers receive");
let cp: TestControlPlane;
let token: string;

beforeAll(async () => {
  cp = await startControlPlane();
  token = await cp.runnerToken("bench-stream");
}, 120_000);

afterAll(async () => {
  await cp?.stop();
  results.save();
});

/**
 * A lean viewer: a plain WebSocket whose handler does one JSON.parse per frame (no schema
 * validation), so at 1,000 viewers the client costs as little as it can on the shared cores.
 */
function leanViewer(taskId: string, onEvent: (sentAt: number) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${cp.url.replace(/^http/, "ws")}/api/v1/workspaces/${cp.workspaceId}/tasks/${taskId}/stream?token=${cp.adminToken}`);
    ws.on("message", (data) => {
      const m = JSON.parse(data.toString()) as { type: string; event?: { text?: string } };
      if (m.type === "replay.done") resolve(ws);
      else if (m.type === "task.event" && m.event?.text) onEvent(Number(m.event.text));
    });
    ws.once("error", reject);
  });
}

/** Connects `n` viewers of a task, 50 at a time, each past its replay. */
async function viewersOf(taskId: string, n: number, onEvent: (sentAt: number) => void): Promise<WebSocket[]> {
  const all: WebSocket[] = [];
  for (let i = 0; i < n; i += 50) all.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => leanViewer(taskId, onEvent)))));
  return all;
}

// [viewers, events per second, events sent]
const SHAPES = [[1, 200, 300], [100, 50, 300], [100, 200, 300], [1000, 10, 100], [1000, 50, 100]] as const;

for (const [viewers, rate, events] of SHAPES) {
  it(`stream latency: ${viewers} viewer(s), ${rate} events/s`, async () => {
    const runtime = `command:stream${viewers}x${rate}`;
    const r = await RawRunner.connect(cp.url, token);
    await r.hello(`rnr_benchstream${viewers}x${rate}`, [runtime], 1);
    const { agentId, issueId } = await agentAndIssue(cp.api, runtime);
    const taskId = (await cp.api.post<{ task: { taskId: string } }>(`/issues/${issueId}/assign`, { agentId })).body.task.taskId;
    await r.next((m) => m.type === "task.assign");
    const samples: number[] = [];
    const vs = await viewersOf(taskId, viewers, (sentAt) => samples.push(nowMs() - sentAt));
    const cpu = cpuMeter();
    const interval = 1000 / rate;
    const t0 = nowMs();
    for (let seq = 1; seq <= events; seq++) {
      r.send({ type: "task.events", taskId, attempt: 1, events: [{ seq, ts: Date.now(), event: { kind: "output", stream: "stdout", text: String(nowMs()) } }] });
      // Paced against the start, so a late timer does not slow the rate down.
      await sleep(Math.max(0, t0 + seq * interval - nowMs()));
    }
    const deadline = Date.now() + 60_000;
    while (samples.length < events * viewers && Date.now() < deadline) await sleep(20);
    const used = cpu();
    results.latency(`stream: ${viewers} viewer(s), ${rate} events/s`, summarize(samples));
    // Whether the figure is the control plane's or the bench's own (one core = 100 %).
    results.value(`  CPU during it: bench client; machine (${viewers}×${rate}/s)`, Math.round(used.clientPercent), `%; ${Math.round(used.machinePercent)} % busy`);
    expect(samples.length).toBe(events * viewers);
    for (const v of vs) v.close();
    r.close();
  }, 180_000);
}
