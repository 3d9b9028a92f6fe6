/**
 * Inbound webhooks through the real control plane (wrangler dev, D1, a raw runner socket): GitHub
 * deliveries signed with X-Hub-Signature-256 and generic ones with X-Multica-Signature open
 * issues (and start the configured agent's run), repeats of a delivery key act once, bad and stale
 * signatures are refused with the reason, and every delivery lands in the hook's log, from which
 * an admin can redeliver it (dedupe rules still hold).
 */
import { createHmac, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlTaskAssign } from "@multica/shared";
import { signGeneric } from "../control-plane/src/triggers/signatures";
import { startControlPlane, type TestControlPlane } from "./helpers/control-plane";
import { RawRunner } from "./helpers/sockets";

let cp: TestControlPlane;
let runner: RawRunner;
let agentId: string;
const SECRET = "a-test-secret-of-some-length";
const RUNTIME = "command:webhooks-test";

interface Hook {
  id: string;
  url: string;
  secret: string;
}
interface Delivery {
  id: string;
  deliveryKey: string | null;
  event: string | null;
  status: string;
  reason: string | null;
  issueId: string | null;
  payload: string;
  redeliveryOf: string | null;
}
interface Issue {
  id: string;
  title: string;
  body: string;
  status: string;
  assigneeAgentId: string | null;
  labels: string[];
}

/** What the hook answers: an outcome, a duplicate, or the error envelope. */
interface Answer {
  status?: string;
  reason?: string;
  duplicate?: boolean;
  issueId: string;
  task: { taskId: string } | null;
  error: { code: string; message: string; requestId: string };
}

const codertocat = { login: "Codertocat", id: 21031067, type: "User" };
const ghIssue = (n: number, extra: Record<string, unknown> = {}) => ({
  html_url: `https://github.com/Codertocat/Hello-World/issues/${n}`,
  number: n,
  title: `Spelling error ${n}`,
  user: codertocat,
  labels: [{ name: "bug" }],
  assignees: [],
  body: "It looks like you accidently spelled 'commit' with two 't's.",
  ...extra,
});

async function createHook(body: Record<string, unknown>): Promise<Hook> {
  const res = await cp.api.post<{ webhook: Hook }>("/webhooks", { secret: SECRET, ...body });
  expect(res.status).toBe(201);
  return res.body.webhook;
}

function deliverGitHub(hook: Hook, event: string, payload: unknown, opts: { delivery?: string; secret?: string } = {}) {
  const raw = JSON.stringify(payload);
  const sig = `sha256=${createHmac("sha256", opts.secret ?? hook.secret).update(raw).digest("hex")}`;
  return post(hook.url, raw, { "X-GitHub-Event": event, "X-GitHub-Delivery": opts.delivery ?? randomUUID(), "X-Hub-Signature-256": sig });
}

async function deliverGeneric(hook: Hook, payload: unknown, opts: { key?: string; at?: number } = {}) {
  const raw = JSON.stringify(payload);
  const sig = await signGeneric(hook.secret, opts.at ?? Math.floor(Date.now() / 1000), new TextEncoder().encode(raw));
  return post(hook.url, raw, { "X-Multica-Signature": sig, ...(opts.key ? { "Idempotency-Key": opts.key } : {}) });
}

async function post(url: string, body: string, headers: Record<string, string>) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Answer };
}

const deliveries = async (hook: Hook) => (await cp.api.get<{ deliveries: Delivery[] }>(`/webhooks/${hook.id}/deliveries`)).body.deliveries;
const issue = async (id: string) => (await cp.api.get<{ issue: Issue }>(`/issues/${id}`)).body.issue;
const issuesTitled = async (title: string) => (await cp.api.get<{ issues: Issue[] }>(`/issues?q=${encodeURIComponent(title)}`)).body.issues;

beforeAll(async () => {
  cp = await startControlPlane();
  runner = await RawRunner.connect(cp.url, await cp.runnerToken());
  await runner.hello("rnr_webhooks0001", [RUNTIME], 4);
  agentId = (await cp.api.post<{ agent: { id: string } }>("/agents", { name: "fixer", runtimes: [RUNTIME], maxConcurrentTasks: 4 })).body.agent.id;
});
afterAll(async () => {
  runner?.close();
  await cp?.stop();
});

