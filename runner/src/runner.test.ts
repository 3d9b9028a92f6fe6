// The whole runner (outbox, connection, job runner, command adapter) against a fake control
// plane on a real socket, running real fixture processes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ControlTaskAssign, RunnerTaskEvents } from "@multica/shared";
import { afterEach, describe, expect, it } from "vitest";
import { FakeControlPlane, type FakeOptions } from "../test/fake-control-plane";
import type { RunnerConfig } from "./config";
import { createMemoryLogger } from "./log";
import { Outbox } from "./outbox";
import { Runner } from "./runner";
import { WINDOW } from "./transcript-sender";

const FIXTURES = join(import.meta.dirname, "../test/fixtures");
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: FakeOptions = {}, overrides: Partial<RunnerConfig> = {}, pingIntervalMs = 1000) {
  const cp = await FakeControlPlane.start(options);
  cleanups.push(() => cp.close());
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), "multica-runner-"));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const config: RunnerConfig = {
    url: new URL(cp.url),
    token: "tok",
    name: "test-runner",
    concurrency: 2,
    configPath: null,
    dataDir,
    cancelGraceMs: 200,
    commands: [
      { name: "lines", command: process.execPath, args: [join(FIXTURES, "lines.mjs"), "{prompt}", "1", "0"], env: {}, timeoutSeconds: null },
      { name: "burst", command: process.execPath, args: [join(FIXTURES, "lines.mjs"), "{prompt}", "0", "0"], env: {}, timeoutSeconds: null },
      { name: "stubborn", command: process.execPath, args: [join(FIXTURES, "ignore-term.mjs")], env: {}, timeoutSeconds: null },
    ],
    agentClis: {},
    childEnv: { PATH: join(FIXTURES, "bin") },
    ...overrides,
  };
  const log = createMemoryLogger();
  const start = () =>
    Runner.start(config, { log, connection: { pingIntervalMs, backoffBaseMs: 20, backoffCapMs: 100 }, stopTimeoutMs: 2000 });
  const runner = await start();
  let stopped = false;
  cleanups.push(async () => {
    if (!stopped) await runner.stop();
  });
  return { cp, runner, log, config, stop: () => ((stopped = true), runner.stop()) };
}

let taskCounter = 0;
function assign(runtime: string, prompt = "5"): ControlTaskAssign {
  taskCounter++;
  return {
    type: "task.assign",
    taskId: `tsk_test${String(taskCounter).padStart(4, "0")}`,
    attempt: 1,
    runtime,
    sentAt: Date.now(),
    issue: { id: "iss_test0001", key: "MUL-1", title: "Issue", body: "", comments: [] },
    agent: { id: "agt_test0001", name: "agent", instructions: "" },
    prompt,
    repository: null,
    limits: { idleTimeoutMs: null, timeoutMs: null },
    resume: null,
    skills: [],
    agentToken: null,
  };
}

/** All events the fake received for a task, in arrival order. */
const eventsOf = (frames: RunnerTaskEvents[], taskId: string) => frames.filter((f) => f.taskId === taskId).flatMap((f) => f.events);

