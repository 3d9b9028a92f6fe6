/**
 * Agent tokens through the real control plane (wrangler dev, D1, raw runner sockets): every
 * dispatched attempt's `task.assign` carries its own token, which authenticates as kind "agent"
 * while the attempt runs and is refused once the attempt has ended; a retried attempt gets a new
 * token and the lost attempt's token stops working. D1 keeps the token's hash, never the secret.
 * The Multica MCP server (`multica-runner mcp`, built) works with such a token: every tool
 * reaches the attempt's issue while it runs, and fails with HTTP 401 once it ended.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlMessage, ControlTaskAssign } from "@multica/shared";
import { startControlPlane, waitFor, type TestControlPlane } from "./helpers/control-plane";
import { RawRunner } from "./helpers/sockets";
import { McpProcess } from "../runner/test/mcp-client";

let cp: TestControlPlane;
let runnerToken: string;

beforeAll(async () => {
  cp = await startControlPlane({ LEASE_MS: "1500" });
  runnerToken = await cp.runnerToken();
});
afterAll(async () => {
  await cp?.stop();
});

const isAssign = (taskId: string, attempt = 1) => (m: ControlMessage) => m.type === "task.assign" && m.taskId === taskId && m.attempt === attempt;

async function whoami(secret: string) {
  const res = await fetch(`${cp.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${secret}` } });
  return { status: res.status, body: (await res.json()) as { kind?: string; workspaceId?: string; error?: { code: string } } };
}

/** Polls until the token is refused; returns how long that took. */
async function refusedWithin(secret: string, timeoutMs: number): Promise<number> {
  const start = Date.now();
  await waitFor(async () => (await whoami(secret)).status === 401, timeoutMs, "the agent token to be refused");
  return Date.now() - start;
}