describe("managing webhooks", () => {
  it("shows the secret and URL once, lists without secrets, and deletes", async () => {
    const created = await cp.api.post<{ webhook: Hook & { kind: string } }>("/webhooks", { kind: "generic", name: "made" });
    expect(created.status).toBe(201);
    expect(created.body.webhook).toMatchObject({ id: expect.stringMatching(/^whk_/), kind: "generic", secret: expect.stringMatching(/^whsec_/), url: `${cp.url}/api/v1/hooks/${created.body.webhook.id}` });
    const listed = await cp.api.get<{ webhooks: Record<string, unknown>[] }>("/webhooks");
    const mine = listed.body.webhooks.find((w) => w.id === created.body.webhook.id);
    expect(mine).toMatchObject({ name: "made", url: created.body.webhook.url });
    expect(mine).not.toHaveProperty("secret");
    expect((await cp.api.delete(`/webhooks/${created.body.webhook.id}`)).status).toBe(204);
    expect((await cp.api.get(`/webhooks/${created.body.webhook.id}/deliveries`)).status).toBe(404);
    expect((await post(created.body.webhook.url, "{}", {})).status).toBe(404);
  });

  it("refuses an agent of nowhere, and members who are not admins", async () => {
    expect((await cp.api.post("/webhooks", { kind: "github", name: "x", config: { agentId: "agt_doesnotexist" } })).status).toBe(400);
    const added = await cp.api.post<{ token: { secret: string } }>("/members", { name: "Mo", email: "mo@webhooks.test" });
    const member = cp.api.as(added.body.token.secret);
    expect((await member.post("/webhooks", { kind: "github", name: "nope" })).status).toBe(403);
    expect((await member.get("/webhooks")).status).toBe(403);
  });
});

describe("GitHub deliveries", () => {
  let hook: Hook;
  beforeAll(async () => {
    hook = await createHook({ kind: "github", name: "repo" });
  });

  it("open an issue for issues.opened, once per X-GitHub-Delivery, with the URL", async () => {
    const payload = { action: "opened", issue: ghIssue(1), sender: codertocat };
    const delivery = randomUUID();
    const first = await deliverGitHub(hook, "issues", payload, { delivery });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ status: "accepted", issueId: expect.stringMatching(/^iss_/), task: null });
    const created = await issue(first.body.issueId);
    expect(created).toMatchObject({ title: "Spelling error 1", status: "todo", labels: ["bug"] });
    expect(created.body).toContain("https://github.com/Codertocat/Hello-World/issues/1");

    const again = await deliverGitHub(hook, "issues", payload, { delivery });
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await issuesTitled("Spelling error 1")).toHaveLength(1);

    const log = await deliveries(hook);
    expect(log.find((d) => d.status === "accepted" && d.deliveryKey === delivery)).toMatchObject({ event: "issues", issueId: created.id });
    expect(log.find((d) => d.status === "ignored" && d.deliveryKey === delivery)?.reason).toMatch(/duplicate/);
  });

  it("refuse a bad signature with 401, logged as rejected", async () => {
    const res = await deliverGitHub(hook, "issues", { action: "opened", issue: ghIssue(2), sender: codertocat }, { secret: "not-the-secret" });
    expect(res.status).toBe(401);
    expect(res.body.error).toMatchObject({ code: "unauthorized", message: expect.stringContaining("signature_mismatch") });
    expect((await deliveries(hook))[0]).toMatchObject({ status: "rejected", reason: "signature_mismatch" });
    expect(await issuesTitled("Spelling error 2")).toHaveLength(0);
  });

  it("ignore a ping, with the reason", async () => {
    const res = await deliverGitHub(hook, "ping", { zen: "Keep it logically awesome.", hook_id: 1 });
    expect(res).toMatchObject({ status: 202, body: { status: "ignored", reason: "ping" } });
    expect((await deliveries(hook))[0]).toMatchObject({ status: "ignored", reason: "ping", event: "ping" });
  });

  it("assign a mentioned agent and start its run; a later comment mentioning it is a follow-up", async () => {
    const opened = await deliverGitHub(hook, "issues", { action: "opened", issue: ghIssue(3, { body: "@fixer please look" }), sender: codertocat });
    expect(opened.status).toBe(201);
    const id = opened.body.issueId;
    expect(await issue(id)).toMatchObject({ assigneeAgentId: agentId, status: "in_progress" });
    await runner.next((m) => m.type === "task.assign" && m.issue.id === id);

    const comment = {
      action: "created",
      issue: { html_url: ghIssue(3).html_url },
      comment: { body: "@fixer also the other typo", user: codertocat },
      sender: codertocat,
    };
    const res = await deliverGitHub(hook, "issue_comment", comment);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: "accepted", issueId: id });
    const shown = await cp.api.get<{ comments: { body: string }[] }>(`/issues/${id}/comments`);
    expect(shown.body.comments.map((c) => c.body)).toEqual([expect.stringContaining("@fixer also the other typo")]);

    const elsewhere = await deliverGitHub(hook, "issue_comment", { ...comment, issue: { html_url: ghIssue(99).html_url } });
    expect(elsewhere.body).toMatchObject({ status: "ignored", reason: expect.stringContaining("no issue") });
  });
});

