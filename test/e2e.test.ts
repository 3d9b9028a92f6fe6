/**
 * End to end: a real control plane (workerd) and real runner processes running real child
 * processes. Faults are real too: SIGKILL, cut TCP connections, a control plane killed and
 * restarted mid-stream.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, waitFor, type TaskResponse, type TestControlPlane } from "./helpers/control-plane";
import { isAlive } from "./helpers/processes";
import { FIXTURES, startRunner, type RunnerProcess } from "./helpers/runner-process";
import { Viewer } from "./helpers/sockets";
import { startTcpProxy } from "./helpers/tcp-proxy";

let cp: TestControlPlane;
let token: string;
const runners: RunnerProcess[] = [];

const node = process.execPath;
const fixture = (name: string) => `${FIXTURES}/${name}`;

beforeAll(async () => {
  // Short leases so a vanished runner is noticed within seconds.
  cp = await startControlPlane({ LEASE_MS: "3000", HEARTBEAT_MS: "500" });
  token = await cp.runnerToken();
});
afterEach(async () => {
  for (const r of runners.splice(0)) {
    r.signal("SIGKILL");
    await r.exited;
  }
});
afterAll(async () => {
  await cp?.stop();
});

function runner(name: string, commands: Parameters<typeof startRunner>[0]["commands"], url = cp.url, dataDir?: string) {
  const r = startRunner({ url, token, name, commands, dataDir });
  runners.push(r);
  return r;
}

async function finished(taskId: string, timeoutMs = 30_000): Promise<TaskResponse> {
  return waitFor(async () => {
    const t = await cp.api.task(taskId, "?limit=5000");
    return ["succeeded", "failed", "cancelled"].includes(t.body.task.status) ? t.body : null;
  }, timeoutMs, `task ${taskId} to finish`);
}

const outputLines = (t: TaskResponse, attempt = 1) =>
  t.transcript.events.filter((e) => e.attempt === attempt && e.event.kind === "output").map((e) => e.event.text);

describe("the task loop with a real runner", () => {
  it("runs an assigned command, streams its lines in order to a viewer, and records exit info", async () => {
    const r = runner("e2e-happy", { count: { command: node, args: [fixture("count.mjs"), "20", "20"] } });
    await r.waitForLog(/welcome/);
    const { taskId } = await cp.api.assignNew(["command:count"]);
    const viewer = await Viewer.connect(cp.url, cp.workspaceId, cp.adminToken, taskId);
    await viewer.next((m) => m.type === "task.status" && m.attempt.status === "succeeded", 30_000);
    const expected = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    expect(viewer.texts()).toEqual(expected);
    const task = await finished(taskId);
    expect(task.task).toMatchObject({ status: "succeeded", exitCode: 0, signal: null });
    expect(outputLines(task)).toEqual(expected);
    const kinds = task.transcript.events.map((e) => e.event.kind);
    expect(kinds[0]).toBe("lifecycle");
    expect(kinds[kinds.length - 1]).toBe("lifecycle");
    expect(task.transcript.events.map((e) => e.seq)).toEqual(task.transcript.events.map((_, i) => i + 1));
    viewer.close();
  });

  it("registers the runner with its configured and detected runtimes, online while connected", async () => {
    // A fake `claude` on PATH stands in for an installed agent CLI.
    const r = startRunner({
      url: cp.url, token, name: "e2e-inventory", commands: { lint: { command: "true" } },
      env: { PATH: `${FIXTURES}/../../runner/test/fixtures/bin:${process.env.PATH}` },
    });
    runners.push(r);
    await r.waitForLog(/welcome/);
    type Listed = { runners: { name: string; online: boolean; runtimes: { key: string; version: string | null }[] }[] };
    const listed = await waitFor(async () => {
      const res = await cp.api.get<Listed>("/runners");
      return res.body.runners.find((x) => x.name === "e2e-inventory" && x.runtimes.length > 0);
    }, 10_000, "the runner in the list");
    expect(listed.online).toBe(true);
    expect(listed.runtimes).toEqual(expect.arrayContaining([{ key: "command:lint", version: null }, { key: "claude", version: "1.2.3" }]));
    r.signal("SIGTERM");
    expect((await r.exited).code).toBe(0);
    await waitFor(async () => {
      const res = await cp.api.get<Listed>("/runners");
      return res.body.runners.find((x) => x.name === "e2e-inventory")?.online === false;
    }, 10_000, "the runner to show offline");
  });

  it("reports a failing command as failed with its exit code", async () => {
    const r = runner("e2e-fail", { fail: { command: node, args: [fixture("count.mjs"), "2", "0", "7"] } });
    await r.waitForLog(/welcome/);
    const { taskId } = await cp.api.assignNew(["command:fail"]);
    const task = await finished(taskId);
    expect(task.task).toMatchObject({ status: "failed", exitCode: 7 });
    expect(outputLines(task)).toEqual(["line 1", "line 2"]);
  });

  it("cancel interrupts, waits the grace period, then kills the whole process tree", async () => {
    const r = runner("e2e-cancel", { stubborn: { command: node, args: [fixture("stubborn-tree.mjs")] } });
    await r.waitForLog(/welcome/);
    const { taskId } = await cp.api.assignNew(["command:stubborn"]);
    const pids = await waitFor(async () => {
      const line = outputLines((await cp.api.task(taskId)).body).find((l) => l?.startsWith("pids "));
      return line ? line.split(" ").slice(1).map(Number) : null;
    }, 20_000, "the child to print its pids");
    expect(pids.every(isAlive)).toBe(true);
    const res = await cp.api.post(`/tasks/${taskId}/cancel`);
    expect(res.status).toBe(202);
    const task = await finished(taskId);
    expect(task.task.status).toBe("cancelled");
    expect(outputLines(task)).toContain("ignoring SIGTERM");
    await waitFor(async () => pids.every((p) => !isAlive(p)), 5_000, "the process tree to be gone");
  });
});

describe("faults", () => {
  it("SIGKILL of the runner mid-task: the attempt is lost and attempt 2 runs on a second runner", async () => {
    const commands = { slow: { command: node, args: [fixture("count.mjs"), "30", "100"] } };
    const first = runner("e2e-doomed", commands);
    await first.waitForLog(/welcome/);
    const { taskId } = await cp.api.assignNew(["command:slow"]);
    await waitFor(async () => (await cp.api.task(taskId)).body.task.lastSeq >= 3, 20_000, "output from attempt 1");
    first.signal("SIGKILL");
    await first.exited;
    const second = runner("e2e-rescuer", commands);
    await second.waitForLog(/welcome/);
    const task = await waitFor(async () => {
      const t = (await cp.api.task(taskId, "?limit=5000")).body;
      return t.attempts.length === 2 && t.task.status === "succeeded" ? t : null;
    }, 40_000, "attempt 2 to succeed");
    const [a1, a2] = task.attempts;
    expect(a1).toMatchObject({ attempt: 1, status: "lost" });
    expect(a1!.error).toMatch(/lease/);
    expect(a2).toMatchObject({ attempt: 2, status: "succeeded", exitCode: 0 });
    expect(a2!.runnerId).not.toBe(a1!.runnerId);
    expect(outputLines(task, 2)).toHaveLength(30);
  });

  it("a cut connection and a control plane killed mid-stream lose nothing and duplicate nothing", async () => {
    const proxy = await startTcpProxy(cp.port);
    try {
      const r = runner("e2e-flaky", { stream: { command: node, args: [fixture("count.mjs"), "300", "20"] } }, proxy.url);
      await r.waitForLog(/welcome/);
      const { taskId } = await cp.api.assignNew(["command:stream"]);
      await waitFor(async () => (await cp.api.task(taskId)).body.task.lastSeq >= 40, 20_000, "streaming to start");
      expect(proxy.cut()).toBeGreaterThan(0);
      await waitFor(async () => (await cp.api.task(taskId)).body.task.lastSeq >= 120, 20_000, "streaming to resume after the cut");
      await cp.restart({ hard: true });
      const task = await finished(taskId, 60_000);
      expect(task.task).toMatchObject({ status: "succeeded", exitCode: 0 });
      expect(task.attempts).toHaveLength(1);
      expect(outputLines(task)).toEqual(Array.from({ length: 300 }, (_, i) => `line ${i + 1}`));
      expect(task.transcript.events.map((e) => e.seq)).toEqual(task.transcript.events.map((_, i) => i + 1));
      expect(r.log()).toMatch(/reconnect/i);
    } finally {
      await proxy.close();
    }
  });

  it("delivers the final report after a control-plane outage longer than the task and the lease", async () => {
    const r = runner("e2e-outage", { quick: { command: node, args: [fixture("count.mjs"), "50", "40"] } });
    await r.waitForLog(/welcome/);
    const { taskId } = await cp.api.assignNew(["command:quick"]);
    await waitFor(async () => (await cp.api.task(taskId)).body.task.lastSeq >= 5, 20_000, "the task to start");
    // Down for longer than the rest of the task (about 2 s) and than the 3 s lease: the outage
    // is the control plane's, so it must not cost the runner its attempt.
    await cp.restart({ hard: true, downMs: 4000 });
    const task = await finished(taskId, 60_000);
    expect(task.task).toMatchObject({ status: "succeeded", exitCode: 0 });
    expect(task.attempts).toHaveLength(1);
    expect(outputLines(task)).toHaveLength(50);
  });

  it("a runner restarted with its data dir resends what it had and reports the interrupted attempt lost", async () => {
    const commands = { slow2: { command: node, args: [fixture("count.mjs"), "100", "50"] } };
    const first = runner("e2e-restart", commands);
    await first.waitForLog(/welcome/);
    const { taskId } = await cp.api.assignNew(["command:slow2"]);
    await waitFor(async () => (await cp.api.task(taskId)).body.task.lastSeq >= 3, 20_000, "output from attempt 1");
    const killedAt = Date.now();
    first.signal("SIGKILL");
    await first.exited;
    const again = runner("e2e-restart", commands, cp.url, first.dataDir);
    await again.waitForLog(/welcome/);
    const backAfterMs = Date.now() - killedAt;
    const task = await waitFor(async () => {
      const t = (await cp.api.task(taskId, "?limit=5000")).body;
      return t.attempts.length === 2 && t.task.status === "succeeded" ? t : null;
    }, 40_000, "attempt 2 to succeed");
    expect(task.attempts[0]).toMatchObject({ attempt: 1, status: "lost" });
    // Back within the 3 s lease, the restarted runner's own report ends attempt 1; on a machine so
    // loaded that the restart took longer, the lease had already expired: lost either way.
    expect(task.attempts[0]!.error).toMatch(backAfterMs < 2500 ? /restart|reconnected without/ : /restart|reconnected without|stopped renewing its lease/);
    // Attempt 1's stored lines are a gap-free prefix: nothing it had stored was lost or repeated.
    const lines = outputLines(task, 1);
    expect(lines).toEqual(lines.map((_, i) => `line ${i + 1}`));
    expect(outputLines(task, 2)).toHaveLength(100);
  });
});
