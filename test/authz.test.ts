/**
 * The authorization matrix, against a real control plane (wrangler dev, D1): every route of the
 * API × every kind of caller → the expected status class. One `it` per route, all callers in it:
 * no token, a bad, an expired and a revoked token, a member of another workspace, a member, an
 * admin and the owner, a runner token, and agent tokens scoped to issue A and to issue B (minted
 * through the TEST_HOOKS hook). On top of the table, for every workspace route: the member of
 * the other workspace calling it in their own workspace with this workspace's ids gets no 2xx,
 * and no 2xx answer to anyone carries an id of a workspace the caller is not in.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlTaskAssign } from "@multica/shared";
import { type ApiClient, startControlPlane, type TestControlPlane } from "./helpers/control-plane";
import { RawRunner } from "./helpers/sockets";

const WHO = ["none", "bad", "expired", "revoked", "otherWs", "member", "admin", "owner", "runner", "agentA", "agentB"] as const;
type Who = (typeof WHO)[number];
/** An exact status, or any 2xx. */
type Want = "2xx" | 200 | 201 | 202 | 204 | 400 | 401 | 403 | 404;

interface Row {
  name: string;
  method: string;
  /** Path under /api/v1 for a caller; `ws` is the workspace in the URL. */
  path: (ws: string) => string | Promise<string>;
  body?: () => unknown;
  want: Record<Who, Want>;
  /** Under /workspaces/:ws: also run by the other workspace's member in their own workspace. */
  scoped: boolean;
}

let cp: TestControlPlane;
let owner: ApiClient;
let runnerSocket: RawRunner;
const secrets = {} as Record<Who, string | null>;
/** Ids of workspace 1 and of workspace 2: no 2xx answer may cross between them. */
const ws1Ids = new Set<string>();
const ws2Ids = new Set<string>();
let ws2 = "";
let n = 0;
const uniq = (p: string) => `${p}-${++n}`;
const ids = { issueA: "", issueB: "", child: "", agent: "", task: "", skill: "", bundle: "", proposal: "", runnerTask: "" };

const skillFiles = (name: string, body = "Steps.") => ({ files: [{ path: "SKILL.md", content: `---\nname: ${name}\ndescription: A skill for ${name}\n---\n\n# ${name}\n\n${body}\n` }] });

