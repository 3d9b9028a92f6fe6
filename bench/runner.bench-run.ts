/**
 * Runner figures for `npm run bench`: how long from a task reaching the runner to its process
 * running, and what the runner adds per transcript event (line read → parsed → stored in the
 * outbox → sent → acknowledged), with the real runner process and a real control plane.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startControlPlane, waitFor, type TaskResponse, type TestControlPlane } from "../test/helpers/control-plane";
import { FIXTURES, startRunner, type RunnerProcess } from "../test/helpers/runner-process";
import { summarize, type Summary } from "./stats";

const results: Record<string, Summary | number> = {};
let cp: TestControlPlane;
let runner: RunnerProcess;

beforeAll(async () => {
  cp = await startControlPlane();
  runner = startRunner({
    url: cp.url, token: await cp.runnerToken("bench-runner"), name: "bench-runner", concurrency: 1,
    commands: {
      noop: { command: process.execPath, args: ["-e", ""] },
      flood: { command: process.execPath, args: [`${FIXTURES}/count.mjs`, "20000", "0"] },
    },
  });
  await runner.waitForLog(/welcome/, 30_000);
}, 120_000);

afterAll(async () => {
  runner?.signal("SIGTERM");
  await runner?.exited;
  await cp?.stop();
  const rows = Object.entries(results).map(([k, v]) => (typeof v === "object" ? `${k.padEnd(44)} n=${String(v.n).padEnd(6)} p50=${String(v.p50).padEnd(8)} p99=${String(v.p99).padEnd(8)} max=${v.max}` : `${k.padEnd(44)} ${v}`));
  console.log(["", "Multica runner benchmark (ms unless noted)", "-".repeat(80), ...rows, ""].join("\n"));
  mkdirSync("bench-results", { recursive: true });
  writeFileSync("bench-results/runner.json", JSON.stringify({ at: new Date().toISOString(), results }, null, 2));
});

async function finished(taskId: string): Promise<TaskResponse> {
  return waitFor(async () => {
    const t = (await cp.api.task(taskId, "?limit=5000")).body;
    return t.task.status === "succeeded" ? t : null;
  }, 120_000, "the task");
}

it("task pushed to the runner → agent process started", async () => {
  const samples: number[] = [];
  for (let i = 0; i < 30; i++) {
    const { taskId } = await cp.api.assignNew(["command:noop"], `noop ${i}`);
    const t = await finished(taskId);
    const attempt = t.attempts[0] as unknown as { dispatchedAt: number };
    const started = t.transcript.events.find((e) => e.event.kind === "lifecycle")!;
    // Both clocks are this machine's; the DO's has millisecond resolution.
    samples.push(started.ts - attempt.dispatchedAt);
  }
  results["dispatch → process started (DO clock → runner)"] = summarize(samples);
  expect(samples).toHaveLength(30);
});

it("runner overhead per event: 20,000 lines read, stored, sent and acknowledged", async () => {
  const { taskId } = await cp.api.assignNew(["command:flood"], "flood");
  const t = await finished(taskId);
  const count = t.task.lastSeq;
  const last = (await cp.api.task(taskId, `?attempt=1&after=${count - 1}`)).body.transcript.events[0]!;
  const attempt = t.attempts[0] as unknown as { startedAt: number; endedAt: number };
  // Runner clock: first to last event read; DO clock: started → report stored (every event acked).
  const streamMs = last.ts - t.transcript.events[0]!.ts;
  const totalMs = attempt.endedAt - attempt.startedAt;
  results["events read + stored per second (runner clock)"] = Math.round((count / Math.max(streamMs, 1)) * 1000);
  results["events through to the DO per second"] = Math.round((count / totalMs) * 1000);
  results["runner time per event (µs, start → report)"] = Math.round((totalMs * 1000) / count);
  expect(count).toBeGreaterThanOrEqual(20_002);
}, 180_000);
