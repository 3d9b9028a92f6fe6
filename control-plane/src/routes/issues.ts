/**
 * /api/v1/workspaces/:workspaceId/issues — the board's issues: create, list (filters, board or
 * creation order, cursor pages), read (with comments, tasks and sub-issues), change any field
 * (PATCH), and assign to an agent. Every change is written together with its activity rows
 * (board/activity.ts) in one D1 batch and pushed to the workspace's boards.
 *
 * Runs: assigning an agent starts one unless the issue is in the backlog; an issue leaving the
 * backlog with an agent assigned starts one unless that agent already has a run on it that is
 * not over; a PATCH that also sets `done` or `cancelled` starts none. A started run moves the
 * issue to in_progress. Assigning a member or nobody starts nothing, and stops nothing already
 * running. Issues get a per-workspace number; the API shows their key (`MUL-7`).
 */
import { Hono } from "hono";
import { and, asc, eq, sql } from "drizzle-orm";
import type { SQLiteUpdateSetSource } from "drizzle-orm/sqlite-core";
import { AssignIssueBody, CreateBoardIssueBody, type IssueAssignee, ListIssuesQuery, newId, UpdateIssueBody } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import type { AppEnv } from "../middleware/auth";
import { issuePrefix, issueView, loadRunContext, startRun } from "../runs";
import { actorOf, issueChanges, newActivity, runStarted, type ActivityRow, type RunReason } from "../board/activity";
import { announce, startAgentRun } from "../board/agent-runs";
import { issuePageQuery, page, STATUS_RANK } from "../board/issue-list";
import { checkAssignee, checkParent, endOfColumn, requireIssue, runInFlight } from "../board/issue-rules";
import { validateFields } from "../board/validate-fields";

type IssueRow = typeof schema.issues.$inferSelect;
type IssueUpdate = SQLiteUpdateSetSource<typeof schema.issues>;

function assigneeColumns(a: IssueAssignee): Pick<IssueRow, "assigneeAgentId" | "assigneeUserId"> {
  return { assigneeAgentId: a && "agentId" in a ? a.agentId : null, assigneeUserId: a && "userId" in a ? a.userId : null };
}

/** Columns whose value differs between two states of an issue (labels compared by content). */
function changedColumns(before: IssueRow, after: IssueRow): IssueUpdate {
  const set: Record<string, unknown> = {};
  for (const key of Object.keys(after) as (keyof IssueRow)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) set[key] = after[key];
  }
  return set as IssueUpdate;
}

/** Writes a change and its activity in one batch; returns the issue as stored. */
async function writeChange(db: ReturnType<typeof createDb>, issue: IssueRow, set: IssueUpdate, rows: ActivityRow[]): Promise<IssueRow> {
  const update = db.update(schema.issues).set(set).where(eq(schema.issues.id, issue.id)).returning();
  const [stored] = rows.length > 0 ? (await db.batch([update, db.insert(schema.activities).values(rows)]))[0] : await update;
  if (!stored) throw ApiError.notFound("issue", issue.id);
  return stored;
}

