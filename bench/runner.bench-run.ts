/**
 * `npm run bench`, runner figures with the real runner process and a real control plane: start
 * to registered, idle memory and CPU, how long from a task reaching the runner to its process
 * running, and what the runner adds per transcript event (line read → parsed → stored in the
 * outbox → sent → acknowledged).
 */
import { rmSync } from "node:fs";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startControlPlane, waitFor, type TaskResponse, type TestControlPlane } from "../test/helpers/control-plane";
import { FIXTURES, startRunner, type RunnerProcess } from "../test/helpers/runner-process";
import { Results } from "./results";
import { measureIdle, measureStartToRegistered } from "./runner-idle";
import { summarize } from "./stats";

const results = new Results("runner", "Runner (real multica-runner process)");
let cp: TestControlPlane;
let runner: RunnerProcess;

beforeAll(async () => {
  cp = await startControlPlane();
}, 120_000);

afterAll(async () => {
  runner?.signal("SIGTERM");
  await runner?.exited;
  // Its outbox holds the 20,000-line transcript: hundreds of MB left in the temp dir otherwise.
  if (runner) rmSync(runner.dataDir, { recursive: true, force: true });
  await cp?.stop();
  results.save();
});

it("runner start → registered, and idle RSS and CPU", async () => {
  const token = await cp.runnerToken("bench-idle");
  results.latency("runner start → registered (spawn → welcome)", summarize(await measureStartToRegistered(cp.url, token, 10)));
  // The same without the agent CLIs this repo installs (node_modules/.bin) on PATH: what asking
  // each one for its version adds.
  const bare = (process.env.PATH ?? "").split(delimiter).filter((d) => !d.endsWith(join("node_modules", ".bin"))).join(delimiter);
  results.latency("  the same with no agent CLI on PATH", summarize(await measureStartToRegistered(cp.url, token, 10, { PATH: bare })));
  const idle = await measureIdle(cp.url, token, 15_000);
  results.value("runner idle RSS (connected, 3 s after welcome)", idle.rssMiB, "MiB");
  results.value("runner idle CPU (15 s window, one core = 100 %)", idle.cpuPercent, "%");
  expect(idle.rssMiB).toBeGreaterThan(0);
}, 120_000);

async function finished(taskId: string): Promise<TaskResponse> {
  return waitFor(async () => {
    const t = (await cp.api.task(taskId, "?limit=5000")).body;
    return t.task.status === "succeeded" ? t : null;
  }, 120_000, "the task");
}

it("task pushed to the runner → agent process started", async () => {
  runner = startRunner({
    url: cp.url, token: await cp.runnerToken("bench-runner"), name: "bench-runner", concurrency: 1,
    commands: {
      noop: { command: process.execPath, args: ["-e", ""] },
      flood: { command: process.execPath, args: [`${FIXTURES}/count.mjs`, "20000", "0"] },
    },
  });
  await runner.waitForLog(/welcome/, 30_000);
  const samples: number[] = [];
  for (let i = 0; i < 30; i++) {
    const { taskId } = await cp.api.assignNew(["command:noop"], `noop ${i}`);
    const t = await finished(taskId);
    const attempt = t.attempts[0] as unknown as { dispatchedAt: number };
    const started = t.transcript.events.find((e) => e.event.kind === "lifecycle")!;
    // Both clocks are this machine's; the DO's has millisecond resolution.
    samples.push(started.ts - attempt.dispatchedAt);
  }
  results.latency("dispatch → agent process started (DO clock → runner)", summarize(samples));
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
  results.value("runner: events read + stored in the outbox", (count / Math.max(streamMs, 1)) * 1000, "events/s");
  results.value("runner → DO: events through and acknowledged", (count / totalMs) * 1000, "events/s");
  results.value("runner time per event (start → report)", (totalMs * 1000) / count, "µs");
  expect(count).toBeGreaterThanOrEqual(20_002);
}, 180_000);
