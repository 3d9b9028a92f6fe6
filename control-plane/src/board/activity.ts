/**
 * The issue activity log: who did what to an issue, in order. Routes build the rows for a change
 * with `issueChanges` and write them in the same D1 batch as the change itself; `actorOf` names
 * who acted (`user:<id>`, `agent:<id>` or `system`). Read by `GET /issues/:id/activity`.
 */
import { randomString } from "@multica/shared";
import { and, eq } from "drizzle-orm";
import { type Db, schema } from "../db/client";
import type { Principal } from "../middleware/auth";

type IssueRow = typeof schema.issues.$inferSelect;
export type ActivityRow = typeof schema.activities.$inferSelect;

export type ActivityKind =
  | "created"
  | "title_changed"
  | "body_changed"
  | "status_changed"
  | "priority_changed"
  | "assigned"
  | "labels_changed"
  | "parent_changed"
  | "position_changed"
  | "repository_changed"
  | "commented"
  | "run_started"
  | "run_ended"
  /** On the issue of the run that made a schedule pause itself (triggers/schedule-outcomes.ts). */
  | "schedule_paused";

/** Why a run was started: an assignment, an issue leaving the backlog, a comment to the assignee, a mention. */
export type RunReason = "assigned" | "unblocked" | "follow_up" | "mention";

export function newActivity(issue: Pick<IssueRow, "id" | "workspaceId">, actor: string, kind: ActivityKind, data: Record<string, unknown>, now: number): ActivityRow {
  return { id: `act_${randomString(20)}`, workspaceId: issue.workspaceId, issueId: issue.id, actor, kind, data, createdAt: now };
}

/** `agent:<id>`, `user:<id>` or null: an issue's assignee as the activity log writes it. */
export function assigneeRef(issue: Pick<IssueRow, "assigneeAgentId" | "assigneeUserId">): string | null {
  if (issue.assigneeAgentId) return `agent:${issue.assigneeAgentId}`;
  return issue.assigneeUserId ? `user:${issue.assigneeUserId}` : null;
}

function repositoryRef(issue: IssueRow): { source: string; baseRef: string | null } | null {
  return issue.repository ? { source: issue.repository, baseRef: issue.baseRef } : null;
}

/**
 * The activity of one change, field by field. A position is logged only when it was asked for
 * and the issue stayed in its column (a status change moves it to a new column's end anyway).
 * The body can be long: its log keeps lengths, not text.
 */
export function issueChanges(before: IssueRow, after: IssueRow, actor: string, now: number, explicitPosition: boolean): ActivityRow[] {
  const rows: ActivityRow[] = [];
  const add = (kind: ActivityKind, data: Record<string, unknown>) => rows.push(newActivity(after, actor, kind, data, now));
  if (before.title !== after.title) add("title_changed", { from: before.title, to: after.title });
  if (before.body !== after.body) add("body_changed", { fromLength: before.body.length, toLength: after.body.length });
  if (before.status !== after.status) add("status_changed", { from: before.status, to: after.status });
  if (before.priority !== after.priority) add("priority_changed", { from: before.priority, to: after.priority });
  if (assigneeRef(before) !== assigneeRef(after)) add("assigned", { from: assigneeRef(before), to: assigneeRef(after) });
  if (JSON.stringify(before.labels) !== JSON.stringify(after.labels)) {
    const had = new Set(before.labels);
    const has = new Set(after.labels);
    add("labels_changed", { from: before.labels, to: after.labels, added: after.labels.filter((l) => !had.has(l)), removed: before.labels.filter((l) => !has.has(l)) });
  }
  if (before.parentId !== after.parentId) add("parent_changed", { from: before.parentId, to: after.parentId });
  if (explicitPosition && before.status === after.status && before.position !== after.position) add("position_changed", { from: before.position, to: after.position });
  if (JSON.stringify(repositoryRef(before)) !== JSON.stringify(repositoryRef(after))) add("repository_changed", { from: repositoryRef(before), to: repositoryRef(after) });
  return rows;
}

/** A run's `run_started` row has an id made from the task's: logging the same run twice writes one row. */
export function runStarted(issue: Pick<IssueRow, "id" | "workspaceId">, actor: string, data: { taskId: string; agentId: string; reason: RunReason }, now: number): ActivityRow {
  return { ...newActivity(issue, actor, "run_started", data, now), id: `act_run_${data.taskId.slice(data.taskId.indexOf("_") + 1)}` };
}

/**
 * Inserts an activity row unless one with its id exists (a `run_started` of a comment that joined
 * a waiting follow-up: that run is no new run). Returns the id when a row was written.
 */
export function insertActivityOnce(db: Db, row: ActivityRow) {
  return db.insert(schema.activities).values(row).onConflictDoNothing().returning({ id: schema.activities.id });
}

/**
 * Who acts for a request: a member as `user:<id>`; an agent token as the agent of the run it was
 * minted for (`agent:<id>`, from that run's task row); anything else as `system`.
 */
export async function actorOf(db: Db, p: Principal): Promise<string> {
  if (p.kind === "member") return `user:${p.userId}`;
  if (p.kind === "agent" && p.scope) {
    const [task] = await db
      .select({ agentId: schema.tasks.agentId })
      .from(schema.tasks)
      .where(and(eq(schema.tasks.id, p.scope.taskId), eq(schema.tasks.workspaceId, p.workspaceId)))
      .limit(1);
    if (task) return `agent:${task.agentId}`;
  }
  return "system";
}

/** An activity row as the API shows it. */
export function activityView(a: ActivityRow) {
  return { id: a.id, issueId: a.issueId, actor: a.actor, kind: a.kind, data: a.data, createdAt: a.createdAt };
}
