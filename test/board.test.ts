/**
 * The board's issue and comment API through the real control plane (wrangler dev, D1, raw runner
 * sockets): issues with every field, validation with field details, filters and cursor pages,
 * PATCH with its activity log, sub-issue cycles, when assignments and status changes start runs
 * (and when they must not), @mentions, threads, and ids of other workspaces.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlMessage, type ControlTaskAssign, randomString } from "@multica/shared";
import { startControlPlane, waitFor, type TestControlPlane } from "./helpers/control-plane";
import { Board, RawRunner } from "./helpers/sockets";

let cp: TestControlPlane;
let runnerToken: string;
let me: string;

beforeAll(async () => {
  cp = await startControlPlane();
  runnerToken = await cp.runnerToken();
  const who = await fetch(`${cp.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${cp.adminToken}` } });
  me = ((await who.json()) as { userId: string }).userId;
});
afterAll(async () => {
  await cp?.stop();
});

interface Issue {
  id: string;
  key: string;
  number: number;
  title: string;
  body: string;
  status: string;
  priority: string;
  assignee: { agentId: string } | { userId: string } | null;
  assigneeAgentId: string | null;
  assigneeUserId: string | null;
  parentId: string | null;
  labels: string[];
  position: number;
  repository: { source: string; baseRef: string | null } | null;
}
interface Task {
  taskId: string;
  /** D1's task rows (`tasks` of an issue) carry `id`. */
  id?: string;
  agentId: string;
  status: string;
}
interface Activity {
  actor: string;
  kind: string;
  data: Record<string, unknown>;
}
interface ErrorBody {
  error: { code: string; message: string; details?: { path: string | null; message: string }[] };
}
type Page = { issues: Issue[]; nextCursor: string | null };

const create = (body: Record<string, unknown>) => cp.api.post<{ issue: Issue; task: Task | null } & ErrorBody>("/issues", body);
const patch = (id: string, body: unknown) => cp.api.patch<{ issue: Issue; task: Task | null } & ErrorBody>(`/issues/${id}`, body);
const list = (query: string) => cp.api.get<Page & ErrorBody>(`/issues?${query}`);
const activity = async (id: string) => (await cp.api.get<{ activities: Activity[] }>(`/issues/${id}/activity`)).body.activities;
const comment = (id: string, body: Record<string, unknown>) =>
  cp.api.post<{ comment: { id: string; author: string; parentId: string | null }; task: Task | null; runs: { agentId: string; reason: string; task: Task }[] } & ErrorBody>(`/issues/${id}/comments`, body);