describe("generic deliveries", () => {
  let hook: Hook;
  beforeAll(async () => {
    hook = await createHook({ kind: "generic", name: "alerts", config: { agentId, titleTemplate: "Alert: {{alert.name}}", bodyTemplate: "Severity {{alert.severity}}" } });
  });

  it("open an issue from the templates and dispatch the configured agent's run", async () => {
    const res = await deliverGeneric(hook, { alert: { name: "disk full", severity: "high" } });
    expect(res.status).toBe(201);
    const created = await issue(res.body.issueId);
    expect(created).toMatchObject({ title: "Alert: disk full", body: "Severity high", assigneeAgentId: agentId, status: "in_progress" });
    const assign = (await runner.next((m) => m.type === "task.assign" && m.issue.id === created.id)) as ControlTaskAssign;
    expect(assign.taskId).toBe(res.body.task?.taskId);
    expect((await deliveries(hook))[0]).toMatchObject({ status: "accepted", issueId: created.id });
  });

  it("default to the hook's name and the JSON when no template is set", async () => {
    const plain = await createHook({ kind: "generic", name: "plain" });
    const res = await deliverGeneric(plain, { hello: "world" });
    expect(res.status).toBe(201);
    const created = await issue(res.body.issueId);
    expect(created).toMatchObject({ title: "Webhook plain", assigneeAgentId: null });
    expect(created.body).toContain('"hello": "world"');
  });

  it("refuse a stale timestamp with the reason", async () => {
    const res = await deliverGeneric(hook, { alert: { name: "old" } }, { at: Math.floor(Date.now() / 1000) - 3600 });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain("timestamp_too_old");
    expect((await deliveries(hook))[0]).toMatchObject({ status: "rejected", reason: "timestamp_too_old" });
  });

  it("act once per Idempotency-Key", async () => {
    const key = randomUUID();
    const first = await deliverGeneric(hook, { alert: { name: "once" } }, { key });
    expect(first.status).toBe(201);
    const again = await deliverGeneric(hook, { alert: { name: "once" } }, { key });
    expect(again).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await issuesTitled("Alert: once")).toHaveLength(1);
  });

  it("refuse a body over 1 MiB with 413 and the error envelope", async () => {
    const res = await deliverGeneric(hook, { big: "x".repeat(1024 * 1024 + 10) });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: "payload_too_large", requestId: expect.any(String) });
    expect((await deliveries(hook))[0]).toMatchObject({ status: "rejected", reason: "payload_too_large" });
  });

  it("answer 404 to an unknown hook, without logging", async () => {
    const res = await post(`${cp.url}/api/v1/hooks/whk_doesnotexist00`, "{}", {});
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });
});


