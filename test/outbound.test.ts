/**
 * Outbound webhooks end to end: a real control plane (wrangler dev, D1, the workspace Durable
 * Object), a real runner running real commands, and a local node:http receiver that checks every
 * signature with node:crypto. Board changes and task runs reach subscribers signed; a receiver
 * that fails, hangs, answers 410 or is unreachable across a control-plane restart is handled as
 * the delivery log shows; the API call that caused an event never waits on a receiver.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, waitFor, type TestControlPlane } from "./helpers/control-plane";
import { FIXTURES, startRunner, type RunnerProcess } from "./helpers/runner-process";

const TIMEOUT_MS = 3000;
const SECRET = "outbound-test-secret-0123456789";

/** One reply per request, in order; after the script runs out, 200. */
type Reply = { status: number; headers?: Record<string, string> } | "hang";
interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
  event: { id: string; type: string; workspaceId: string; createdAt: string; data: Record<string, Record<string, unknown> | undefined> };
  res: ServerResponse;
}
interface Delivery {
  id: string;
  eventType: string;
  status: string;
  attempt: number;
  failReason: string | null;
  attempts: { attempt: number; status: number; error: string | null }[];
}

let cp: TestControlPlane;
let runner: RunnerProcess;
let server: Server;
let base = "";
const received: Received[] = [];
const scripts = new Map<string, Reply[]>();

beforeAll(async () => {
  // A small backoff base so retries come within the test; attempts time out after 3 s.
  cp = await startControlPlane({ OUTBOUND_RETRY_BASE_MS: "200", OUTBOUND_TIMEOUT_MS: String(TIMEOUT_MS) });
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers, body, receivedAt: Date.now(), event: JSON.parse(body) as Received["event"], res });
      const reply = scripts.get(path)?.shift() ?? { status: 200 };
      if (reply === "hang") return;
      res.writeHead(reply.status, reply.headers).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const node = process.execPath;
  runner = startRunner({
    url: cp.url, token: await cp.runnerToken(), name: "outbound-runner",
    commands: { ok: { command: node, args: [`${FIXTURES}/count.mjs`, "3", "10"] }, bad: { command: node, args: [`${FIXTURES}/count.mjs`, "1", "0", "7"] } },
  });
  await runner.waitForLog(/welcome/);
});
afterAll(async () => {
  runner?.signal("SIGKILL");
  for (const r of received) if (!r.res.writableEnded) r.res.destroy();
  server?.closeAllConnections();
  server?.close();
  await cp?.stop();
});

/** Checks `t=…,v1=…` the way a receiver would, with node:crypto. */
function signatureValid(r: Received, secret = SECRET): boolean {
  const header = String(r.headers["x-multica-signature"] ?? "");
  const t = /(?:^|,)t=(\d+)/.exec(header)?.[1];
  const v1 = /(?:^|,)v1=([0-9a-f]{64})/.exec(header)?.[1];
  if (!t || !v1) return false;
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${r.body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, "hex"));
}

async function subscribe(path: string, events: string[]): Promise<string> {
  const res = await cp.api.post<{ subscription: { id: string; secret: string } }>("/subscriptions", { url: `${base}${path}`, events, secret: SECRET });
  expect(res.status).toBe(201);
  return res.body.subscription.id;
}

const at = (path: string) => received.filter((r) => r.path === path);
const deliveries = async (sub: string) => (await cp.api.get<{ deliveries: Delivery[] }>(`/subscriptions/${sub}/deliveries`)).body.deliveries;
const newIssue = async (title: string) => (await cp.api.post<{ issue: { id: string } }>("/issues", { title })).body.issue.id;
const taskEnded = (taskId: string) => waitFor(async () => {
  const t = (await cp.api.task(taskId)).body.task;
  return ["succeeded", "failed", "cancelled"].includes(t.status) ? t : null;
}, 30_000, `task ${taskId} to end`);