const paths = (b: ErrorBody) => (b.error.details ?? []).map((d) => d.path);
const agent = async (name: string, runtime: string) => (await cp.api.post<{ agent: { id: string } }>("/agents", { name, runtimes: [runtime], maxConcurrentTasks: 4 })).body.agent.id;
const assignsFor = (runner: RawRunner, issueId: string) => runner.received.filter((m: ControlMessage): m is ControlTaskAssign => m.type === "task.assign" && m.issue.id === issueId);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("issues", () => {
  it("creates an issue with every field, and with defaults", async () => {
    const parent = (await create({ title: "Parent" })).body.issue;
    const full = await create({
      title: "  Board columns  ", body: "Drag and **drop**.", status: "in_review", priority: "high", assignee: { userId: me }, parentId: parent.id,
      labels: [" ui ", "UI", "backend"], position: 2.5, repository: { source: "https://example.com/org/app.git", baseRef: "main" },
    });
    expect(full.status).toBe(201);
    expect(full.body.task).toBeNull();
    expect(full.body.issue).toMatchObject({
      key: expect.stringMatching(/^MUL-\d+$/), title: "Board columns", body: "Drag and **drop**.", status: "in_review", priority: "high",
      assignee: { userId: me }, assigneeUserId: me, assigneeAgentId: null, parentId: parent.id, labels: ["ui", "backend"], position: 2.5,
      repository: { source: "https://example.com/org/app.git", baseRef: "main" },
    });
    const plain = (await create({ title: "Plain" })).body.issue;
    expect(plain).toMatchObject({ status: "todo", priority: "none", assignee: null, parentId: null, labels: [], body: "" });
    const next = (await create({ title: "After plain" })).body.issue;
    expect(next.position).toBeGreaterThan(plain.position);

    const read = await cp.api.get<{ issue: Issue; comments: unknown[]; tasks: unknown[]; children: Issue[] }>(`/issues/${parent.id}`);
    expect(read.body).toMatchObject({ issue: { id: parent.id, key: parent.key, repository: null }, comments: [], tasks: [] });
    expect(read.body.children.map((c) => c.id)).toEqual([full.body.issue.id]);
    expect(await activity(full.body.issue.id)).toEqual([
      expect.objectContaining({ actor: `user:${me}`, kind: "created", data: expect.objectContaining({ status: "in_review", assignee: `user:${me}`, labels: ["ui", "backend"] }) }),
    ]);
  });

  it("refuses bad bodies and queries with a 400 naming each field", async () => {
    const bad = await create({ title: "", status: "open", priority: "p0", labels: ["", "x".repeat(51)], assignee: { agentId: "nope" }, position: "top" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("bad_request");
    expect(paths(bad.body)).toEqual(expect.arrayContaining(["title", "status", "priority", "labels.0", "labels.1", "position"]));
    expect(paths(bad.body).some((p) => p?.startsWith("assignee"))).toBe(true);
    expect(paths((await create({ title: "x", labels: Array.from({ length: 21 }, (_, i) => `l${i}`) })).body)).toEqual(["labels"]);
    const unknown = await create({ title: "x", state: "done" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/state/);

    const issue = (await create({ title: "Target" })).body.issue;
    expect((await patch(issue.id, {})).body.error.message).toMatch(/at least one field/);
    expect(paths((await patch(issue.id, { status: "open", parentId: "iss_!" })).body)).toEqual(expect.arrayContaining(["status", "parentId"]));

    for (const [query, field] of [["status=todo,open", "status"], ["limit=500", "limit"], ["cursor=bm9wZQ", "cursor"], ["assignee=bob", "assignee"], ["sort=random", "sort"]]) {
      const r = await list(query!);
      expect(r.status, query).toBe(400);
      expect(paths(r.body).some((p) => p === field || p?.startsWith(`${field}.`)), query).toBe(true);
    }
    // Ids of nothing in this workspace: 404, with the field.
    const ghostAgent = await create({ title: "x", assignee: { agentId: `agt_${randomString(20)}` } });
    expect(ghostAgent).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    expect(paths(ghostAgent.body)).toEqual(["assignee.agentId"]);
    expect(paths((await create({ title: "x", assignee: { userId: `usr_${randomString(20)}` } })).body)).toEqual(["assignee.userId"]);
    expect(paths((await patch(issue.id, { parentId: `iss_${randomString(20)}` })).body)).toEqual(["parentId"]);
  });

  it("filters, orders by column then position, and pages through every issue exactly once", async () => {
    const label = `page-${randomString(6)}`;
    const statuses = ["backlog", "todo", "in_progress", "done", "todo"] as const;
    const priorities = ["urgent", "high", "medium", "low", "none"] as const;
    const made: Issue[] = [];
    for (let i = 0; i < 25; i++) {
      const r = await create({ title: `Paged ${i}${i === 7 ? " 100%_sure" : ""}`, body: i === 3 ? "find the needle here" : "", status: statuses[i % 5], priority: priorities[i % 5], labels: [label], assignee: i % 4 === 0 ? { userId: me } : null });
      expect(r.status).toBe(201);
      made.push(r.body.issue);
    }
    const rank = (s: string) => ["backlog", "todo", "in_progress", "in_review", "done", "blocked", "cancelled"].indexOf(s);
    const boardOrder = [...made].sort((a, b) => rank(a.status) - rank(b.status) || a.position - b.position || a.number - b.number).map((i) => i.id);

    for (const [sort, expected] of [["board", boardOrder], ["created", [...made].sort((a, b) => b.number - a.number).map((i) => i.id)]] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      const sizes: number[] = [];
      do {
        const r: { status: number; body: Page } = await list(`label=${label.toUpperCase()}&limit=10&sort=${sort}${cursor ? `&cursor=${cursor}` : ""}`);
        expect(r.status).toBe(200);
        sizes.push(r.body.issues.length);
        seen.push(...r.body.issues.map((i) => i.id));
        cursor = r.body.nextCursor;
      } while (cursor);
      expect(sizes, sort).toEqual([10, 10, 5]);
      expect(seen, sort).toEqual(expected);
    }
    // A board cursor is no created cursor.
    const first = await list(`label=${label}&limit=10`);
    expect((await list(`label=${label}&limit=10&sort=created&cursor=${first.body.nextCursor}`)).status).toBe(400);

    const ids = async (query: string) => (await list(`label=${label}&limit=200&${query}`)).body.issues.map((i) => i.id).sort();
    const where = (pred: (i: Issue) => boolean) => made.filter(pred).map((i) => i.id).sort();
    expect(await ids("status=todo,done")).toEqual(where((i) => i.status === "todo" || i.status === "done"));
    expect(await ids("priority=urgent,low")).toEqual(where((i) => i.priority === "urgent" || i.priority === "low"));
    expect(await ids(`assignee=user:${me}`)).toEqual(where((i) => i.assigneeUserId === me));
    expect(await ids("assignee=none")).toEqual(where((i) => i.assigneeUserId === null));
    expect(await ids("q=NEEDLE")).toEqual([made[3]!.id]);
    expect(await ids(`q=${encodeURIComponent("100%_")}`)).toEqual([made[7]!.id]);
    expect(await ids("status=backlog&priority=urgent")).toEqual(where((i) => i.status === "backlog" && i.priority === "urgent"));

    const parent = (await create({ title: "Paged parent", labels: [label] })).body.issue;
    const child = (await create({ title: "Paged child", labels: [label], parentId: parent.id })).body.issue;
    expect(await ids(`parent=${parent.id}`)).toEqual([child.id]);
    expect((await ids("parent=none")).includes(child.id)).toBe(false);
  });

  it("changes every field with PATCH and logs each change", async () => {
    const parent = (await create({ title: "New parent" })).body.issue;
    const issue = (await create({ title: "Editable", body: "one", labels: ["a"] })).body.issue;
    const changes: [Record<string, unknown>, Partial<Issue>, string, Record<string, unknown>][] = [
      [{ title: "Edited" }, { title: "Edited" }, "title_changed", { from: "Editable", to: "Edited" }],
      [{ body: "two two" }, { body: "two two" }, "body_changed", { fromLength: 3, toLength: 7 }],
      [{ priority: "urgent" }, { priority: "urgent" }, "priority_changed", { from: "none", to: "urgent" }],
      [{ labels: ["a", "b", "B"] }, { labels: ["a", "b"] }, "labels_changed", { from: ["a"], to: ["a", "b"], added: ["b"], removed: [] }],
      [{ parentId: parent.id }, { parentId: parent.id }, "parent_changed", { from: null, to: parent.id }],
      [{ position: -1 }, { position: -1 }, "position_changed", { from: issue.position, to: -1 }],
      [{ assignee: { userId: me } }, { assignee: { userId: me } }, "assigned", { from: null, to: `user:${me}` }],
      [{ status: "in_review" }, { status: "in_review" }, "status_changed", { from: "todo", to: "in_review" }],
      [{ repository: { source: "/srv/repo", baseRef: null } }, { repository: { source: "/srv/repo", baseRef: null } }, "repository_changed", { from: null, to: { source: "/srv/repo", baseRef: null } }],
      [{ assignee: null, parentId: null }, { assignee: null, parentId: null }, "assigned", { from: `user:${me}`, to: null }],
    ];
    for (const [body, expected] of changes) {
      const r = await patch(issue.id, body);
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect(r.body.issue).toMatchObject(expected);
      expect(r.body.task).toBeNull();
    }
    // A status change without a position goes to the end of the new column.
    const column = (await list("status=in_review&limit=200")).body.issues;
    expect(column[column.length - 1]?.id).toBe(issue.id);
    // A change to what it already is changes nothing and logs nothing.
    expect((await patch(issue.id, { title: "Edited" })).status).toBe(200);

    const log = await activity(issue.id);
    expect(log.map((a) => a.kind)).toEqual(["created", ...changes.map(([, , kind]) => kind), "parent_changed"]);
    changes.forEach(([, , kind, data], i) => expect(log[i + 1], kind).toMatchObject({ actor: `user:${me}`, kind, data }));
  });

  it("refuses a parent that would make a cycle", async () => {
    const a = (await create({ title: "A" })).body.issue;
    const b = (await create({ title: "B", parentId: a.id })).body.issue;
    const c = (await create({ title: "C", parentId: b.id })).body.issue;
    const cycle = await patch(a.id, { parentId: c.id });
    expect(cycle.status).toBe(400);
    expect(cycle.body.error.details).toEqual([{ path: "parentId", message: expect.stringMatching(/cycle/) }]);
    expect(paths((await patch(a.id, { parentId: a.id })).body)).toEqual(["parentId"]);
    // Moving a subtree elsewhere is fine.
    expect((await patch(b.id, { parentId: null })).body.issue.parentId).toBeNull();
    expect((await patch(a.id, { parentId: c.id })).body.issue.parentId).toBe(c.id);
  });

  it("pushes each change to the workspace's boards", async () => {
    const board = await Board.connect(cp.url, cp.workspaceId, cp.adminToken);
    await board.next((m) => m.type === "board.hello");
    const issue = (await create({ title: "Live" })).body.issue;
    await board.next((m) => m.type === "issue.changed" && m.issueId === issue.id);
    await patch(issue.id, { priority: "low" });
    await board.next((m) => m.type === "issue.changed" && m.issueId === issue.id && m.issue.priority === "low");
    await board.next((m) => m.type === "activity" && m.issueId === issue.id && m.activity.kind === "priority_changed");
    const posted = await comment(issue.id, { body: "hi" });
    await board.next((m) => m.type === "comment.added" && m.comment.id === posted.body.comment.id);
    await board.next((m) => m.type === "activity" && m.activity.kind === "commented" && m.issueId === issue.id);
    board.close();
  });

  it("answers 404 for issue ids that are not this workspace's", async () => {
    const ghost = `iss_${randomString(20)}`;
    const agentId = await agent("ghostbuster", "command:ghost");
    for (const r of [
      await cp.api.get<ErrorBody>(`/issues/${ghost}`),
      await patch(ghost, { title: "x" }),
      await cp.api.get<ErrorBody>(`/issues/${ghost}/activity`),
      await cp.api.get<ErrorBody>(`/issues/${ghost}/comments`),
      await comment(ghost, { body: "hello" }),
      await cp.api.post<ErrorBody>(`/issues/${ghost}/assign`, { agentId }),
    ]) {
      expect(r).toMatchObject({ status: 404, body: { error: { code: "not_found" } } });
    }
  });
});

describe("assignment and runs", () => {
  it("records an agent assigned in the backlog without a run, and dispatches once when the issue leaves it", async () => {
    const runner = await RawRunner.connect(cp.url, runnerToken);
    await runner.hello("rnr_boardback01", ["command:backlog"], 4);
    const agentId = await agent("planner", "command:backlog");
    const issue = (await create({ title: "Later", status: "backlog" })).body.issue;

    const assigned = await patch(issue.id, { assignee: { agentId } });
    expect(assigned.body).toMatchObject({ issue: { status: "backlog", assignee: { agentId } }, task: null });
    const viaAssign = await cp.api.post<{ task: Task | null }>(`/issues/${issue.id}/assign`, { agentId });
    expect(viaAssign).toMatchObject({ status: 200, body: { task: null } });
    const created = await create({ title: "Later too", status: "backlog", assignee: { agentId } });
    expect(created.body.task).toBeNull();
    await sleep(500);
    expect(assignsFor(runner, issue.id)).toEqual([]);
    expect(assignsFor(runner, created.body.issue.id)).toEqual([]);

    const out = await patch(issue.id, { status: "todo" });
    expect(out.body.task).toMatchObject({ agentId });
    // A started run puts the issue in progress.
    expect(out.body.issue.status).toBe("in_progress");
    const taskId = out.body.task!.taskId;
    // Back to the backlog and out again while that run is out (before D1's mirror may have it): no second run.
    expect((await patch(issue.id, { status: "backlog" })).body.task).toBeNull();
    expect((await patch(issue.id, { status: "todo" })).body.task).toBeNull();
    await runner.next((m) => m.type === "task.assign" && m.taskId === taskId);
    await sleep(500);
    expect(assignsFor(runner, issue.id).map((a) => a.taskId)).toEqual([taskId]);
    expect((await patch(issue.id, { status: "backlog" })).body.task).toBeNull();
    expect((await patch(issue.id, { status: "in_review" })).body.task).toBeNull();

    const log = await activity(issue.id);
    expect(log.filter((a) => a.kind === "run_started")).toEqual([expect.objectContaining({ data: { taskId, agentId, reason: "unblocked" } })]);
    expect(log.find((a) => a.kind === "assigned")).toMatchObject({ data: { from: null, to: `agent:${agentId}` } });
    runner.close();
  });

  it("does not start a second run while one is queued", async () => {
    // No runner has this runtime: the run stays queued.
    const agentId = await agent("waiter", "command:nobody-has-this");
    const issue = (await create({ title: "Queued", status: "backlog", assignee: { agentId } })).body.issue;
    const first = await patch(issue.id, { status: "todo" });
    expect(first.body.task).toMatchObject({ status: "queued" });
    await waitFor(async () => (await cp.api.get<{ tasks: Task[] }>(`/issues/${issue.id}`)).body.tasks.length > 0, 10_000, "the mirrored task");
    await patch(issue.id, { status: "backlog" });
    expect((await patch(issue.id, { status: "todo" })).body.task).toBeNull();
    // Re-assigning the same agent is no change either.
    expect((await patch(issue.id, { assignee: { agentId } })).body.task).toBeNull();
    const tasks = (await cp.api.get<{ tasks: Task[] }>(`/issues/${issue.id}`)).body.tasks;
    expect(new Set(tasks.map((t) => t.id)).size).toBe(1);
  });

  it("starts a run when an agent is assigned, and none for a member, nobody, or a closing change", async () => {
    const runner = await RawRunner.connect(cp.url, runnerToken);
    await runner.hello("rnr_boardassign", ["command:assign"], 4);
    const agentId = await agent("doer", "command:assign");

    const issue = (await create({ title: "Now" })).body.issue;
    const r = await patch(issue.id, { assignee: { agentId } });
    expect(r.body).toMatchObject({ issue: { status: "in_progress", assignee: { agentId } }, task: { agentId } });
    await runner.next((m) => m.type === "task.assign" && m.taskId === r.body.task!.taskId);

    const created = await create({ title: "Now too", assignee: { agentId } });
    expect(created.body).toMatchObject({ issue: { status: "in_progress" }, task: { agentId } });
    await runner.next((m) => m.type === "task.assign" && m.taskId === created.body.task!.taskId);
    expect((await activity(created.body.issue.id)).map((a) => a.kind)).toEqual(["created", "run_started"]);

    const member = (await create({ title: "Mine" })).body.issue;
    expect((await patch(member.id, { assignee: { userId: me } })).body).toMatchObject({ issue: { status: "todo" }, task: null });
    expect((await patch(member.id, { assignee: null })).body.task).toBeNull();
    expect((await patch(member.id, { assignee: { agentId }, status: "done" })).body).toMatchObject({ issue: { status: "done" }, task: null });
    await sleep(300);
    expect(assignsFor(runner, member.id)).toEqual([]);

    // The assign route still answers 201 with the task outside the backlog.
    const legacy = (await create({ title: "Legacy" })).body.issue;
    const assigned = await cp.api.post<{ task: Task }>(`/issues/${legacy.id}/assign`, { agentId });
    expect(assigned).toMatchObject({ status: 201, body: { task: { agentId } } });
    expect((await cp.api.get<{ issue: Issue }>(`/issues/${legacy.id}`)).body.issue).toMatchObject({ status: "in_progress", assignee: { agentId } });
    runner.close();
  });
});

describe("comments", () => {
  it("threads replies, starts a run for each @mentioned agent, and keeps the assignee's follow-up", async () => {
    const runner = await RawRunner.connect(cp.url, runnerToken);
    await runner.hello("rnr_boardmention", ["command:mention"], 8);
    const fixer = await agent("mention fixer", "command:mention");
    const reviewer = await agent("Review Bot", "command:mention");

    const issue = (await create({ title: "Mentions", assignee: { agentId: fixer } })).body.issue;
    const c1 = await comment(issue.id, { body: "Looks close. @review-bot can you check the diff? (not me@review-bot)" });
    expect(c1.status).toBe(201);
    expect(c1.body.comment).toMatchObject({ author: `user:${me}`, parentId: null });
    expect(c1.body.task).toMatchObject({ agentId: fixer });
    expect(c1.body.runs.map((r) => [r.agentId, r.reason])).toEqual([[fixer, "follow_up"], [reviewer, "mention"]]);
    const review = c1.body.runs[1]!.task.taskId;
    const frame = (await runner.next((m) => m.type === "task.assign" && m.taskId === review)) as ControlTaskAssign;
    expect(frame.agent.name).toBe("Review Bot");
    expect(frame.prompt).toContain("can you check the diff?");

    const reply = await comment(issue.id, { body: "Replying in the thread.", parentId: c1.body.comment.id });
    expect(reply.body.comment.parentId).toBe(c1.body.comment.id);
    const other = (await create({ title: "Elsewhere" })).body.issue;
    const stray = await comment(other.id, { body: "wrong thread", parentId: c1.body.comment.id });
    expect(stray.status).toBe(404);
    expect(paths(stray.body)).toEqual(["parentId"]);
    const comments = (await cp.api.get<{ comments: { id: string; parentId: string | null }[] }>(`/issues/${issue.id}/comments`)).body.comments;
    expect(comments.find((c) => c.id === reply.body.comment.id)?.parentId).toBe(c1.body.comment.id);

    // On an unassigned issue a mention is the only run; in code it is none.
    const loose = (await create({ title: "Loose" })).body.issue;
    const asked = await comment(loose.id, { body: "@Review Bot please" });
    expect(asked.body).toMatchObject({ task: null, runs: [{ agentId: reviewer, reason: "mention" }] });
    expect((await comment(loose.id, { body: "see `@review-bot`" })).body.runs).toEqual([]);

    const log = await activity(issue.id);
    expect(log.filter((a) => a.kind === "commented").map((a) => a.data)).toEqual([
      { commentId: c1.body.comment.id, parentId: null },
      { commentId: reply.body.comment.id, parentId: c1.body.comment.id },
    ]);
    expect(log.filter((a) => a.kind === "run_started").map((a) => a.data.reason)).toEqual(["assigned", "follow_up", "mention"]);
    runner.close();
  });

  it("in the backlog, a comment asks only the agents it mentions", async () => {
    const agentId = await agent("sleeper", "command:nobody-runs-backlog");
    const issue = (await create({ title: "Dormant", status: "backlog", assignee: { agentId } })).body.issue;
    expect((await comment(issue.id, { body: "just a note" })).body).toMatchObject({ task: null, runs: [] });
    expect((await cp.api.get<{ issue: Issue }>(`/issues/${issue.id}`)).body.issue.status).toBe("backlog");
    const woke = await comment(issue.id, { body: "@sleeper go" });
    expect(woke.body).toMatchObject({ task: { agentId }, runs: [{ agentId, reason: "mention" }] });
    expect((await cp.api.get<{ issue: Issue }>(`/issues/${issue.id}`)).body.issue.status).toBe("in_progress");
  });

  it("an agent's comment is the agent's, and does not ask the agent again", async () => {
    const runner = await RawRunner.connect(cp.url, runnerToken);
    await runner.hello("rnr_boardagent", ["command:selfcomment"], 2);
    const agentId = await agent("talker", "command:selfcomment");
    const issue = (await create({ title: "Talk", assignee: { agentId } })).body.issue;
    const tasks = await waitFor(async () => {
      const r = await cp.api.get<{ tasks: Task[] }>(`/issues/${issue.id}`);
      return r.body.tasks.length > 0 ? r.body.tasks : null;
    }, 10_000, "the mirrored task");
    const token = await cp.agentToken({ taskId: tasks[0]!.id!, attempt: 1, issueId: issue.id });
    const said = await cp.api.as(token).post<{ comment: { author: string }; task: Task | null; runs: unknown[] }>(`/issues/${issue.id}/comments`, { body: "Done, @talker out." });
    expect(said.status).toBe(201);
    expect(said.body).toMatchObject({ comment: { author: `agent:${agentId}` }, task: null, runs: [] });
    expect((await activity(issue.id)).at(-1)).toMatchObject({ actor: `agent:${agentId}`, kind: "commented" });
    runner.close();
  });
});