describe("runner against a fake control plane", () => {
  it("says hello, runs an assigned command, and delivers started, every event, then the report", async () => {
    const { cp, runner, stop, config } = await setup();
    await cp.waitFor(() => cp.of("hello").length === 1);
    const hello = cp.of("hello")[0];
    expect(hello).toMatchObject({ protocol: 1, name: "test-runner", concurrency: 2, active: [] });
    expect(hello?.runtimes).toEqual([
      { key: "command:lines", version: null },
      { key: "command:burst", version: null },
      { key: "command:stubborn", version: null },
      { key: "claude", version: "1.2.3" },
      { key: "copilot", version: "0.0.400" },
    ]);
    const task = assign("command:lines", "25");
    cp.send(task);
    await cp.waitFor(() => cp.of("task.report").length === 1);
    const types = cp.received.map((m) => m.type).filter((t) => t !== "heartbeat");
    expect(types.indexOf("task.started")).toBeLessThan(types.indexOf("task.events"));
    expect(types.at(-1)).toBe("task.report");
    const events = eventsOf(cp.of("task.events"), task.taskId);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: events.length }, (_, i) => i + 1));
    const lines = events.flatMap((e) => (e.event.kind === "output" && e.event.stream === "stdout" ? [e.event.text] : []));
    expect(lines).toEqual(Array.from({ length: 25 }, (_, i) => `line ${i + 1}`));
    expect(cp.of("task.report")[0]).toMatchObject({ taskId: task.taskId, status: "succeeded", lastSeq: events.length, exit: { exitCode: 0 } });
    expect(cp.invalid).toEqual([]);
    expect(await stop()).toBe(0);
    const outbox = await Outbox.open(config.dataDir, createMemoryLogger());
    expect(await outbox.attempts()).toEqual([]); // everything was acked and forgotten
    expect(outbox.runnerId).toBe(hello?.runnerId);
    await outbox.close();
    void runner;
  });

  it("resends unacked events and the report after a reconnect", async () => {
    const { cp, stop, config } = await setup({ autoAck: false });
    await cp.waitFor(() => cp.of("hello").length === 1);
    const task = assign("command:lines", "10");
    cp.send(task);
    await cp.waitFor(() => cp.of("task.report").length === 1);
    const firstEvents = eventsOf(cp.of("task.events"), task.taskId);
    cp.autoAck = true;
    cp.drop();
    await cp.waitFor(() => cp.of("task.report").length === 2);
    expect(cp.connections).toBe(2);
    const all = eventsOf(cp.of("task.events"), task.taskId);
    expect(all.slice(firstEvents.length)).toEqual(firstEvents);
    await cp.waitFor(() => cp.of("hello").length === 2);
    expect(await stop()).toBe(0);
    const outbox = await Outbox.open(config.dataDir, createMemoryLogger());
    expect(await outbox.attempts()).toEqual([]);
    await outbox.close();
  });

  it("keeps at most WINDOW events in flight unacked, and sends the rest as acks arrive", async () => {
    const { cp } = await setup({ autoAck: false });
    await cp.waitFor(() => cp.of("hello").length === 1);
    const task = assign("command:burst", "1500");
    cp.send(task);
    const sent = () => eventsOf(cp.of("task.events"), task.taskId).length;
    await cp.waitFor(() => sent() >= WINDOW);
    await new Promise((r) => setTimeout(r, 300)); // the agent has finished by now; nothing more may come
    expect(sent()).toBe(WINDOW);
    expect(cp.of("task.report")).toEqual([]);
    cp.autoAck = true;
    cp.send({ type: "ack", taskId: task.taskId, attempt: 1, seq: WINDOW });
    await cp.waitFor(() => cp.of("task.report").length === 1);
    const seqs = eventsOf(cp.of("task.events"), task.taskId).map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(cp.of("task.report")[0]?.lastSeq).toBe(seqs.length);
    expect(seqs.length).toBe(1500 + 500 + 2); // stdout lines, stderr lines, started, exited
  });

  it("reports an attempt left running by a dead process as lost, after its stored events", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "multica-runner-"));
    const previous = await Outbox.open(dataDir, createMemoryLogger());
    const task = assign("command:lines");
    await previous.begin(task);
    await previous.append(task, { kind: "output", stream: "stdout", text: "before the crash" });
    await previous.close();
    const { cp } = await setup({}, { dataDir });
    await cp.waitFor(() => cp.of("task.report").length === 1);
    expect(eventsOf(cp.of("task.events"), task.taskId).map((e) => e.event)).toEqual([
      { kind: "output", stream: "stdout", text: "before the crash" },
    ]);
    expect(cp.of("task.report")[0]).toMatchObject({ status: "lost", lastSeq: 1, exit: { error: "runner restarted while the attempt was running" } });
  });

  it("cancels on task.cancel and reports cancelled; heartbeats list the running attempt", async () => {
    const { cp } = await setup();
    await cp.waitFor(() => cp.of("hello").length === 1);
    const task = assign("command:stubborn");
    cp.send(task);
    await cp.waitFor(() => cp.of("task.started").length === 1);
    await cp.waitFor(() => cp.of("heartbeat").some((h) => h.active.some((a) => a.taskId === task.taskId)));
    cp.send({ type: "task.cancel", taskId: task.taskId, attempt: 1, reason: "user clicked stop" });
    await cp.waitFor(() => cp.of("task.report").length === 1);
    expect(cp.of("task.report")[0]).toMatchObject({ status: "cancelled", exit: { signal: "SIGKILL", error: "cancelled: user clicked stop" } });
    const events = eventsOf(cp.of("task.events"), task.taskId).map((e) => e.event);
    expect(events).toContainEqual({ kind: "lifecycle", phase: "cancelling", detail: "user clicked stop" });
  });

  it("fails an attempt for a runtime it does not offer as a configuration error, naming what it offers", async () => {
    const { cp } = await setup();
    await cp.waitFor(() => cp.of("hello").length === 1);
    cp.send(assign("codex"));
    await cp.waitFor(() => cp.of("task.report").length === 1);
    expect(cp.of("task.report")[0]).toMatchObject({
      status: "failed",
      exit: { error: expect.stringMatching(/^runtime codex is not available on this runner \(it offers: .*command:stubborn/) },
      failure: { kind: "bad_config" },
    });
  });

  it("refuses an assign beyond its concurrency, without counting it as active", async () => {
    const { cp } = await setup();
    await cp.waitFor(() => cp.of("hello").length === 1);
    const tasks = [assign("command:stubborn"), assign("command:stubborn"), assign("command:stubborn")];
    for (const t of tasks) cp.send(t);
    await cp.waitFor(() => cp.of("task.report").length === 1);
    expect(cp.of("task.report")[0]).toMatchObject({ taskId: tasks[2]?.taskId, status: "lost", exit: { error: "runner is at its concurrency limit (2)" }, failure: { kind: "runner_lost" } });
    await cp.waitFor(() => cp.of("heartbeat").some((h) => h.active.length === 2));
    expect(cp.of("heartbeat").every((h) => h.active.length <= 2)).toBe(true);
  });

  it("stops gracefully: cancels what runs, delivers its report, exits 0", async () => {
    const { cp, stop } = await setup();
    await cp.waitFor(() => cp.of("hello").length === 1);
    cp.send(assign("command:stubborn"));
    await cp.waitFor(() => cp.of("task.started").length === 1);
    expect(await stop()).toBe(0);
    expect(cp.of("task.report")[0]).toMatchObject({ status: "cancelled", exit: { error: "cancelled: runner stopping" } });
  });

  it("reconnects after a resync error and ignores invalid frames", async () => {
    const { cp, log } = await setup();
    await cp.waitFor(() => cp.of("hello").length === 1);
    cp.sendRaw('{"type":"nonsense"}');
    cp.send({ type: "error", code: "seq_gap", message: "expected seq 5" });
    await cp.waitFor(() => cp.of("hello").length === 2);
    expect(log.lines.some((l) => l.includes("ignoring a frame from the control plane"))).toBe(true);
  });

  it("reconnects when the control plane goes silent for two ping intervals", async () => {
    const { cp, log } = await setup({}, {}, 100);
    await cp.waitFor(() => cp.of("hello").length === 1);
    cp.answerPings = false;
    await cp.waitFor(() => cp.of("hello").length === 2, 2000);
    expect(log.lines.some((l) => /nothing heard from the control plane for \ds; reconnecting/.test(l))).toBe(true);
  });

  it("cancels attempts the welcome says are revoked", async () => {
    const { cp } = await setup();
    await cp.waitFor(() => cp.of("hello").length === 1);
    const task = assign("command:stubborn");
    cp.send(task);
    await cp.waitFor(() => cp.of("task.started").length === 1);
    cp.welcome = { revoked: [{ taskId: task.taskId, attempt: 1, reason: "lease expired" }] };
    cp.drop(1001, "going away");
    await cp.waitFor(() => cp.of("hello").length === 2);
    expect(cp.of("hello")[1]?.active).toEqual([{ taskId: task.taskId, attempt: 1 }]);
    await cp.waitFor(() => cp.of("task.report").length === 1);
    expect(cp.of("task.report")[0]).toMatchObject({ status: "cancelled", exit: { error: "cancelled: revoked by the control plane: lease expired" } });
  });

  it.each([
    ["a rejected token (HTTP 401)", { token: "other" }, /rejected the token \(HTTP 401\) \(invalid token\)/, null],
    ["close 4409 replaced", {}, /another runner connected with this runner's id/, 4409],
  ])("stops with exit code 3 on %s", async (_name, options, message, closeCode) => {
    const { cp, runner, log } = await setup(options);
    if (closeCode !== null) {
      await cp.waitFor(() => cp.of("hello").length === 1);
      cp.drop(closeCode, "replaced");
    }
    const timeout = new Promise((r) => setTimeout(() => r("still running"), 4000).unref());
    expect(await Promise.race([runner.exited, timeout])).toBe(3);
    expect(log.lines.some((l) => message.test(l))).toBe(true);
    expect(cp.connections).toBeLessThanOrEqual(1);
  });
});