describe("subscriptions", () => {
  it("refuse a non-http URL and unknown event types with details, and show the secret only once", async () => {
    const bad = await cp.api.post<{ error: { message: string; details: { path: string; message: string }[] } }>("/subscriptions", { url: "ftp://example.com/x", events: ["issue.created", "issue.exploded"] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details).toEqual(expect.arrayContaining([
      { path: "url", message: expect.stringContaining("http") },
      { path: "events.1", message: expect.stringContaining("task.succeeded") },
    ]));
    expect((await cp.api.post("/subscriptions", { url: `${base}/x`, events: [] })).status).toBe(400);

    const made = await cp.api.post<{ subscription: { id: string; secret: string } }>("/subscriptions", { url: `${base}/made`, events: ["issue.created"] });
    expect(made.body.subscription.secret).toMatch(/^whsec_/);
    const listed = await cp.api.get<{ subscriptions: Record<string, unknown>[] }>("/subscriptions");
    const mine = listed.body.subscriptions.find((s) => s.id === made.body.subscription.id);
    expect(mine).toMatchObject({ url: `${base}/made`, events: ["issue.created"], enabled: true });
    expect(mine).not.toHaveProperty("secret");
    expect((await cp.api.delete(`/subscriptions/${made.body.subscription.id}`)).status).toBe(204);
    expect((await cp.api.get(`/subscriptions/${made.body.subscription.id}`)).status).toBe(404);
  });

  it("send a signed ping on test", async () => {
    const sub = await subscribe("/ping", ["task.failed"]);
    const res = await cp.api.post<{ delivery: { id: string } }>(`/subscriptions/${sub}/test`);
    expect(res.status).toBe(202);
    const ping = await waitFor(async () => at("/ping")[0], 10_000, "the ping");
    expect(ping.event).toMatchObject({ type: "ping", workspaceId: cp.workspaceId, data: { subscriptionId: sub } });
    expect(ping.headers["x-multica-delivery"]).toBe(res.body.delivery.id);
    expect(signatureValid(ping)).toBe(true);
    expect(signatureValid(ping, "some-other-secret-entirely")).toBe(false);
  });
});

describe("events from the board and from runs", () => {
  it("reach the subscribers of their type, signed, with what happened", async () => {
    await subscribe("/all", ["issue.created", "issue.updated", "comment.added", "task.started", "task.succeeded", "task.failed", "task.cancelled", "skill.proposed"]);
    await subscribe("/failures", ["task.failed"]);
    const ok = (await cp.api.post<{ agent: { id: string } }>("/agents", { name: "doer", runtimes: ["command:ok"] })).body.agent.id;
    const bad = (await cp.api.post<{ agent: { id: string } }>("/agents", { name: "breaker", runtimes: ["command:bad"] })).body.agent.id;
    const nobody = (await cp.api.post<{ agent: { id: string } }>("/agents", { name: "idle", runtimes: ["command:nobody-has-this"] })).body.agent.id;

    const issue = await newIssue("outbound: the happy path");
    const comment = (await cp.api.post<{ comment: { id: string } }>(`/issues/${issue}/comments`, { body: "a note before the run" })).body.comment.id;
    const { task } = (await cp.api.post<{ task: { taskId: string } }>(`/issues/${issue}/assign`, { agentId: ok })).body;
    expect((await taskEnded(task.taskId)).status).toBe("succeeded");
    const failing = await cp.api.post<{ task: { taskId: string } }>(`/issues/${await newIssue("outbound: failing")}/assign`, { agentId: bad });
    expect((await taskEnded(failing.body.task.taskId)).status).toBe("failed");
    const idle = await cp.api.post<{ task: { taskId: string } }>(`/issues/${await newIssue("outbound: cancelled")}/assign`, { agentId: nobody });
    expect((await cp.api.post(`/tasks/${idle.body.task.taskId}/cancel`)).status).toBe(202);
    const skill = `---\nname: outbound-skill\ndescription: proposed by a run\n---\n\n# Steps\n`;
    const proposed = await fetch(`${cp.url}/api/v1/runner/skill-proposals`, {
      method: "POST", headers: { authorization: `Bearer ${await cp.runnerToken("proposer")}`, "content-type": "application/json" },
      body: JSON.stringify({ taskId: task.taskId, attempt: 1, baseHash: null, files: [{ path: "SKILL.md", content: skill }] }),
    });
    expect(proposed.status).toBe(201);

    const of = (type: string, match: (e: Received["event"]) => boolean) => at("/all").find((r) => r.event.type === type && match(r.event));
    const got = await waitFor(async () => {
      const want = {
        created: of("issue.created", (e) => e.data.issue?.id === issue),
        comment: of("comment.added", (e) => e.data.comment?.id === comment),
        updated: of("issue.updated", (e) => e.data.issue?.id === issue),
        started: of("task.started", (e) => e.data.task?.taskId === task.taskId),
        succeeded: of("task.succeeded", (e) => e.data.task?.taskId === task.taskId),
        failed: of("task.failed", (e) => e.data.task?.taskId === failing.body.task.taskId),
        cancelled: of("task.cancelled", (e) => e.data.task?.taskId === idle.body.task.taskId),
        proposed: of("skill.proposed", (e) => e.data.proposal?.name === "outbound-skill"),
      };
      return Object.values(want).every(Boolean) ? (want as Record<keyof typeof want, Received>) : null;
    }, 30_000, "every event at the receiver");

    for (const r of Object.values(got)) {
      expect(signatureValid(r), `${r.event.type} signature`).toBe(true);
      expect(r.headers["x-multica-event"]).toBe(r.event.type);
      expect(r.headers["x-multica-delivery"]).toMatch(/^dlv_/);
      expect(r.event.workspaceId).toBe(cp.workspaceId);
    }
    expect(got.created.event.data.issue).toMatchObject({ title: "outbound: the happy path", status: "todo" });
    expect(got.updated.event.data.issue).toMatchObject({ assigneeAgentId: ok, status: "in_progress" });
    expect(got.succeeded.event.data.task).toMatchObject({ status: "succeeded", exitCode: 0, issueId: issue });
    expect(got.failed.event.data.task).toMatchObject({ status: "failed", exitCode: 7 });
    expect(got.proposed.event.data.proposal).toMatchObject({ taskId: task.taskId, status: "pending" });
    // Each event once per subscriber, and the narrow subscriber got only its type.
    expect(at("/all").filter((r) => r.event.type === "task.succeeded" && r.event.data.task?.taskId === task.taskId)).toHaveLength(1);
    await waitFor(async () => at("/failures").length > 0, 10_000, "the task.failed subscriber");
    expect(new Set(at("/failures").map((r) => r.event.type))).toEqual(new Set(["task.failed"]));
  });
});

describe("events made inside the workspace object", () => {
  it("include the issue a schedule's run opens", async () => {
    await subscribe("/scheduled", ["issue.created"]);
    const schedule = await cp.api.post<{ schedule: { id: string } }>("/schedules", { name: "outbound", cron: "@yearly", timezone: "UTC", action: { title: "outbound: opened by a schedule" } });
    expect(schedule.status).toBe(201);
    expect((await cp.api.post(`/schedules/${schedule.body.schedule.id}/run`)).status).toBe(201);
    const created = await waitFor(async () => at("/scheduled").find((r) => r.event.data.issue?.title === "outbound: opened by a schedule"), 10_000, "the scheduled issue's event");
    expect(created.event).toMatchObject({ type: "issue.created", data: { issue: { createdBy: "system", status: "todo" } } });
    expect(signatureValid(created)).toBe(true);
  });
});

describe("delivery", () => {
  it("retries with backoff: a receiver failing twice gets it on attempt 3, and the log shows all three", async () => {
    const sub = await subscribe("/flaky", ["issue.created"]);
    scripts.set("/flaky", [{ status: 500 }, { status: 503 }]);
    await newIssue("outbound: flaky receiver");
    const [d] = await waitFor(async () => {
      const log = await deliveries(sub);
      return log[0]?.status === "delivered" ? log : null;
    }, 20_000, "the delivery to succeed");
    expect(d).toMatchObject({ eventType: "issue.created", attempt: 3, failReason: null });
    expect(d!.attempts.map((a) => [a.attempt, a.status, a.error])).toEqual([[1, 500, "HTTP 500"], [2, 503, "HTTP 503"], [3, 200, null]]);
    const requests = at("/flaky");
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers["x-multica-delivery"]))).toEqual(new Set([d!.id]));
    expect(requests.every((r) => signatureValid(r) && r.body === requests[0]!.body)).toBe(true);
  });

  it("a 410 disables the subscription; re-enabled, a failed delivery is retried by hand", async () => {
    const sub = await subscribe("/gone", ["issue.created"]);
    scripts.set("/gone", [{ status: 410 }]);
    await newIssue("outbound: gone receiver");
    const [failed] = await waitFor(async () => {
      const log = await deliveries(sub);
      return log[0]?.status === "failed" ? log : null;
    }, 10_000, "the delivery to fail");
    expect(failed).toMatchObject({ failReason: "gone", attempt: 1 });
    const shown = await cp.api.get<{ subscription: { enabled: boolean; disabledReason: string | null } }>(`/subscriptions/${sub}`);
    expect(shown.body.subscription).toMatchObject({ enabled: false, disabledReason: expect.stringContaining("410") });
    const retryDisabled = await cp.api.post<{ error: { code: string } }>(`/subscriptions/${sub}/deliveries/${failed!.id}/retry`);
    expect(retryDisabled).toMatchObject({ status: 409, body: { error: { code: "conflict" } } });

    // Nothing more goes to a disabled subscription.
    await newIssue("outbound: after gone");
    await new Promise((r) => setTimeout(r, 1500));
    expect(at("/gone")).toHaveLength(1);
    expect(await deliveries(sub)).toHaveLength(1);

    expect((await cp.api.patch(`/subscriptions/${sub}`, { enabled: true })).body).toMatchObject({ subscription: { enabled: true, disabledReason: null } });
    expect((await cp.api.post(`/subscriptions/${sub}/deliveries/${failed!.id}/retry`)).status).toBe(202);
    const retried = await waitFor(async () => (await deliveries(sub)).find((d) => d.id === failed!.id && d.status === "delivered"), 10_000, "the manual retry");
    expect(retried.attempts.map((a) => a.status)).toEqual([410, 200]);
    expect((await cp.api.post(`/subscriptions/${sub}/deliveries/${failed!.id}/retry`)).status).toBe(409);
  });

  it("never holds up the request that caused the event, even while the receiver hangs", async () => {
    const sub = await subscribe("/hang", ["issue.created"]);
    scripts.set("/hang", ["hang"]);
    const started = performance.now();
    const res = await cp.api.post<{ issue: { id: string } }>("/issues", { title: "outbound: hanging receiver" });
    const tookMs = performance.now() - started;
    expect(res.status).toBe(201);
    const stalled = await waitFor(async () => at("/hang")[0], 10_000, "the receiver to be called");
    // The API answered well inside the attempt's timeout, and the receiver is still stalled.
    expect(tookMs).toBeLessThan(TIMEOUT_MS / 2);
    expect(stalled.res.writableEnded).toBe(false);
    const [d] = await waitFor(async () => {
      const log = await deliveries(sub);
      return log[0]?.status === "delivered" ? log : null;
    }, TIMEOUT_MS + 10_000, "the retry after the timeout");
    expect(d!.attempts.map((a) => a.error)).toEqual([`timed out after ${TIMEOUT_MS} ms`, null]);
    stalled.res.destroy();
  });

  it("a delivery pending when the control plane goes down is delivered after it restarts", async () => {
    const sub = await subscribe("/restart", ["issue.created"]);
    // Retry-After puts the second attempt 3 s out: the control plane is down by then.
    scripts.set("/restart", [{ status: 503, headers: { "retry-after": "3" } }]);
    await newIssue("outbound: across a restart");
    await waitFor(async () => (await deliveries(sub))[0]?.status === "retrying", 10_000, "the first attempt to be logged");
    // No runner reconnects and no call reaches the workspace's object after the restart: only
    // its alarm, stored with it, can wake it for the retry.
    runner.signal("SIGKILL");
    await runner.exited;
    expect(at("/restart")).toHaveLength(1);
    const killedAt = Date.now();
    await cp.restart({ hard: true, downMs: 1000 });
    const [d] = await waitFor(async () => {
      const log = await deliveries(sub);
      return log[0]?.status === "delivered" ? log : null;
    }, 30_000, "the delivery after the restart");
    expect(d!.attempts.map((a) => a.status)).toEqual([503, 200]);
    const [first, second] = at("/restart");
    expect(first!.receivedAt).toBeLessThan(killedAt);
    expect(second!.receivedAt).toBeGreaterThan(killedAt);
    expect(new Set(at("/restart").map((r) => r.headers["x-multica-delivery"]))).toEqual(new Set([d!.id]));
  });
});
