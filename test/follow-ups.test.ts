/**
 * Follow-ups and parking through the real control plane (wrangler dev, D1, raw runner sockets):
 * a comment on an assigned issue resumes the agent's session on the runner that kept it, waits
 * while the agent is still busy (and later comments join it), starts fresh with the earlier
 * run's summary when that runner is gone; a rate-limited attempt parks until the reset time.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlMessage, ControlTaskAssign } from "@multica/shared";
import { startControlPlane, waitFor, type TestControlPlane } from "./helpers/control-plane";
import { RawRunner } from "./helpers/sockets";

let cp: TestControlPlane;
let runnerToken: string;

beforeAll(async () => {
  cp = await startControlPlane({ LEASE_MS: "2000" });
  runnerToken = await cp.runnerToken();
});
afterAll(async () => {
  await cp?.stop();
});

const isAssign = (taskId: string, attempt = 1) => (m: ControlMessage) => m.type === "task.assign" && m.taskId === taskId && m.attempt === attempt;
const exit = { exitCode: 0, signal: null, error: null, durationMs: 5 };

/** Plays one attempt to its end: a message event, then the report. */
async function finish(runner: RawRunner, a: ControlTaskAssign, text: string, sessionId: string | null, status: "succeeded" | "failed" = "succeeded", failure: unknown = null) {
  runner.send({ type: "task.started", taskId: a.taskId, attempt: a.attempt });
  runner.send({ type: "task.events", taskId: a.taskId, attempt: a.attempt, events: [{ seq: 1, ts: Date.now(), event: { kind: "message", text } }] });
  await runner.next((m) => m.type === "ack" && m.taskId === a.taskId && m.attempt === a.attempt);
  runner.send({ type: "task.report", taskId: a.taskId, attempt: a.attempt, status, lastSeq: 1, exit, sessionId, usage: null, failure } as never);
  await runner.next((m) => m.type === "report.ack" && m.taskId === a.taskId && m.attempt === a.attempt);
}

async function setUp(runtime: string, agentExtra: Record<string, unknown> = {}) {
  const agent = await cp.api.post<{ agent: { id: string } }>("/agents", { name: "fixer", runtimes: [runtime], instructions: "Be brief.", ...agentExtra });
  expect(agent.status).toBe(201);
  const issue = await cp.api.post<{ issue: { id: string; key: string } }>("/issues", { title: "Add hello.txt", body: "Create hello.txt" });
  const assigned = await cp.api.post<{ task: { taskId: string } }>(`/issues/${issue.body.issue.id}/assign`, { agentId: agent.body.agent.id });
  return { issue: issue.body.issue, agentId: agent.body.agent.id, taskId: assigned.body.task.taskId };
}

const comment = (issueId: string, body: string) => cp.api.post<{ comment: { id: string }; task: { taskId: string } | null }>(`/issues/${issueId}/comments`, { body });

