/**
 * `npm run bench`, D1 cost: rows written to D1 per task lifecycle (assign → dispatch → started →
 * one event → report, on its own issue) and per MiB of transcript, counted by triggers in the
 * local D1 file (d1-write-counter.ts) on a control plane of this file's own. Rows written is what
 * D1 bills and what bounds throughput, so updates count as well as inserts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bootstrap, launchControlPlane, type ControlPlaneProcess } from "../scripts/control-plane.mjs";
import { ApiClient } from "../test/helpers/control-plane";
import { RawRunner } from "../test/helpers/sockets";
import { D1WriteCounter, difference, total } from "./d1-write-counter";
import { agentAndIssue, autoRunner } from "./fake-runners";
import { Results } from "./results";

const results = new Results("d1-rows", "D1 rows written (local D1, counted by triggers)");
const SECRET = "bench-bootstrap-secret";
let state: string;
let cp: ControlPlaneProcess;
let api: ApiClient;
let token: string;
let counter: D1WriteCounter;

beforeAll(async () => {
  state = mkdtempSync(join(tmpdir(), "multica-bench-d1-"));
  // MULTICA_TEST_LOGS=1 shows the Worker's log lines, as in the tests.
  const log = process.env.MULTICA_TEST_LOGS ? (line: string) => console.error(`[control plane] ${line}`) : undefined;
  cp = await launchControlPlane({ persistTo: state, vars: { BOOTSTRAP_SECRET: SECRET }, ...(log ? { log } : {}) });
  const boot = await bootstrap(cp.url, SECRET);
  if (!boot) throw new Error("already bootstrapped");
  api = new ApiClient(cp.url, boot.token.secret, boot.workspace.id);
  token = (await api.post<{ token: { secret: string } }>("/tokens", { name: "bench-d1", kind: "runner" })).body.token.secret;
  counter = await D1WriteCounter.install(state);
}, 120_000);

afterAll(async () => {
  counter?.close();
  await cp?.stop();
  rmSync(state, { recursive: true, force: true });
  results.save();
});

let perLifecycle = 0;

it("rows written per task lifecycle", async () => {
  const runtime = "command:d1rows";
  const acked = new Set<string>();
  const runner = await autoRunner(cp.url, token, "rnr_benchd1rows", runtime, 8, { onReportAck: (id) => acked.add(id) });
  const { agentId } = await agentAndIssue(api, runtime);
  const n = 100;
  // Issues first: creating them is board work, not the task's.
  const issues: string[] = [];
  for (let i = 0; i < n + 5; i++) issues.push((await api.post<{ issue: { id: string } }>("/issues", { title: `d1 rows ${i}` })).body.issue.id);
  const run = async (issueId: string) => {
    const res = await api.post<{ task: { taskId: string } }>(`/issues/${issueId}/assign`, { agentId });
    if (res.status !== 201) throw new Error(`assign answered ${res.status}: ${JSON.stringify(res.body)}`);
    const deadline = Date.now() + 30_000;
    while (!acked.has(res.body.task.taskId)) {
      if (Date.now() > deadline) throw new Error(`task ${res.body.task.taskId} was not run within 30 s`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  // Five first, so one-time rows (the runner's record, its runtimes) are not counted.
  for (const issueId of issues.slice(0, 5)) await run(issueId);
  const before = await counter.settled();
  for (const issueId of issues.slice(5)) await run(issueId);
  const after = await counter.settled();
  perLifecycle = (total(after) - total(before)) / n;
  results.value("rows written per task lifecycle", perLifecycle, "rows");
  for (const [key, rows] of difference(after, before).slice(0, 10)) results.value(`  per lifecycle: ${key}`, rows / n, "rows");
  expect(perLifecycle).toBeGreaterThan(0);
  runner.close();
}, 300_000);

it("rows written per MiB of transcript", async () => {
  const runtime = "command:d1mib";
  const r = await RawRunner.connect(cp.url, token);
  await r.hello("rnr_benchd1mib", [runtime], 1);
  const { agentId, issueId } = await agentAndIssue(api, runtime);
  const before = await counter.settled();
  const taskId = (await api.post<{ task: { taskId: string } }>(`/issues/${issueId}/assign`, { agentId })).body.task.taskId;
  const assign = await r.next((m) => m.type === "task.assign" && m.taskId === taskId, 60_000);
  const attempt = assign.type === "task.assign" ? assign.attempt : 1;
  r.send({ type: "task.started", taskId, attempt });
  // 4 MiB of events of a typical agent line length (about 200 bytes of text each).
  const text = "An agent's line of output: reading files, running tests, explaining what it changed. ".repeat(3).slice(0, 200);
  let bytes = 0;
  let seq = 0;
  while (bytes < 4 * 1024 * 1024) {
    const events = Array.from({ length: 200 }, () => ({ seq: ++seq, ts: Date.now(), event: { kind: "output" as const, stream: "stdout" as const, text } }));
    bytes += events.reduce((sum, e) => sum + JSON.stringify(e).length, 0);
    r.send({ type: "task.events", taskId, attempt, events });
    const last = seq;
    await r.next((m) => m.type === "ack" && m.taskId === taskId && m.seq >= last, 30_000);
  }
  r.send({ type: "task.report", taskId, attempt, status: "succeeded", lastSeq: seq, exit: { exitCode: 0, signal: null, error: null, durationMs: 0 }, sessionId: null, usage: null });
  await r.next((m) => m.type === "report.ack" && m.taskId === taskId, 60_000);
  const after = await counter.settled();
  const mib = bytes / 1024 / 1024;
  const transcriptRows = total(after) - total(before) - perLifecycle;
  results.value(`rows written per MiB of transcript (${seq} events of 200 B)`, transcriptRows / mib, "rows");
  const chunks = difference(after, before).find(([k]) => k === "transcript_chunks insert")?.[1] ?? 0;
  results.value("  per MiB: transcript_chunks insert", chunks / mib, "rows");
  expect(transcriptRows).toBeGreaterThan(0);
  r.close();
}, 120_000);