describe("agent tokens", () => {
  it("authenticate as the attempt's agent while it runs and are refused once it ended", async () => {
    const runner = await RawRunner.connect(cp.url, runnerToken);
    await runner.hello("rnr_tokens01", ["command:tok"]);
    const { taskId, issueId } = await cp.api.assignNew(["command:tok"], "token issue");
    const assign = (await runner.next(isAssign(taskId))) as ControlTaskAssign;
    expect(assign.agentToken).toEqual({ secret: expect.stringMatching(/^mat_[0-9a-z]{40}$/), expiresAt: expect.any(Number) });
    const secret = assign.agentToken!.secret;
    expect(assign.agentToken!.expiresAt).toBeGreaterThan(Date.now() + 60 * 60_000);

    runner.send({ type: "task.started", taskId, attempt: 1 });
    // The token reaches D1 with the next mirror flush (150 ms after the dispatch).
    const me = await waitFor(async () => {
      const r = await whoami(secret);
      return r.status === 200 ? r.body : null;
    }, 10_000, "the agent token to be accepted");
    expect(me).toMatchObject({ kind: "agent", workspaceId: cp.workspaceId });

    // Members see it among the workspace's tokens: kind, name and scope, no secret.
    const tokens = await cp.api.get<{ tokens: { id: string; name: string; kind: string; revokedAt: number | null }[] }>("/tokens");
    const row = tokens.body.tokens.find((t) => t.kind === "agent" && t.name === `agent run ${taskId}/1`);
    expect(row).toMatchObject({ revokedAt: null });
    expect(JSON.stringify(tokens.body)).not.toContain(secret);

    runner.send({ type: "task.events", taskId, attempt: 1, events: [{ seq: 1, ts: Date.now(), event: { kind: "message", text: "done" } }] });
    await runner.next((m) => m.type === "ack" && m.taskId === taskId);
    runner.send({ type: "task.report", taskId, attempt: 1, status: "succeeded", lastSeq: 1, exit: { exitCode: 0, signal: null, error: null, durationMs: 5 }, sessionId: null, usage: null, failure: null } as never);
    await runner.next((m) => m.type === "report.ack" && m.taskId === taskId);
    expect(await refusedWithin(secret, 5_000)).toBeLessThan(5_000);
    expect((await whoami(secret)).body.error?.code).toBe("unauthorized");
    const after = await cp.api.get<{ tokens: { name: string; revokedAt: number | null }[] }>("/tokens");
    expect(after.body.tokens.find((t) => t.name === `agent run ${taskId}/1`)?.revokedAt).toEqual(expect.any(Number));
    // The run's result comment is still posted as before.
    const issue = await cp.api.get<{ comments: { taskId: string | null }[] }>(`/issues/${issueId}`);
    expect(issue.body.comments.some((c) => c.taskId === taskId)).toBe(true);
    runner.close();
  });

  it("mints a new token for a retried attempt and refuses the lost attempt's token", async () => {
    const first = await RawRunner.connect(cp.url, runnerToken);
    await first.hello("rnr_tokens02", ["command:retry"]);
    const { taskId } = await cp.api.assignNew(["command:retry"], "retried issue");
    const a1 = (await first.next(isAssign(taskId, 1))) as ControlTaskAssign;
    first.send({ type: "task.started", taskId, attempt: 1 });
    const s1 = a1.agentToken!.secret;
    await waitFor(async () => (await whoami(s1)).status === 200, 10_000, "attempt 1's token to be accepted");

    // The runner vanishes: the lease runs out, attempt 1 is lost and attempt 2 goes to another runner.
    first.close();
    const second = await RawRunner.connect(cp.url, runnerToken);
    await second.hello("rnr_tokens03", ["command:retry"]);
    const a2 = (await second.next(isAssign(taskId, 2), 20_000)) as ControlTaskAssign;
    const s2 = a2.agentToken!.secret;
    expect(s2).not.toBe(s1);
    await refusedWithin(s1, 10_000);
    second.send({ type: "task.started", taskId, attempt: 2 });
    await waitFor(async () => {
      const r = await whoami(s2);
      return r.status === 200 && r.body.kind === "agent";
    }, 10_000, "attempt 2's token to be accepted");
    second.send({ type: "task.report", taskId, attempt: 2, status: "failed", lastSeq: 0, exit: { exitCode: 1, signal: null, error: "boom", durationMs: 5 }, sessionId: null, usage: null, failure: { kind: "agent_error", message: "boom", retryAt: null } } as never);
    await second.next((m) => m.type === "report.ack" && m.taskId === taskId);
    await refusedWithin(s2, 5_000);
    second.close();
  });

  it("lets the MCP server's tools act on the attempt's issue while it runs, and not after", async () => {
    const runner = await RawRunner.connect(cp.url, runnerToken);
    await runner.hello("rnr_tokens04", ["command:mcp"]);
    const { taskId, issueId } = await cp.api.assignNew(["command:mcp"], "MCP issue");
    const assign = (await runner.next(isAssign(taskId))) as ControlTaskAssign;
    runner.send({ type: "task.started", taskId, attempt: 1 });
    const secret = assign.agentToken!.secret;
    await waitFor(async () => (await whoami(secret)).status === 200, 10_000, "the agent token to be accepted");
    // As the runner starts it: no workspace id, looked up with /whoami.
    const mcp = new McpProcess({ MULTICA_URL: cp.url, MULTICA_AGENT_TOKEN: secret, MULTICA_ISSUE_ID: issueId });
    await mcp.request("initialize", { protocolVersion: "2025-06-18" });

    const got = await mcp.call("get_issue", {});
    expect(got.isError, got.text).toBe(false);
    expect(JSON.parse(got.text)).toMatchObject({ issue: { id: issueId, title: "MCP issue" } });
    const posted = await mcp.call("post_comment", { body: "Working on it." });
    expect(posted, posted.text).toMatchObject({ isError: false, text: expect.stringMatching(/^Posted comment \w+\.$/) });
    expect(await mcp.call("set_status", { status: "in_review" })).toMatchObject({ isError: false, text: expect.stringContaining("is now in_review") });
    // The agent may not close issues (agent.canClose is off): a clear tool error, not a crash.
    expect(await mcp.call("set_status", { status: "done" })).toMatchObject({ isError: true, text: expect.stringContaining("HTTP 403") });
    const sub = await mcp.call("create_sub_issue", { title: "Split off", body: "later" });
    expect(sub, sub.text).toMatchObject({ isError: false, text: expect.stringContaining("Created MUL-") });
    expect(await mcp.call("search_skills", { query: "anything" })).toEqual({ isError: false, text: 'No skill matches "anything".' });

    const issue = await cp.api.get<{ issue: { status: string }; comments: { body: string; author: string }[] }>(`/issues/${issueId}`);
    expect(issue.body.issue.status).toBe("in_review");
    expect(issue.body.comments.find((c) => c.body === "Working on it.")?.author).toBe(`agent:${assign.agent.id}`);
    const children = await cp.api.get<{ issues: { title: string; parentId: string | null }[] }>("/issues");
    expect(children.body.issues.find((i) => i.title === "Split off")?.parentId).toBe(issueId);

    runner.send({ type: "task.report", taskId, attempt: 1, status: "succeeded", lastSeq: 0, exit: { exitCode: 0, signal: null, error: null, durationMs: 5 }, sessionId: null, usage: null, failure: null } as never);
    await runner.next((m) => m.type === "report.ack" && m.taskId === taskId);
    await refusedWithin(secret, 5_000);
    expect(await mcp.call("post_comment", { body: "too late" })).toMatchObject({ isError: true, text: expect.stringContaining("HTTP 401 unauthorized") });
    expect(await mcp.close()).toBe(0);
    runner.close();
  });
});