describe("follow-ups", () => {
  it("carries the issue key, repository and watchdog limits; resumes on the session's runner; queues and coalesces while busy", async () => {
    const home = await RawRunner.connect(cp.url, runnerToken);
    await home.hello("rnr_followhome", ["command:follow"]);
    const { issue, taskId } = await setUp("command:follow", { repository: { source: "https://example.com/org/app.git", baseRef: "main" }, idleTimeoutSeconds: 60 });
    expect(issue.key).toMatch(/^MUL-\d+$/);
    const first = (await home.next(isAssign(taskId))) as ControlTaskAssign;
    expect(first).toMatchObject({
      issue: { key: issue.key, title: "Add hello.txt", comments: [] },
      repository: { source: "https://example.com/org/app.git", baseRef: "main" },
      limits: { idleTimeoutMs: 60_000, timeoutMs: null },
      resume: null,
    });
    expect(first.prompt).toContain(`# ${issue.key}: Add hello.txt`);
    // Another runner with the same runtime joins: the follow-up must still go home.
    const other = await RawRunner.connect(cp.url, runnerToken);
    await other.hello("rnr_followothr", ["command:follow"]);
    await finish(home, first, "I created hello.txt.", "sess-42");

    const c1 = await comment(issue.id, "Please also add a newline at the end.");
    expect(c1.status).toBe(201);
    const followTask = c1.body.task?.taskId ?? "";
    const follow = (await home.next(isAssign(followTask))) as ControlTaskAssign;
    expect(follow.resume).toEqual({ sessionId: "sess-42", prompt: expect.stringContaining("Please also add a newline at the end.") });
    // The fresh prompt (for a runner that lost the work dir) has the issue, the earlier summary and the comment.
    expect(follow.prompt).toContain("# " + issue.key);
    expect(follow.prompt).toContain("I created hello.txt.");
    expect(follow.prompt).toContain("Please also add a newline at the end.");

    // While that follow-up runs, two more comments: one new follow-up that waits, the second joins it.
    const c2 = await comment(issue.id, "And a README.");
    const c3 = await comment(issue.id, "And a LICENSE.");
    expect(c2.body.task?.taskId).toBeDefined();
    expect(c3.body.task?.taskId).toBe(c2.body.task?.taskId);
    await new Promise((r) => setTimeout(r, 500));
    expect(home.received.some(isAssign(c2.body.task?.taskId ?? ""))).toBe(false);
    expect(other.received.some((m) => m.type === "task.assign")).toBe(false);

    await finish(home, follow, "Added the newline.", "sess-42");
    const joined = (await home.next(isAssign(c2.body.task?.taskId ?? ""))) as ControlTaskAssign;
    expect(joined.resume?.prompt).toMatch(/There are 2 new comments[\s\S]*And a README\.[\s\S]*And a LICENSE\./);
    // The earlier comment is now part of the discussion the agent's context file shows.
    expect(joined.issue.comments.map((c) => c.body)).toContain("Please also add a newline at the end.");
    await finish(home, joined, "Added both.", "sess-42");
    home.close();
    other.close();
  });

  it("starts fresh elsewhere, with the earlier run's summary, when the session's runner is gone", async () => {
    const gone = await RawRunner.connect(cp.url, runnerToken);
    await gone.hello("rnr_followgone", ["command:fresh"]);
    const { issue, taskId } = await setUp("command:fresh");
    await finish(gone, (await gone.next(isAssign(taskId))) as ControlTaskAssign, "Summary: made hello.txt with 3 lines.", "sess-7");
    gone.close();
    // The run's outcome is in the issue's activity log.
    await waitFor(async () => {
      const r = await cp.api.get<{ activities: { kind: string; data: { taskId?: string; status?: string } }[] }>(`/issues/${issue.id}/activity`);
      return r.body.activities.some((x) => x.kind === "run_ended" && x.data.taskId === taskId && x.data.status === "succeeded");
    }, 10_000, "a run_ended activity");
    const stand = await RawRunner.connect(cp.url, runnerToken);
    await stand.hello("rnr_followstnd", ["command:fresh"]);
    const c = await comment(issue.id, "Make it 4 lines.");
    const a = (await stand.next(isAssign(c.body.task?.taskId ?? ""))) as ControlTaskAssign;
    expect(a.resume).toBeNull();
    expect(a.prompt).toMatch(/What an earlier run on this issue reported[\s\S]*made hello.txt with 3 lines[\s\S]*Make it 4 lines\./);
    stand.close();
  });

  it("a comment on an unassigned issue is just a comment", async () => {
    const issue = await cp.api.post<{ issue: { id: string } }>("/issues", { title: "Nobody's" });
    const c = await comment(issue.body.issue.id, "hello?");
    expect(c.status).toBe(201);
    expect(c.body.task).toBeNull();
    const bad = await cp.api.post<{ error: { code: string } }>(`/issues/${issue.body.issue.id}/comments`, { body: "   " });
    expect(bad.status).toBe(400);
    const missing = await comment("iss_doesnotexist", "x");
    expect(missing.status).toBe(404);
  });
});