async function call(method: string, path: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${cp.url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

/** Created by the owner for one cell, so a cell that deletes or changes it leaves the others intact. */
const fresh = {
  async issue(): Promise<string> {
    const id = (await owner.post<{ issue: { id: string } }>("/issues", { title: uniq("issue") })).body.issue.id;
    ws1Ids.add(id);
    return id;
  },
  async agent(): Promise<string> {
    const id = (await owner.post<{ agent: { id: string } }>("/agents", { name: uniq("agent"), runtimes: ["command:authz-nobody"] })).body.agent.id;
    ws1Ids.add(id);
    return id;
  },
  async task(): Promise<string> {
    const res = await owner.post<{ task: { taskId: string } }>(`/issues/${await fresh.issue()}/assign`, { agentId: ids.agent });
    ws1Ids.add(res.body.task.taskId);
    return res.body.task.taskId;
  },
  async skill(): Promise<string> {
    const name = uniq("authz-skill");
    await owner.post("/skills", skillFiles(name));
    return name;
  },
  async attached(): Promise<string> {
    const name = await fresh.skill();
    await owner.request("PUT", `/agents/${ids.agent}/skills/${name}`, { version: null, enabled: true });
    return name;
  },
  async proposal(): Promise<string> {
    const res = await call("POST", "/runner/skill-proposals", secrets.runner, { taskId: ids.runnerTask, attempt: 1, baseHash: null, ...skillFiles(uniq("proposed")) });
    const id = (JSON.parse(res.text) as { proposal: { id: string } }).proposal.id;
    ws1Ids.add(id);
    return id;
  },
  async member(role: "member" | "admin" = "member"): Promise<string> {
    const res = await owner.post<{ member: { userId: string } }>("/members", { name: "Temp", email: `${uniq("temp")}@authz.test`, role });
    ws1Ids.add(res.body.member.userId);
    return res.body.member.userId;
  },
  async webhook(): Promise<string> {
    const id = (await owner.post<{ webhook: { id: string } }>("/webhooks", { kind: "generic", name: uniq("hook") })).body.webhook.id;
    ws1Ids.add(id);
    return id;
  },
  async subscription(): Promise<string> {
    // Port 9 (discard) refuses connections here: deliveries fail and retry in the background, harmlessly.
    const id = (await owner.post<{ subscription: { id: string } }>("/subscriptions", { url: "http://127.0.0.1:9/authz", events: ["issue.created"] })).body.subscription.id;
    ws1Ids.add(id);
    return id;
  },
  async schedule(): Promise<string> {
    const id = (await owner.post<{ schedule: { id: string } }>("/schedules", { name: uniq("schedule"), cron: "@daily", timezone: "UTC", action: { title: "authz" } })).body.schedule.id;
    ws1Ids.add(id);
    return id;
  },
  /** A personal access token made by `secret`'s user for itself. */
  async pat(secret: string): Promise<string> {
    const id = (await owner.as(secret).post<{ token: { id: string } }>("/tokens", { name: uniq("pat"), kind: "member" })).body.token.id;
    ws1Ids.add(id);
    return id;
  },
};

// ---- expectations ----
const UNAUTHENTICATED = { none: 401, bad: 401, expired: 401, revoked: 401 } as const;
/** Workspace routes: who is refused whatever the route. */
const WS_DEFAULT = { ...UNAUTHENTICATED, otherWs: 403, runner: 403, agentA: 403, agentB: 403 } as const;
const all = (w: Want) => ({ member: w, admin: w, owner: w });
const admins = (w: Want) => ({ member: 403, admin: w, owner: w }) as const;
const ownerOnly = (w: Want) => ({ member: 403, admin: 403, owner: w }) as const;
const readers = { agentA: 200, agentB: 200 } as const;
const memberTokens = (w: Want) => ({ ...UNAUTHENTICATED, otherWs: w, member: w, admin: w, owner: w, runner: 403, agentA: 403, agentB: 403 }) as const;
const runnerOnly = (w: Want) => ({ ...UNAUTHENTICATED, otherWs: 403, member: 403, admin: 403, owner: 403, runner: w, agentA: 403, agentB: 403 }) as const;
const everyone = (w: Want) => Object.fromEntries(WHO.map((who) => [who, w])) as Record<Who, Want>;

/** Path placeholders: `{A}` is issue A; `{new…}` makes a fresh one for each call. */
const PARAMS: Record<string, () => string | Promise<string>> = {
  A: () => ids.issueA, B: () => ids.issueB, childOfA: () => ids.child, agent: () => ids.agent, task: () => ids.task,
  skill: () => ids.skill, bundle: () => ids.bundle, proposal: () => ids.proposal,
  newIssue: fresh.issue, newAgent: fresh.agent, newTask: fresh.task, newSkill: fresh.skill, attachedSkill: fresh.attached,
  newProposal: fresh.proposal, newWebhook: fresh.webhook, newSubscription: fresh.subscription, newMember: () => fresh.member(), newAdmin: () => fresh.member("admin"),
  newSchedule: fresh.schedule,
  memberToken: () => fresh.pat(secrets.member!), adminToken: () => fresh.pat(secrets.admin!), ownerToken: () => fresh.pat(secrets.owner!),
};

async function resolve(template: string): Promise<string> {
  let out = template;
  for (const [, name] of template.matchAll(/\{(\w+)\}/g)) out = out.replace(`{${name}}`, await PARAMS[name!]!());
  return out;
}

type RolesWant = { member: Want; admin: Want; owner: Want };
interface RowOptions {
  extra?: Partial<Record<Who, Want>>;
  body?: () => unknown;
  /** What sets this row apart from another on the same route (its body). */
  note?: string;
}

/** A route under /workspaces/:ws. */
function scoped(method: string, template: string, roles: RolesWant, o: RowOptions = {}): Row {
  return {
    name: `${method} /workspaces/:ws${template}${o.note ? ` ${o.note}` : ""}`,
    method,
    path: async (ws) => `/workspaces/${ws}${await resolve(template)}`,
    ...(o.body ? { body: o.body } : {}),
    want: { ...WS_DEFAULT, ...roles, ...o.extra },
    scoped: true,
  };
}

function unscoped(method: string, template: string, want: Record<Who, Want>, o: Omit<RowOptions, "extra"> = {}): Row {
  return { name: `${method} ${template}${o.note ? ` ${o.note}` : ""}`, method, path: () => resolve(template), ...(o.body ? { body: o.body } : {}), want, scoped: false };
}

const ROWS: Row[] = [
  // Public and token-level routes.
  unscoped("GET", "/health", everyone(200)),
  unscoped("GET", "/openapi.json", everyone(200)),
  unscoped("POST", "/bootstrap", everyone(401)),
  unscoped("GET", "/whoami", { ...everyone(200), ...UNAUTHENTICATED }),
  // The dashboard's session: signing in checks the token in the body, whoever calls.
  unscoped("POST", "/session", everyone(401), { note: "{token: unknown}", body: () => ({ token: `mca_${"y".repeat(40)}` }) }),
  unscoped("POST", "/session", everyone(403), { note: "{token: a runner token}", body: () => ({ token: secrets.runner }) }),
  unscoped("GET", "/session", memberTokens(200)),
  unscoped("DELETE", "/session", everyone(204)),
  unscoped("GET", "/workspaces", memberTokens(200)),
  unscoped("POST", "/workspaces", memberTokens(201), { body: () => ({ name: "Made in the matrix", slug: uniq("matrix") }) }),
  unscoped("POST", "/_test/agent-token", { ...memberTokens(201), otherWs: 403 }, { body: () => ({ taskId: "tsk_authzhook0001", attempt: 1, issueId: ids.issueA }) }),
  unscoped("POST", "/_test/expire-token", { ...memberTokens(204), otherWs: 403 }, { body: async () => ({ tokenId: await fresh.pat(secrets.owner!) }) }),

  // Inbound webhooks: public, authenticated by the body's signature, so every caller without one gets 401.
  unscoped("POST", "/hooks/{newWebhook}", everyone(401), { body: () => ({}) }),

  // The runner's routes: runner tokens only.
  unscoped("GET", "/runner/connect", runnerOnly(400)),
  unscoped("GET", "/runner/skill-bundles/{bundle}", runnerOnly(200)),
  unscoped("POST", "/runner/skills", runnerOnly("2xx"), { body: () => skillFiles("runner-pushed") }),
  unscoped("POST", "/runner/skill-proposals", runnerOnly(201), { body: () => ({ taskId: ids.runnerTask, attempt: 1, baseHash: null, ...skillFiles(uniq("runner-proposal")) }) }),

  // The workspace.
  scoped("GET", "", all(200)),
  scoped("PATCH", "", admins(200), { body: () => ({ name: "default" }) }),
  scoped("GET", "/live", all(400)),

  // Members.
  scoped("GET", "/members", all(200)),
  scoped("POST", "/members", admins(201), { note: "{role: member}", body: () => ({ name: "New", email: `${uniq("new")}@authz.test` }) }),
  scoped("POST", "/members", ownerOnly(201), { note: "{role: owner}", body: () => ({ name: "Boss", email: `${uniq("boss")}@authz.test`, role: "owner" }) }),
  scoped("PATCH", "/members/{newMember}", ownerOnly(200), { note: "{role: admin}", body: () => ({ role: "admin" }) }),
  scoped("PATCH", "/members/{newAdmin}", ownerOnly(200), { note: "{role: member}", body: () => ({ role: "member" }) }),
  scoped("DELETE", "/members/{newMember}", admins(204)),
  scoped("DELETE", "/members/{newAdmin}", ownerOnly(204)),

  // Tokens.
  scoped("POST", "/tokens", all(201), { note: "{kind: member}", body: () => ({ name: uniq("pat"), kind: "member", expiresInDays: 30 }) }),
  scoped("POST", "/tokens", admins(201), { note: "{kind: runner}", body: () => ({ name: uniq("runner"), kind: "runner" }) }),
  scoped("GET", "/tokens", all(200)),
  scoped("DELETE", "/tokens/{memberToken}", all(204)),
  scoped("DELETE", "/tokens/{adminToken}", admins(204)),
  scoped("DELETE", "/tokens/{ownerToken}", ownerOnly(204)),

  // Webhooks: admins only (they open issues, start runs, and show their secrets).
  scoped("POST", "/webhooks", admins(201), { body: () => ({ kind: "github", name: uniq("hook") }) }),
  scoped("GET", "/webhooks", admins(200)),
  scoped("GET", "/webhooks/{newWebhook}/deliveries", admins(200)),
  scoped("PATCH", "/webhooks/{newWebhook}", admins(200), { body: () => ({ enabled: false }) }),
  scoped("DELETE", "/webhooks/{newWebhook}", admins(204)),
  // Past the role check, an unknown delivery is a 404 (redelivery itself: test/webhooks.test.ts).
  scoped("POST", "/webhooks/{newWebhook}/deliveries/whd_authznotlogged0/redeliver", admins(404)),

  // Outbound subscriptions: admins only (they send the workspace's events out, and show their secrets).
  scoped("POST", "/subscriptions", admins(201), { body: () => ({ url: "http://127.0.0.1:9/authz", events: ["task.failed"] }) }),
  scoped("GET", "/subscriptions", admins(200)),
  scoped("GET", "/subscriptions/event-types", admins(200)),
  scoped("GET", "/subscriptions/{newSubscription}", admins(200)),
  scoped("PATCH", "/subscriptions/{newSubscription}", admins(200), { body: () => ({ events: ["issue.updated"] }) }),
  scoped("DELETE", "/subscriptions/{newSubscription}", admins(204)),
  scoped("GET", "/subscriptions/{newSubscription}/deliveries", admins(200)),
  scoped("POST", "/subscriptions/{newSubscription}/test", admins(202)),
  // Past the role check, an unknown delivery is a 404 (retries themselves: test/outbound.test.ts).
  scoped("POST", "/subscriptions/{newSubscription}/deliveries/dlv_authznotlogged0/retry", admins(404)),

  // Schedules: members read them; admins change and run them (they open issues and start runs on their own).
  scoped("POST", "/schedules", admins(201), { body: () => ({ name: uniq("schedule"), cron: "0 9 * * MON-FRI", timezone: "Europe/Berlin", action: { title: "authz" } }) }),
  scoped("GET", "/schedules", all(200)),
  scoped("GET", "/schedules/{newSchedule}", all(200)),
  scoped("PATCH", "/schedules/{newSchedule}", admins(200), { body: () => ({ cron: "@weekly" }) }),
  scoped("DELETE", "/schedules/{newSchedule}", admins(204)),
  scoped("POST", "/schedules/{newSchedule}/pause", admins(200)),
  scoped("POST", "/schedules/{newSchedule}/resume", admins(200)),
  scoped("POST", "/schedules/{newSchedule}/run", admins(201)),
  scoped("GET", "/schedules/{newSchedule}/runs", all(200)),

  // Agents and their skills.
  scoped("POST", "/agents", admins(201), { body: () => ({ name: uniq("agent"), runtimes: ["command:authz-nobody"] }) }),
  scoped("GET", "/agents", all(200)),
  scoped("GET", "/agents/stats", all(200)),
  scoped("GET", "/agents/{agent}", all(200)),
  scoped("PATCH", "/agents/{agent}", admins(200), { body: () => ({ instructions: uniq("be careful") }) }),
  scoped("DELETE", "/agents/{newAgent}", admins(204)),
  scoped("GET", "/agents/{agent}/skills", all(200)),
  scoped("PUT", "/agents/{agent}/skills/{newSkill}", admins(200), { body: () => ({ version: null, enabled: true }) }),
  scoped("DELETE", "/agents/{agent}/skills/{attachedSkill}", admins(200)),

  // Issues: agent tokens reach only their own issue (A) and its sub-issues.
  scoped("POST", "/issues", all(201), { note: "{title}", body: () => ({ title: uniq("top-level") }) }),
  scoped("POST", "/issues", all(201), { note: "{parentId: A}", extra: { agentA: 201 }, body: () => ({ title: uniq("sub"), parentId: ids.issueA }) }),
  scoped("POST", "/issues", all(201), { note: "{parentId: A, assignee}", body: () => ({ title: uniq("sub"), parentId: ids.issueA, assignee: { agentId: ids.agent }, status: "backlog" }) }),
  scoped("GET", "/issues", all(200)),
  scoped("GET", "/issues?parent={A}", all(200), { extra: { agentA: 200 } }),
  scoped("GET", "/issues/{A}", all(200), { extra: { agentA: 200 } }),
  scoped("GET", "/issues/{B}", all(200), { extra: { agentB: 200 } }),
  scoped("GET", "/issues/{childOfA}", all(200), { extra: { agentA: 200 } }),
  scoped("GET", "/issues/{A}/activity", all(200), { extra: { agentA: 200 } }),
  scoped("PATCH", "/issues/{A}", all(200), { note: "{status: in_review}", extra: { agentA: 200 }, body: () => ({ status: "in_review" }) }),
  scoped("PATCH", "/issues/{A}", all(200), { note: "{status: done} (agent may not close)", body: () => ({ status: "done" }) }),
  scoped("PATCH", "/issues/{A}", all(200), { note: "{title}", body: () => ({ title: uniq("renamed") }) }),
  scoped("PATCH", "/issues/{childOfA}", all(200), { note: "{status}", body: () => ({ status: "blocked" }) }),
  scoped("POST", "/issues/{newIssue}/assign", all(201), { body: () => ({ agentId: ids.agent }) }),
  scoped("GET", "/issues/{A}/comments", all(200), { extra: { agentA: 200 } }),
  scoped("POST", "/issues/{A}/comments", all(201), { extra: { agentA: 201 }, body: () => ({ body: "a note" }) }),
  scoped("POST", "/issues/{childOfA}/comments", all(201), { body: () => ({ body: "a note" }) }),

  // Tasks and runners.
  scoped("GET", "/tasks", all(200)),
  scoped("GET", "/tasks/{task}", all(200)),
  scoped("POST", "/tasks/{newTask}/cancel", all(202)),
  scoped("GET", "/tasks/{task}/stream", all(400)),
  scoped("GET", "/runners", all(200)),

  // Skills: every agent token of the workspace reads them.
  scoped("POST", "/skills", all("2xx"), { body: () => skillFiles(uniq("made")) }),
  scoped("GET", "/skills", all(200), { extra: readers }),
  scoped("GET", "/skills?q=skill", all(200), { extra: readers }),
  scoped("GET", "/skills/{skill}", all(200), { extra: readers }),
  scoped("GET", "/skills/{skill}/versions/1", all(200), { extra: readers }),
  scoped("GET", "/skills/{skill}/diff?from=1&to=2", all(200), { extra: readers }),
  scoped("POST", "/skills/{newSkill}/archive", all(200)),
  scoped("DELETE", "/skills/{newSkill}", all(200)),

  // Skill proposals.
  scoped("GET", "/skill-proposals", all(200)),
  scoped("GET", "/skill-proposals/{proposal}", all(200)),
  scoped("POST", "/skill-proposals/{newProposal}/accept", all(200)),
  scoped("POST", "/skill-proposals/{newProposal}/reject", all(200)),
];

function matches(status: number, want: Want): boolean {
  return want === "2xx" ? status >= 200 && status < 300 : status === want;
}

beforeAll(async () => {
  cp = await startControlPlane();
  owner = cp.api;
  ws1Ids.add(cp.workspaceId);
  const me = (await call("GET", "/whoami", cp.adminToken)).text;
  const ownerUserId = (JSON.parse(me) as { userId: string }).userId;
  ws1Ids.add(ownerUserId);
  const add = async (api: ApiClient, role: string, email: string) => (await api.post<{ member: { userId: string }; token: { id: string; secret: string } }>("/members", { name: email, email, role })).body;
  const admin = await add(owner, "admin", "ada@authz.test");
  const member = await add(owner, "member", "mo@authz.test");
  ws1Ids.add(admin.member.userId).add(member.member.userId);

  // Another workspace with its own member; the owner made it, then left it to her.
  const made = await call("POST", "/workspaces", cp.adminToken, { name: "Elsewhere", slug: "elsewhere" });
  ws2 = (JSON.parse(made.text) as { workspace: { id: string } }).workspace.id;
  const eve = await add(owner.in(ws2), "owner", "eve@authz.test");
  expect((await owner.in(ws2).delete(`/members/${ownerUserId}`)).status).toBe(204);
  const eveIssue = await owner.as(eve.token.secret).in(ws2).post<{ issue: { id: string } }>("/issues", { title: "ws2 only" });
  ws2Ids.add(ws2).add(eve.member.userId).add(eve.token.id).add(eveIssue.body.issue.id);

  const expired = (await owner.post<{ token: { id: string; secret: string } }>("/tokens", { name: "soon expired", kind: "member" })).body.token;
  await cp.expireToken(expired.id);
  const revoked = (await owner.post<{ token: { id: string; secret: string } }>("/tokens", { name: "revoked", kind: "member" })).body.token;
  await owner.delete(`/tokens/${revoked.id}`);

  ids.issueA = await fresh.issue();
  ids.issueB = await fresh.issue();
  const child = await owner.post<{ issue: { id: string; parentId: string | null } }>("/issues", { title: "child of A", parentId: ids.issueA });
  expect(child.body.issue.parentId).toBe(ids.issueA);
  ids.child = child.body.issue.id;
  ws1Ids.add(ids.child);
  ids.agent = await fresh.agent();
  ids.task = await fresh.task();

  Object.assign(secrets, {
    none: null, bad: `mca_${"x".repeat(40)}`, expired: expired.secret, revoked: revoked.secret, otherWs: eve.token.secret,
    member: member.token.secret, admin: admin.token.secret, owner: cp.adminToken, runner: await cp.runnerToken(),
    agentA: await cp.agentToken({ taskId: "tsk_authzscopea01", attempt: 1, issueId: ids.issueA }),
    agentB: await cp.agentToken({ taskId: "tsk_authzscopeb01", attempt: 1, issueId: ids.issueB }),
  });

  ids.skill = await fresh.skill();
  await owner.post("/skills", skillFiles(ids.skill, "Steps, second version."));
  const shown = await owner.get<{ versions: { hash: string }[] }>(`/skills/${ids.skill}`);
  ids.bundle = shown.body.versions[0]!.hash;

  // A real dispatched attempt, for the runner's proposal routes.
  runnerSocket = await RawRunner.connect(cp.url, secrets.runner!);
  await runnerSocket.hello("rnr_authz00001", ["command:authz"]);
  const dispatched = await owner.assignNew(["command:authz"], "runner task");
  ws1Ids.add(dispatched.taskId).add(dispatched.issueId).add(dispatched.agentId);
  ids.runnerTask = ((await runnerSocket.next((m) => m.type === "task.assign")) as ControlTaskAssign).taskId;
  ids.proposal = await fresh.proposal();
  ws1Ids.add(ids.issueA).add(ids.issueB);
});

afterAll(async () => {
  runnerSocket?.close();
  await cp?.stop();
});

/** Strings of `set` that `text` contains. */
const leaked = (text: string, set: Set<string>) => [...set].filter((id) => text.includes(id));

describe("authorization matrix", () => {
  for (const row of ROWS) {
    it(row.name, async () => {
      const wrong: string[] = [];
      for (const who of WHO) {
        const path = await row.path(cp.workspaceId);
        const res = await call(row.method, path, secrets[who], await row.body?.());
        if (!matches(res.status, row.want[who])) wrong.push(`${who}: got ${res.status}, want ${row.want[who]} (${res.text.slice(0, 160)})`);
        const foreign = who === "otherWs" ? ws1Ids : ws2Ids;
        if (res.status < 300 && leaked(res.text, foreign).length > 0) wrong.push(`${who}: a 2xx answer carries ids of another workspace: ${leaked(res.text, foreign).join(", ")}`);
      }
      if (row.scoped) {
        // The other workspace's member, in their own workspace, with this workspace's ids.
        const path = await row.path(ws2);
        const body = await row.body?.();
        const res = await call(row.method, path, secrets.otherWs, body);
        // A write naming this workspace's things must fail; a read may answer (empty), never with them.
        const namesWs1 = leaked(path + JSON.stringify(body ?? null), ws1Ids).length > 0;
        if (res.status >= 500) wrong.push(`other workspace: ${res.status}`);
        if (namesWs1 && row.method !== "GET" && res.status < 300) wrong.push(`other workspace reached ${path} with this workspace's ids: ${res.status}`);
        if (res.status < 300 && leaked(res.text, ws1Ids).length > 0) wrong.push(`other workspace: a 2xx answer carries this workspace's ids: ${leaked(res.text, ws1Ids).join(", ")}`);
      }
      expect(wrong).toEqual([]);
    });
  }
});

describe("agent tokens", () => {
  it("list only the sub-issues of their issue, and are refused when the answer would hold more", async () => {
    const agentA = owner.as(secrets.agentA!);
    const subs = await agentA.get<{ issues: { id: string; parentId: string }[] }>(`/issues?parent=${ids.issueA}`);
    expect(subs.status).toBe(200);
    expect(subs.body.issues.length).toBeGreaterThan(0);
    expect(subs.body.issues.every((i) => i.parentId === ids.issueA)).toBe(true);
    expect((await agentA.get(`/issues?parent=${ids.issueB}`)).status).toBe(403);
    expect((await agentA.get("/issues?parent=none")).status).toBe(403);
  });

  it("set their issue to done only when their agent may close issues", async () => {
    const closer = await fresh.agent();
    await owner.patch(`/agents/${closer}`, { canClose: true, runtimes: ["command:authz-closer"] });
    const issue = await fresh.issue();
    const assigned = await owner.post<{ task: { taskId: string } }>(`/issues/${issue}/assign`, { agentId: closer });
    const secret = await cp.agentToken({ taskId: assigned.body.task.taskId, attempt: 1, issueId: issue });
    const agent = owner.as(secret);
    // The attempt reaches D1 with the Durable Object's next mirror flush.
    await expect.poll(async () => (await agent.patch(`/issues/${issue}`, { status: "done" })).status, { timeout: 10_000 }).toBe(200);
    expect((await agent.patch(`/issues/${issue}`, { status: "cancelled" })).status).toBe(403);
    expect((await agent.patch(`/issues/${issue}`, { status: "blocked", title: "x" })).status).toBe(403);
  });

  it("are refused once expired or when another workspace's issue is named", async () => {
    const old = await cp.agentToken({ taskId: "tsk_authzexpired1", attempt: 1, issueId: ids.issueA, expiresAt: Date.now() - 1 });
    const res = await owner.as(old).get<{ error: { message: string } }>(`/issues/${ids.issueA}`);
    expect(res).toMatchObject({ status: 401, body: { error: { message: "this token has expired" } } });
    expect((await owner.as(secrets.agentA!).in(ws2).get(`/issues/${ids.issueA}`)).status).toBe(403);
  });
});
