/**
 * Hostile and broken input against a real control plane: every case gets a clear HTTP error or
 * a close code with a reason, nothing is stored, and the workspace Durable Object keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloseCode, MAX_FRAME_BYTES } from "@multica/shared";
import { startControlPlane, type TestControlPlane } from "./helpers/control-plane";
import { RawRunner } from "./helpers/sockets";

let cp: TestControlPlane;
let runnerToken: string;

beforeAll(async () => {
  cp = await startControlPlane();
  runnerToken = await cp.runnerToken();
});
afterAll(async () => {
  await cp?.stop();
});

/** A runner that said hello; each test uses its own runtime so tasks cannot go to another test's runner. */
async function helloed(id: string, runtime = "command:bad") {
  const r = await RawRunner.connect(cp.url, runnerToken);
  await r.hello(id, [runtime]);
  return r;
}

describe("bad frames on the runner socket", () => {
  const cases: [string, string, number, RegExp][] = [
    ["not JSON", "{nope", CloseCode.protocolError, /not valid JSON/],
    ["unknown type", JSON.stringify({ type: "launch.missiles" }), CloseCode.protocolError, /invalid message/],
    ["wrong field types", JSON.stringify({ type: "task.events", taskId: 5, attempt: "one", events: [] }), CloseCode.protocolError, /invalid message: taskId/],
    ["foreign id shape", JSON.stringify({ type: "task.claim", taskId: "../../etc" }), CloseCode.protocolError, /taskId/],
    ["oversized frame", JSON.stringify({ type: "heartbeat", active: [], pad: "x".repeat(MAX_FRAME_BYTES) }), CloseCode.tooBig, /exceeds/],
  ];
  for (const [name, frame, code, reason] of cases) {
    it(`closes on ${name} with ${code} and a reason`, async () => {
      const r = await helloed(`rnr_bad${name.replace(/\W/g, "").toLowerCase().slice(0, 12)}`);
      r.send(frame);
      const closed = await r.closed;
      expect(closed.code).toBe(code);
      expect(closed.reason).toMatch(reason);
    });
  }

  it("requires hello before anything else", async () => {
    const r = await RawRunner.connect(cp.url, runnerToken);
    r.send({ type: "heartbeat", active: [] });
    expect(await r.closed).toEqual({ code: CloseCode.protocolError, reason: "send hello first" });
  });

  it("refuses a protocol version it does not speak", async () => {
    const r = await RawRunner.connect(cp.url, runnerToken);
    r.send(JSON.stringify({ type: "hello", protocol: 99, runnerId: "rnr_future0001", name: "f", version: "9", concurrency: 1, runtimes: [], active: [] }));
    const closed = await r.closed;
    expect(closed.code).toBe(CloseCode.unsupportedVersion);
    expect(closed.reason).toMatch(/protocol 99 not supported/);
  });

  it("replaces an older connection of the same runner id", async () => {
    const old = await helloed("rnr_twice00001");
    await helloed("rnr_twice00001");
    expect((await old.closed).code).toBe(CloseCode.replaced);
  });

  it("stores nothing for events about unknown or foreign attempts, and keeps serving", async () => {
    const r = await helloed("rnr_foreign001", "command:foreign");
    r.send({ type: "task.events", taskId: "tsk_doesnotexist0000000", attempt: 1, events: [{ seq: 1, ts: 1, event: { kind: "output", stream: "stdout", text: "x" } }] });
    expect(await r.next((m) => m.type === "error")).toMatchObject({ code: "unknown_task" });

    // Another runner's attempt: refused, and its transcript stays empty.
    const holder = await helloed("rnr_holder0001", "command:foreign");
    const { taskId } = await cp.api.assignNew(["command:foreign"]);
    const holderGot = await Promise.race([holder.next((m) => m.type === "task.assign"), r.next((m) => m.type === "task.assign")]);
    const [owner, other] = holder.received.includes(holderGot) ? [holder, r] : [r, holder];
    other.send({ type: "task.events", taskId, attempt: 1, events: [{ seq: 1, ts: 1, event: { kind: "output", stream: "stdout", text: "intruder" } }] });
    expect(await other.next((m) => m.type === "error" && m.code === "not_holder")).toBeTruthy();
    other.send({ type: "task.report", taskId, attempt: 1, status: "succeeded", lastSeq: 0, exit: { exitCode: 0, signal: null, error: null, durationMs: 1 }, sessionId: null, usage: null });
    await other.next((m) => m.type === "error" && m.code === "not_holder" && m !== other.received.find((x) => x.type === "error" && x.code === "not_holder"));

    // A gap in seq is refused rather than stored out of order.
    owner.send({ type: "task.events", taskId, attempt: 1, events: [{ seq: 2, ts: 1, event: { kind: "output", stream: "stdout", text: "skipped one" } }] });
    expect(await owner.next((m) => m.type === "error" && m.code === "seq_gap")).toBeTruthy();
    // A report claiming events the control plane never got is refused.
    owner.send({ type: "task.report", taskId, attempt: 1, status: "succeeded", lastSeq: 4, exit: { exitCode: 0, signal: null, error: null, durationMs: 1 }, sessionId: null, usage: null });
    expect(await owner.next((m) => m.type === "error" && m.code === "report_before_events")).toBeTruthy();

    const task = await cp.api.task(taskId);
    expect(task.body.task).toMatchObject({ status: "dispatched", lastSeq: 0 });
    expect(task.body.transcript.events).toEqual([]);

    // The object still serves the rightful holder normally.
    owner.send({ type: "task.events", taskId, attempt: 1, events: [{ seq: 1, ts: 1, event: { kind: "output", stream: "stdout", text: "legit" } }] });
    await owner.next((m) => m.type === "ack" && m.seq === 1);
    expect((await cp.api.task(taskId)).body.transcript.events.map((e) => e.event.text)).toEqual(["legit"]);
  });

  it("closes a viewer that sends anything but pings", async () => {
    const r = await helloed("rnr_viewertest1", "command:viewer");
    const { taskId } = await cp.api.assignNew(["command:viewer"]);
    await r.next((m) => m.type === "task.assign");
    const { Viewer } = await import("./helpers/sockets");
    const v = await Viewer.connect(cp.url, cp.workspaceId, cp.adminToken, taskId);
    v.ws.send("ping");
    await new Promise((res) => v.ws.once("message", res));
    v.ws.send(JSON.stringify({ type: "task.events" }));
    expect((await v.closed).code).toBe(CloseCode.protocolError);
  });
});

