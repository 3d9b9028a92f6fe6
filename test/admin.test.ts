/**
 * Administration through the real control plane (wrangler dev, D1, raw runner sockets):
 * workspaces and their settings, members and roles with the last-owner rule, personal access
 * tokens (expiry, revocation, lastUsedAt), and agents (PATCH, derived status, DELETE).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, waitFor, type ApiClient, type TestControlPlane } from "./helpers/control-plane";
import { RawRunner } from "./helpers/sockets";

let cp: TestControlPlane;
let owner: ApiClient;

beforeAll(async () => {
  cp = await startControlPlane();
  owner = cp.api;
});
afterAll(async () => {
  await cp?.stop();
});

interface Workspace { id: string; name: string; slug: string | null; issuePrefix: string; role: string | null }
interface Added { member: { userId: string; email: string; role: string }; token: { id: string; secret: string; expiresAt: number | null } | null }
interface Token { id: string; name: string; kind: string; userId: string; lastUsedAt: number | null; expiresAt: number | null; revokedAt: number | null }
type Err = { error: { code: string; message: string } };

const raw = async <T>(method: string, path: string, token: string, body?: unknown) => {
  const res = await fetch(`${cp.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json().catch(() => null)) as T };
};

async function newWorkspace(name: string, slug: string, issuePrefix?: string): Promise<Workspace> {
  const res = await raw<{ workspace: Workspace }>("POST", "/workspaces", cp.adminToken, { name, slug, ...(issuePrefix ? { issuePrefix } : {}) });
  expect(res.status).toBe(201);
  return res.body.workspace;
}

async function add(api: ApiClient, email: string, role = "member"): Promise<Added> {
  const res = await api.post<Added>("/members", { name: email.split("@")[0], email, role });
  expect(res.status).toBe(201);
  return res.body;
}

describe("workspaces", () => {
  it("makes the creator its owner, reaches it with the same token, and lists the caller's workspaces", async () => {
    const acme = await newWorkspace("Acme Robotics", "acme");
    expect(acme).toMatchObject({ name: "Acme Robotics", slug: "acme", issuePrefix: "AR", role: "owner" });
    expect((await newWorkspace("Ops", "ops", "OPS")).issuePrefix).toBe("OPS");
    expect((await newWorkspace("Zeta", "zeta")).issuePrefix).toBe("ZET");

    const api = owner.in(acme.id);
    expect((await api.get<{ workspace: Workspace }>("")).body.workspace).toMatchObject({ id: acme.id, role: "owner" });
    const issue = await api.post<{ issue: { key: string } }>("/issues", { title: "first in acme" });
    expect(issue.body.issue.key).toBe("AR-1");
    const mine = await raw<{ workspaces: Workspace[] }>("GET", "/workspaces", cp.adminToken);
    expect(mine.body.workspaces.map((w) => [w.slug, w.role])).toEqual([["default", "owner"], ["acme", "owner"], ["ops", "owner"], ["zeta", "owner"]]);

    expect(await raw<Err>("POST", "/workspaces", cp.adminToken, { name: "Again", slug: "acme" })).toMatchObject({ status: 409, body: { error: { code: "conflict" } } });
    for (const bad of [{ name: "x", slug: "Acme!" }, { name: "x", slug: "-acme" }, { name: "x", slug: "ok-slug", issuePrefix: "abc" }, { name: "x", slug: "ok-slug", issuePrefix: "TOOLONGX" }]) {
      expect((await raw("POST", "/workspaces", cp.adminToken, bad)).status).toBe(400);
    }
    // Runner and agent tokens belong to one workspace; they neither list nor create workspaces.
    expect((await raw("GET", "/workspaces", await cp.runnerToken())).status).toBe(403);
  });

  it("lets admins rename it and change its issue prefix (keys follow), and nobody else", async () => {
    const ws = await newWorkspace("Settings", "settings");
    const api = owner.in(ws.id);
    const admin = await add(api, "ada@settings.test", "admin");
    const member = await add(api, "mo@settings.test");
    const issue = await api.post<{ issue: { id: string; key: string } }>("/issues", { title: "keyed" });
    expect(issue.body.issue.key).toBe("SET-1");

    expect((await api.as(member.token!.secret).patch("", { name: "Mine now" })).status).toBe(403);
    const changed = await api.as(admin.token!.secret).patch<{ workspace: Workspace }>("", { name: "Settings & Co", issuePrefix: "CFG" });
    expect(changed).toMatchObject({ status: 200, body: { workspace: { name: "Settings & Co", issuePrefix: "CFG", slug: "settings", role: "admin" } } });
    expect((await api.get<{ issue: { key: string } }>(`/issues/${issue.body.issue.id}`)).body.issue.key).toBe("CFG-1");
    expect((await api.patch("", {})).status).toBe(400);
    expect((await api.patch("", { slug: "renamed" })).status).toBe(400);
    expect((await api.patch("", { issuePrefix: "set" })).status).toBe(400);
  });
});

describe("members and roles", () => {
  it("adds a new user with a first token shown once, and a known user by email without one", async () => {
    const ws = await newWorkspace("People", "people");
    const api = owner.in(ws.id);
    const bob = await add(owner, "Bob@Example.com");
    expect(bob.member).toMatchObject({ email: "bob@example.com", role: "member" });
    expect(bob.token).toMatchObject({ secret: expect.stringMatching(/^mca_/), expiresAt: null });
    const listed = await owner.get<{ members: { userId: string; role: string }[] }>("/members");
    expect(listed.body.members).toContainEqual(expect.objectContaining({ userId: bob.member.userId, role: "member" }));
    expect(JSON.stringify(listed.body)).not.toContain(bob.token!.secret);

    // Bob is known: adding him elsewhere makes no token; his own token reaches there with that role.
    const again = await api.post<Added>("/members", { name: "Robert", email: "bob@example.com", role: "admin" });
    expect(again).toMatchObject({ status: 201, body: { member: { userId: bob.member.userId, role: "admin" }, token: null } });
    expect((await api.as(bob.token!.secret).get<{ workspace: Workspace }>("")).body.workspace.role).toBe("admin");
    expect((await owner.as(bob.token!.secret).get<{ workspace: Workspace }>("")).body.workspace.role).toBe("member");
    expect((await api.post<Err>("/members", { name: "Bob", email: "bob@example.com" })).status).toBe(409);
    expect((await api.post("/members", { name: "Nope", email: "not-an-email" })).status).toBe(400);

    // A first token may be made to expire.
    const temp = await add(api, "temp@people.test");
    expect(temp.token?.expiresAt).toBeNull();
    const short = await api.post<Added>("/members", { name: "Short", email: "short@people.test", expiresInDays: 2 });
    expect(short.body.token!.expiresAt).toBeGreaterThan(Date.now() + 47 * 3600_000);

    // Removed from one workspace: refused there, while his token (made in the other) still reaches that one.
    expect((await api.delete(`/members/${bob.member.userId}`)).status).toBe(204);
    expect((await api.as(bob.token!.secret).get("")).status).toBe(403);
    expect((await owner.as(bob.token!.secret).get("")).status).toBe(200);
    // Removed from the workspace his token was made in: that token is revoked.
    expect((await owner.delete(`/members/${bob.member.userId}`)).status).toBe(204);
    expect((await owner.as(bob.token!.secret).get("")).status).toBe(401);
    expect((await api.delete(`/members/${temp.member.userId}`)).status).toBe(204);
    expect((await api.as(temp.token!.secret).get("")).status).toBe(401);
  });

  it("gives owner and admin roles by owners only, and never lets the last owner go", async () => {
    const ws = await newWorkspace("Roles", "roles");
    const api = owner.in(ws.id);
    const me = (await raw<{ userId: string }>("GET", "/whoami", cp.adminToken)).body.userId;
    const dan = await add(api, "dan@roles.test", "admin");
    const carol = await add(api, "carol@roles.test");
    const asDan = api.as(dan.token!.secret);
    const asCarol = api.as(carol.token!.secret);

    expect(await api.patch<Err>(`/members/${me}`, { role: "admin" })).toMatchObject({ status: 409, body: { error: { message: expect.stringMatching(/last owner/) } } });
    expect((await api.delete(`/members/${me}`)).status).toBe(409);
    expect((await asDan.patch(`/members/${carol.member.userId}`, { role: "admin" })).status).toBe(403);
    expect((await asDan.patch(`/members/${me}`, { role: "member" })).status).toBe(403);
    expect((await asDan.delete(`/members/${me}`)).status).toBe(403);
    expect((await asDan.post("/members", { name: "Boss", email: "boss@roles.test", role: "owner" })).status).toBe(403);
    expect((await asCarol.post("/members", { name: "Friend", email: "friend@roles.test" })).status).toBe(403);
    expect((await asCarol.delete(`/members/${dan.member.userId}`)).status).toBe(403);
    expect((await api.patch(`/members/usr_nobody0000000000`, { role: "member" })).status).toBe(404);

    // A second owner lets the first step down; then the new owner is the last one.
    expect((await api.patch<{ member: { role: string } }>(`/members/${carol.member.userId}`, { role: "owner" })).body.member.role).toBe("owner");
    expect((await api.patch(`/members/${me}`, { role: "member" })).status).toBe(200);
    expect((await api.patch("", { name: "still mine?" })).status).toBe(403);
    expect((await asCarol.patch(`/members/${carol.member.userId}`, { role: "admin" })).status).toBe(409);
    expect((await asCarol.delete(`/members/${carol.member.userId}`)).status).toBe(409);
    expect((await asCarol.delete(`/members/${dan.member.userId}`)).status).toBe(204);
    expect((await asDan.get("")).status).toBe(401);
    const left = await asCarol.get<{ members: { userId: string; role: string }[] }>("/members");
    expect(left.body.members.map((m) => [m.userId, m.role]).sort()).toEqual([[carol.member.userId, "owner"], [me, "member"]].sort());
  });
});

describe("tokens", () => {
  it("expire when asked, show when they were last used, and are revoked by their owner or an admin", async () => {
    const ws = await newWorkspace("Tokens", "tokens");
    const api = owner.in(ws.id);
    const admin = await add(api, "ada@tokens.test", "admin");
    const member = await add(api, "mo@tokens.test");
    const asMember = api.as(member.token!.secret);

    const made = await asMember.post<{ token: Token & { secret: string } }>("/tokens", { name: "laptop", kind: "member", expiresInDays: 7 });
    expect(made.status).toBe(201);
    expect(made.body.token.expiresAt! - Date.now()).toBeGreaterThan(7 * 24 * 3600_000 - 60_000);
    for (const expiresInDays of [0, 366, 1.5]) expect((await asMember.post("/tokens", { name: "x", kind: "member", expiresInDays })).status).toBe(400);
    expect((await asMember.post("/tokens", { name: "runner", kind: "runner" })).status).toBe(403);
    expect((await api.as(admin.token!.secret).post("/tokens", { name: "runner", kind: "runner" })).status).toBe(201);

    // lastUsedAt: set on use, then left alone for a minute whatever the traffic.
    const laptop = api.as(made.body.token.secret);
    expect((await laptop.get("/issues")).status).toBe(200);
    const used = await waitFor(async () => {
      const list = await asMember.get<{ tokens: Token[] }>("/tokens");
      return list.body.tokens.find((t) => t.id === made.body.token.id)?.lastUsedAt ?? null;
    }, 5_000, "lastUsedAt");
    await laptop.get("/issues");
    await new Promise((r) => setTimeout(r, 300));
    const still = await asMember.get<{ tokens: Token[] }>("/tokens");
    expect(still.body.tokens.find((t) => t.id === made.body.token.id)?.lastUsedAt).toBe(used);

    // Members list their own tokens; admins everyone's.
    expect(new Set(still.body.tokens.map((t) => t.userId))).toEqual(new Set([member.member.userId]));
    const everyone = await api.as(admin.token!.secret).get<{ tokens: Token[] }>("/tokens");
    expect(new Set(everyone.body.tokens.map((t) => t.userId))).toEqual(new Set([admin.member.userId, member.member.userId]));
    expect(JSON.stringify(everyone.body)).not.toMatch(/secret/);

    // Revocation: by its owner, by an admin, an owner's only by an owner.
    const ownerPat = (await api.post<{ token: Token }>("/tokens", { name: "owner's", kind: "member" })).body.token;
    expect((await asMember.delete(`/tokens/${ownerPat.id}`)).status).toBe(403);
    expect((await api.as(admin.token!.secret).delete(`/tokens/${ownerPat.id}`)).status).toBe(403);
    expect((await asMember.delete(`/tokens/${made.body.token.id}`)).status).toBe(204);
    expect(await laptop.get<Err>("/issues")).toMatchObject({ status: 401, body: { error: { message: "invalid or revoked token" } } });
    expect((await api.as(admin.token!.secret).delete(`/tokens/${member.token!.id}`)).status).toBe(204);
    expect((await asMember.get("/issues")).status).toBe(401);
    expect((await api.delete(`/tokens/tok_unknown000000000000`)).status).toBe(404);

    // Expiry (made immediate through the test hook).
    const soon = (await api.post<{ token: Token & { secret: string } }>("/tokens", { name: "soon", kind: "member", expiresInDays: 1 })).body.token;
    await cp.expireToken(soon.id);
    expect(await api.as(soon.secret).get<Err>("/issues")).toMatchObject({ status: 401, body: { error: { message: "this token has expired" } } });
  });

  it("keeps the test hooks off unless TEST_HOOKS=1", async () => {
    const plain = await startControlPlane({ TEST_HOOKS: "" });
    try {
      const res = await fetch(`${plain.url}/api/v1/_test/agent-token`, {
        method: "POST", headers: { authorization: `Bearer ${plain.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ taskId: "tsk_hook00000000", attempt: 1, issueId: "iss_hook00000000" }),
      });
      expect(res.status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});

describe("agents", () => {
  type Agent = Record<string, unknown> & { id: string; status?: string };

  it("changes every setting with PATCH (admins only) and refuses bad values", async () => {
    const agent = (await owner.post<{ agent: Agent }>("/agents", { name: "tuned", runtimes: ["command:tuned"] })).body.agent;
    const settings = {
      name: "tuned up", instructions: "Be brief.", runtimes: ["claude", "command:tuned"], maxConcurrentTasks: 3,
      repository: { source: "https://example.com/repo.git", baseRef: "main" }, idleTimeoutSeconds: 600, timeoutSeconds: 7200,
      avatar: "🤖", model: "sonnet", extraArgs: ["--verbose"], env: { FOO: "bar" }, runnerIds: ["rnr_pool000001"], canClose: true,
    };
    const patched = await owner.patch<{ agent: Agent }>(`/agents/${agent.id}`, settings);
    expect(patched).toMatchObject({ status: 200, body: { agent: { id: agent.id, ...settings } } });
    const read = await owner.get<{ agent: Agent }>(`/agents/${agent.id}`);
    expect(read.body.agent).toMatchObject({ ...settings, status: "offline" });
    const cleared = await owner.patch<{ agent: Agent }>(`/agents/${agent.id}`, { repository: null, runnerIds: null, env: null });
    expect(cleared.body.agent).toMatchObject({ repository: null, runnerIds: null, env: null, model: "sonnet" });

    for (const bad of [{}, { color: "red" }, { runnerIds: [] }, { env: { "BAD-NAME": "x" } }, { runtimes: [] }, { maxConcurrentTasks: 0 }, { extraArgs: "--x" }]) {
      expect((await owner.patch(`/agents/${agent.id}`, bad)).status, JSON.stringify(bad)).toBe(400);
    }
    const member = await add(owner, "mo@agents.test");
    expect((await owner.as(member.token!.secret).patch(`/agents/${agent.id}`, { name: "mine" })).status).toBe(403);
    expect((await owner.patch(`/agents/agt_unknown0000000000`, { name: "x" })).status).toBe(404);
  });

  it("derives status: offline without a runner for it, idle, working while it runs, blocked after a bad_config failure", async () => {
    const agent = (await owner.post<{ agent: Agent }>("/agents", { name: "watched", runtimes: ["command:status"] })).body.agent;
    const status = async () => (await owner.get<{ agent: Agent }>(`/agents/${agent.id}`)).body.agent.status;
    expect(await status()).toBe("offline");
    const runner = await RawRunner.connect(cp.url, await cp.runnerToken());
    await runner.hello("rnr_status00001", ["command:status"]);
    await waitFor(async () => (await status()) === "idle", 10_000, "idle once a runner offers its runtime");
    await owner.patch(`/agents/${agent.id}`, { runnerIds: ["rnr_elsewhere001"] });
    expect(await status()).toBe("offline");
    await owner.patch(`/agents/${agent.id}`, { runnerIds: ["rnr_status00001"] });
    expect(await status()).toBe("idle");

    const issue = await owner.post<{ issue: { id: string } }>("/issues", { title: "status work" });
    const assigned = await owner.post<{ task: { taskId: string } }>(`/issues/${issue.body.issue.id}/assign`, { agentId: agent.id });
    const taskId = assigned.body.task.taskId;
    await runner.next((m) => m.type === "task.assign" && m.taskId === taskId);
    runner.send({ type: "task.started", taskId, attempt: 1 });
    await waitFor(async () => (await status()) === "working", 10_000, "working");
    expect((await owner.delete(`/agents/${agent.id}`)).status).toBe(409);

    runner.send({
      type: "task.report", taskId, attempt: 1, status: "failed", lastSeq: 0, sessionId: null, usage: null,
      exit: { exitCode: 127, signal: null, error: "command not found", durationMs: 3 }, failure: { kind: "bad_config", message: "command not found", retryAt: null },
    });
    await runner.next((m) => m.type === "report.ack" && m.taskId === taskId);
    await waitFor(async () => (await status()) === "blocked", 10_000, "blocked");
    runner.close();
  });

  it("is deleted by admins once nothing of it is queued or running, and leaves its issues unassigned", async () => {
    const agent = (await owner.post<{ agent: Agent }>("/agents", { name: "doomed", runtimes: ["command:nobody-has-this"] })).body.agent;
    const skill = `---\nname: doomed-skill\ndescription: Attached to an agent that goes away\n---\n\nSteps.\n`;
    await owner.post("/skills", { files: [{ path: "SKILL.md", content: skill }] });
    expect((await owner.request("PUT", `/agents/${agent.id}/skills/doomed-skill`, { version: null, enabled: true })).status).toBe(200);
    const issue = await owner.post<{ issue: { id: string } }>("/issues", { title: "doomed work" });
    const assigned = await owner.post<{ task: { taskId: string } }>(`/issues/${issue.body.issue.id}/assign`, { agentId: agent.id });
    // The queued task reaches D1 with the Durable Object's next mirror flush.
    await waitFor(async () => (await owner.get<{ tasks: unknown[] }>(`/issues/${issue.body.issue.id}`)).body.tasks.length > 0, 10_000, "the task in D1");
    expect((await owner.delete<Err>(`/agents/${agent.id}`)).status).toBe(409);

    const member = await add(owner, "mo@doomed.test");
    expect((await owner.as(member.token!.secret).delete(`/agents/${agent.id}`)).status).toBe(403);
    expect((await owner.post(`/tasks/${assigned.body.task.taskId}/cancel`)).status).toBe(202);
    await waitFor(async () => (await owner.delete(`/agents/${agent.id}`)).status === 204, 10_000, "deleted once cancelled");
    expect((await owner.get(`/agents/${agent.id}`)).status).toBe(404);
    const after = await owner.get<{ issue: { assignee?: unknown; assigneeAgentId?: unknown } }>(`/issues/${issue.body.issue.id}`);
    expect(after.body.issue.assigneeAgentId ?? null).toBeNull();
  });
});