describe("rate limits", () => {
  it("park the task until the reset time without spending an attempt, then dispatch it again", async () => {
    const runner = await RawRunner.connect(cp.url, runnerToken);
    await runner.hello("rnr_ratelimit1", ["command:limited"]);
    const agent = await cp.api.post<{ agent: { id: string } }>("/agents", { name: "limited", runtimes: ["command:limited"] });
    const issue = await cp.api.post<{ issue: { id: string } }>("/issues", { title: "Rate limited" });
    const assigned = await cp.api.post<{ task: { taskId: string } }>(`/issues/${issue.body.issue.id}/assign`, { agentId: agent.body.agent.id, maxAttempts: 1 });
    const taskId = assigned.body.task.taskId;
    const first = (await runner.next(isAssign(taskId))) as ControlTaskAssign;
    const retryAt = Date.now() + 2500;
    await finish(runner, first, "hit the limit", null, "failed", { kind: "rate_limit", message: "429 Too Many Requests", retryAt });

    const parked = await cp.api.task(taskId);
    expect(parked.body.task).toMatchObject({ attempt: 2, status: "queued", notBefore: retryAt });
    expect(parked.body.attempts[0]).toMatchObject({ status: "failed", failure: { kind: "rate_limit", retryAt } });
    await new Promise((r) => setTimeout(r, 1000));
    expect(runner.received.some(isAssign(taskId, 2))).toBe(false);
    await runner.next(isAssign(taskId, 2), 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(retryAt);

    const view = await waitFor(async () => {
      const r = await cp.api.get<{ issue: { status: string }; comments: { body: string }[] }>(`/issues/${issue.body.issue.id}`);
      return r.body.comments.length > 0 ? r.body : null;
    }, 10_000, "result comment");
    expect(view.issue.status).toBe("in_progress");
    expect(view.comments[0]?.body).toMatch(/Attempt 1 failed.*parked, attempt 2 runs when the limit resets[\s\S]*Reason \[rate limit\]/);
    runner.close();
  });
});

describe("runner pools", () => {
  it("send an agent's work only to its pool, to whichever member is online, with the agent's model, args and env", async () => {
    const outsider = await RawRunner.connect(cp.url, runnerToken);
    await outsider.hello("rnr_poolaaaa1", ["command:pool"]);
    const member = await RawRunner.connect(cp.url, runnerToken);
    await member.hello("rnr_poolbbbb1", ["command:pool"]);
    const agent = await cp.api.post<{ agent: { id: string } }>("/agents", { name: "pooled", runtimes: ["command:pool"] });
    // rnr_poolcccc1 is in the pool too but offline: the online member takes the work.
    const patched = await cp.api.request("PATCH", `/agents/${agent.body.agent.id}`, {
      runnerIds: ["rnr_poolcccc1", "rnr_poolbbbb1"], model: "opus", extraArgs: ["--max-turns", "5"], env: { LOG_LEVEL: "debug" },
    });
    expect(patched.status).toBe(200);
    const issue = await cp.api.post<{ issue: { id: string } }>("/issues", { title: "Pooled work" });
    const assigned = await cp.api.post<{ task: { taskId: string } }>(`/issues/${issue.body.issue.id}/assign`, { agentId: agent.body.agent.id });
    const a = (await member.next(isAssign(assigned.body.task.taskId))) as ControlTaskAssign;
    // The agent's model, extra args and env travel with its work, to override the runtime's settings.
    expect(a.agent).toMatchObject({ model: "opus", extraArgs: ["--max-turns", "5"], env: { LOG_LEVEL: "debug" } });
    expect(outsider.received.some((m) => m.type === "task.assign")).toBe(false);
    outsider.close();
    member.close();
  });
});