describe("bad HTTP requests", () => {
  const raw = (path: string, init: RequestInit = {}) => fetch(`${cp.url}${path}`, init).then(async (r) => ({ status: r.status, body: (await r.json()) as { error: { code: string; message: string } } }));

  it("rejects missing, wrong and mismatched tokens with 401/403", async () => {
    expect(await raw(`/api/v1/workspaces/${cp.workspaceId}/issues`)).toMatchObject({ status: 401, body: { error: { code: "unauthorized", message: expect.stringMatching(/missing token/) } } });
    expect((await cp.api.request("GET", "/issues", undefined, "mca_wrong")).status).toBe(401);
    expect(await cp.api.request("GET", "/issues", undefined, runnerToken)).toMatchObject({ status: 403, body: { error: { code: "forbidden" } } });
    const other = await raw(`/api/v1/workspaces/ws_someoneelses000000/issues`, { headers: { authorization: `Bearer ${cp.adminToken}` } });
    expect(other).toMatchObject({ status: 403, body: { error: { message: expect.stringMatching(/does not belong to workspace ws_someoneelses/) } } });
  });

  it("refuses runner sockets without a runner token", async () => {
    await expect(RawRunner.connect(cp.url, "mcr_nope")).rejects.toThrow(/HTTP 401/);
    await expect(RawRunner.connect(cp.url, cp.adminToken)).rejects.toThrow(/HTTP 403/);
  });

  it("validates bodies and ids with stable codes and no stack traces", async () => {
    const bad = await cp.api.post<{ error: { code: string; message: string } }>("/issues", { title: "" });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: "bad_request", message: expect.stringMatching(/title/) } } });
    expect((await cp.api.post("/issues", "{oops")).status).toBe(400);
    const agent = await cp.api.post<{ error: { message: string; details: { path: string | null; message: string }[] } }>("/agents", { name: "x", runtimes: ["Not A Key!"] });
    expect(agent.status).toBe(400);
    expect(agent.body.error.message).toMatch(/runtime keys look like/);
    // Every field error, with where it is.
    expect(agent.body.error.details).toContainEqual({ path: "runtimes.0", message: expect.stringMatching(/runtime keys look like/) });
    expect((await cp.api.get("/tasks/not-a-task")).status).toBe(400);
    const missing = await cp.api.get<{ error: { code: string } }>("/tasks/tsk_unknown00000000000");
    expect(missing).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    const assign = await cp.api.post<{ error: { code: string } }>("/issues/iss_unknown00000000000/assign", { agentId: "agt_unknown00000000000" });
    expect(assign).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    const route = await raw("/api/v1/nothing-here");
    expect(route).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    for (const r of [bad, agent, missing, assign]) expect(JSON.stringify(r.body)).not.toMatch(/at \w+ \(|\.ts:\d+/);
  });

  it("refuses a second bootstrap", async () => {
    const again = await raw("/api/v1/bootstrap", { method: "POST", headers: { "x-bootstrap-secret": "test-bootstrap-secret" } });
    expect(again).toMatchObject({ status: 409, body: { error: { code: "already_bootstrapped" } } });
    const wrong = await raw("/api/v1/bootstrap", { method: "POST", headers: { "x-bootstrap-secret": "guess" } });
    expect(wrong.status).toBe(401);
  });
});