describe("redelivery from the log", () => {
  let hook: Hook;
  const redeliver = (d: { id: string }) => cp.api.post<Answer & { deliveryId: string; redeliveryOf?: string }>(`/webhooks/${hook.id}/deliveries/${d.id}/redeliver`);
  const comments = async (id: string) => (await cp.api.get<{ comments: { body: string }[] }>(`/issues/${id}/comments`)).body.comments;
  beforeAll(async () => {
    hook = await createHook({ kind: "github", name: "redeliveries" });
  });

  it("acts on a comment ignored before its issue existed, once, keeping the whole body and the link", async () => {
    const url = ghIssue(40).html_url;
    // Over the 64 KiB that rejected bodies are cut at: a verified body is kept whole.
    const comment = { action: "created", issue: { html_url: url }, comment: { body: "@fixer please retry this", user: codertocat }, sender: codertocat, padding: "x".repeat(70_000) };
    const raw = JSON.stringify(comment);
    const sig = `sha256=${createHmac("sha256", hook.secret).update(raw).digest("hex")}`;
    // Sent without X-GitHub-Delivery: redeliveries of it still dedupe, on `redelivery:<id>`.
    const early = await post(hook.url, raw, { "X-GitHub-Event": "issue_comment", "X-Hub-Signature-256": sig });
    expect(early.body).toMatchObject({ status: "ignored", reason: expect.stringContaining("no issue") });
    const ignored = (await deliveries(hook))[0]!;
    expect(ignored.payload).toBe(raw);

    const opened = await deliverGitHub(hook, "issues", { action: "opened", issue: ghIssue(40), sender: codertocat });
    expect(opened.status).toBe(201);
    const again = await redeliver(ignored);
    expect(again).toMatchObject({ status: 202, body: { status: "accepted", issueId: opened.body.issueId, redeliveryOf: ignored.id } });
    expect((await comments(opened.body.issueId)).map((c) => c.body)).toEqual([expect.stringContaining("please retry this")]);
    const row = (await deliveries(hook)).find((d) => d.id === again.body.deliveryId);
    expect(row).toMatchObject({ status: "accepted", redeliveryOf: ignored.id, issueId: opened.body.issueId, event: "issue_comment" });

    // The same ignored delivery once more: its key was claimed by the first redelivery.
    const twice = await redeliver(ignored);
    expect(twice).toMatchObject({ status: 200, body: { duplicate: true, redeliveryOf: ignored.id } });
    expect(await comments(opened.body.issueId)).toHaveLength(1);
    // And the accepted redelivery itself is refused outright.
    const accepted = await redeliver({ id: again.body.deliveryId });
    expect(accepted.status).toBe(409);
    expect(accepted.body.error.message).toMatch(/accepted/);
  });

  it("never opens a second issue for a URL or a delivery key", async () => {
    const delivery = randomUUID();
    const payload = { action: "opened", issue: ghIssue(41), sender: codertocat };
    const first = await deliverGitHub(hook, "issues", payload, { delivery });
    expect(first.status).toBe(201);
    await deliverGitHub(hook, "issues", payload, { delivery });
    const duplicate = (await deliveries(hook)).find((d) => d.deliveryKey === delivery && d.status === "ignored")!;
    expect((await redeliver(duplicate)).body).toMatchObject({ duplicate: true });

    // A new key for the same URL: ignored on arrival, and again when redelivered.
    await deliverGitHub(hook, "issues", payload);
    const sameUrl = (await deliveries(hook))[0]!;
    expect(sameUrl).toMatchObject({ status: "ignored", reason: expect.stringContaining("already opened") });
    const redone = await redeliver(sameUrl);
    expect(redone).toMatchObject({ status: 202, body: { status: "ignored", reason: expect.stringContaining("already opened"), redeliveryOf: sameUrl.id } });
    expect(await issuesTitled("Spelling error 41")).toHaveLength(1);
  });

  it("refuses a delivery whose signature was refused, and an unknown one", async () => {
    await deliverGitHub(hook, "issues", { action: "opened", issue: ghIssue(42), sender: codertocat }, { secret: "not-the-secret" });
    const rejected = (await deliveries(hook))[0]!;
    expect(rejected).toMatchObject({ status: "rejected", reason: "signature_mismatch" });
    const res = await redeliver(rejected);
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "conflict", message: expect.stringContaining("never verified") });
    expect((await redeliver({ id: "whd_doesnotexist0000" })).status).toBe(404);
    expect(await issuesTitled("Spelling error 42")).toHaveLength(0);
  });
});