export const issueRoutes = new Hono<AppEnv>()
  .post("/", validateFields("json", CreateBoardIssueBody), async (c) => {
    const input = c.req.valid("json");
    const p = c.get("principal");
    const db = createDb(c.env.DB);
    const [actor] = await Promise.all([actorOf(db, p), checkAssignee(db, p.workspaceId, input.assignee), input.parentId && checkParent(db, p.workspaceId, null, input.parentId)]);
    const { assigneeAgentId, assigneeUserId } = assigneeColumns(input.assignee);
    const runs = assigneeAgentId !== null && input.status !== "backlog";
    const status = runs ? "in_progress" : input.status;
    const now = Date.now();
    const id = newId("issue");
    // The number and the default position are taken inside the INSERT: one statement, so two creates never share one.
    const nextNumber = sql<number>`(SELECT coalesce(max(${schema.issues.number}), 0) + 1 FROM ${schema.issues} WHERE ${schema.issues.workspaceId} = ${p.workspaceId})`;
    const row = {
      id, workspaceId: p.workspaceId, number: nextNumber, title: input.title, body: input.body, status, priority: input.priority, assigneeAgentId, assigneeUserId,
      parentId: input.parentId, labels: input.labels, position: input.position ?? endOfColumn(p.workspaceId, status),
      repository: input.repository?.source ?? null, baseRef: input.repository?.baseRef ?? null, createdBy: actor, createdAt: now, updatedAt: now,
    };
    const created = newActivity(row, actor, "created", { status, priority: input.priority, assignee: assigneeAgentId ? `agent:${assigneeAgentId}` : assigneeUserId ? `user:${assigneeUserId}` : null, parentId: input.parentId, labels: input.labels }, now);
    const [[issue]] = await db.batch([db.insert(schema.issues).values(row).returning(), db.insert(schema.activities).values(created)]);
    if (!issue) throw new ApiError(500, "internal", "the issue was not stored");
    // The run needs the issue in D1 (its number is its key): it starts once the issue is stored.
    const task = runs ? await startAgentRun(c.env, issue, assigneeAgentId) : null;
    const started = task ? runStarted(issue, actor, { taskId: task.taskId, agentId: task.agentId, reason: "assigned" }, now) : null;
    if (started) await db.insert(schema.activities).values(started);
    const view = issueView(issue, await issuePrefix(c.env, p.workspaceId));
    announce(c, { issue: view, activities: started ? [created, started] : [created] });
    return c.json({ issue: view, task }, 201);
  })
  .get("/", validateFields("query", ListIssuesQuery), async (c) => {
    const q = c.req.valid("query");
    const workspaceId = c.get("principal").workspaceId;
    const { where, orderBy } = issuePageQuery(workspaceId, q);
    const [prefix, rows] = await Promise.all([
      issuePrefix(c.env, workspaceId),
      createDb(c.env.DB).select().from(schema.issues).where(where).orderBy(...orderBy).limit(q.limit + 1),
    ]);
    const { rows: issues, nextCursor } = page(rows, q);
    return c.json({ issues: issues.map((i) => issueView(i, prefix)), nextCursor });
  })
  .get("/:issueId", async (c) => {
    const db = createDb(c.env.DB);
    const workspaceId = c.get("principal").workspaceId;
    const issue = await requireIssue(db, workspaceId, c.req.param("issueId"));
    const [prefix, comments, tasks, children] = await Promise.all([
      issuePrefix(c.env, workspaceId),
      db.select().from(schema.comments).where(eq(schema.comments.issueId, issue.id)).orderBy(asc(schema.comments.createdAt)),
      db.select().from(schema.tasks).where(eq(schema.tasks.issueId, issue.id)).orderBy(asc(schema.tasks.queuedAt), asc(schema.tasks.attempt)),
      db.select().from(schema.issues).where(and(eq(schema.issues.workspaceId, workspaceId), eq(schema.issues.parentId, issue.id)))
        .orderBy(asc(STATUS_RANK), asc(schema.issues.position), asc(schema.issues.number)),
    ]);
    return c.json({ issue: issueView(issue, prefix), comments, tasks, children: children.map((i) => issueView(i, prefix)) });
  })
  .patch("/:issueId", validateFields("json", UpdateIssueBody), async (c) => {
    const patch = c.req.valid("json");
    const p = c.get("principal");
    const db = createDb(c.env.DB);
    const before = await requireIssue(db, p.workspaceId, c.req.param("issueId"));
    const [actor] = await Promise.all([
      actorOf(db, p),
      patch.assignee !== undefined && checkAssignee(db, p.workspaceId, patch.assignee),
      patch.parentId && checkParent(db, p.workspaceId, before.id, patch.parentId),
    ]);
    const now = Date.now();
    const after: IssueRow = {
      ...before,
      title: patch.title ?? before.title,
      body: patch.body ?? before.body,
      status: patch.status ?? before.status,
      priority: patch.priority ?? before.priority,
      labels: patch.labels ?? before.labels,
      position: patch.position ?? before.position,
      parentId: patch.parentId !== undefined ? patch.parentId : before.parentId,
      ...(patch.assignee !== undefined ? assigneeColumns(patch.assignee) : {}),
      ...(patch.repository !== undefined ? { repository: patch.repository?.source ?? null, baseRef: patch.repository?.baseRef ?? null } : {}),
    };
    const agentId = after.assigneeAgentId;
    const closing = patch.status === "done" || patch.status === "cancelled";
    const reason: RunReason | null =
      !agentId || after.status === "backlog" || closing ? null : agentId !== before.assigneeAgentId ? "assigned" : before.status === "backlog" ? "unblocked" : null;
    // A run already out for this agent answers the change: a second PATCH must not start another.
    const start = reason !== null && agentId !== null && !(await runInFlight(db, p.workspaceId, before.id, agentId, now));
    if (start) after.status = "in_progress";
    const set = changedColumns(before, after);
    // A move to another column without a position goes to its end.
    if (after.status !== before.status && patch.position === undefined) set.position = endOfColumn(p.workspaceId, after.status);
    const task = start && agentId ? await startAgentRun(c.env, after, agentId) : null;
    const rows = issueChanges(before, after, actor, now, patch.position !== undefined);
    if (task && reason) rows.push(runStarted(after, actor, { taskId: task.taskId, agentId: task.agentId, reason }, now));
    const prefix = await issuePrefix(c.env, p.workspaceId);
    if (Object.keys(set).length === 0 && rows.length === 0) return c.json({ issue: issueView(before, prefix), task: null });
    const stored = await writeChange(db, before, { ...set, updatedAt: now }, rows);
    const view = issueView(stored, prefix);
    announce(c, { issue: view, changes: patch, activities: rows });
    return c.json({ issue: view, task });
  })
  .post("/:issueId/assign", validateFields("json", AssignIssueBody), async (c) => {
    const { agentId, maxAttempts } = c.req.valid("json");
    const p = c.get("principal");
    const db = createDb(c.env.DB);
    const [run, actor] = await Promise.all([loadRunContext(c.env, p.workspaceId, c.req.param("issueId"), agentId), actorOf(db, p)]);
    const { agent, issue: before } = run;
    if (!agent) throw ApiError.notFound("agent", agentId);
    const now = Date.now();
    // In the backlog the assignment is recorded and waits for the issue to leave it.
    const backlog = before.status === "backlog";
    const after: IssueRow = { ...before, assigneeAgentId: agent.id, assigneeUserId: null, status: backlog ? "backlog" : "in_progress" };
    const task = backlog ? null : await startRun(c.env, p.workspaceId, { ...run, agent }, { maxAttempts });
    const set = changedColumns(before, after);
    if (after.status !== before.status) set.position = endOfColumn(p.workspaceId, after.status);
    const rows = issueChanges(before, after, actor, now, false);
    if (task) rows.push(runStarted(after, actor, { taskId: task.taskId, agentId: agent.id, reason: "assigned" }, now));
    if (rows.length > 0) {
      const stored = await writeChange(db, before, { ...set, updatedAt: now }, rows);
      announce(c, { issue: issueView(stored, run.prefix), activities: rows });
    }
    return c.json({ task }, task ? 201 : 200);
  });
