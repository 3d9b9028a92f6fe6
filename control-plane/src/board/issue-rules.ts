/**
 * The board's rules about issues that need D1: an issue, assignee or parent must belong to the
 * workspace; sub-issues never form a cycle; a new place in a column is after its last issue; and
 * whether an agent already has a run on an issue, so a status change never starts a second one.
 * Used by routes/issues.ts and routes/comments.ts.
 */
import type { IssueAssignee } from "@multica/shared";
import { and, eq, sql, type SQL } from "drizzle-orm";
import { type Db, schema } from "../db/client";
import { ApiError } from "../errors";
import { missingRef } from "./validate-fields";

type IssueRow = typeof schema.issues.$inferSelect;

/** How long a started run may be missing from D1's mirror before it no longer counts as in flight. */
const MIRROR_GRACE_MS = 60_000;

/** Deepest chain of parents followed when looking for a cycle; deeper trees are not walked further. */
const MAX_DEPTH = 64;

export async function requireIssue(db: Db, workspaceId: string, id: string): Promise<IssueRow> {
  const [issue] = await db.select().from(schema.issues).where(and(eq(schema.issues.id, id), eq(schema.issues.workspaceId, workspaceId)));
  if (!issue) throw ApiError.notFound("issue", id);
  return issue;
}

/** The assignee must be an agent or a member of this workspace (404 naming the field otherwise). */
export async function checkAssignee(db: Db, workspaceId: string, assignee: IssueAssignee): Promise<void> {
  if (!assignee) return;
  if ("agentId" in assignee) {
    const [agent] = await db.select({ id: schema.agents.id }).from(schema.agents).where(and(eq(schema.agents.id, assignee.agentId), eq(schema.agents.workspaceId, workspaceId)));
    if (!agent) throw missingRef("assignee.agentId", "agent", assignee.agentId);
    return;
  }
  const [member] = await db.select({ id: schema.members.userId }).from(schema.members).where(and(eq(schema.members.userId, assignee.userId), eq(schema.members.workspaceId, workspaceId)));
  if (!member) throw missingRef("assignee.userId", "member", assignee.userId);
}

/**
 * `parentId` must name an issue of this workspace that is not `issueId` itself nor one of its
 * sub-issues (at any depth): one recursive query walks the new parent's ancestors.
 */
export async function checkParent(db: Db, workspaceId: string, issueId: string | null, parentId: string): Promise<void> {
  const chain = await db.all<{ id: string }>(sql`
    WITH RECURSIVE up(id, parent_id, depth) AS (
      SELECT id, parent_id, 0 FROM issues WHERE id = ${parentId} AND workspace_id = ${workspaceId}
      UNION ALL
      SELECT i.id, i.parent_id, up.depth + 1 FROM issues i JOIN up ON i.id = up.parent_id
      WHERE i.workspace_id = ${workspaceId} AND up.depth < ${MAX_DEPTH}
    )
    SELECT id FROM up`);
  if (chain.length === 0) throw missingRef("parentId", "issue", parentId);
  if (issueId !== null && chain.some((r) => r.id === issueId)) {
    const message = parentId === issueId ? "an issue cannot be its own parent" : `issue ${parentId} is a sub-issue of this issue: that would make a cycle`;
    throw new ApiError(400, "bad_request", `invalid json: parentId: ${message}`, [{ path: "parentId", message }]);
  }
}

/** The position after the last issue of a column, computed inside the write (one statement, no race with a read). */
export function endOfColumn(workspaceId: string, status: IssueRow["status"]): SQL<number> {
  return sql<number>`(SELECT coalesce(max(${schema.issues.position}), 0) + 1 FROM ${schema.issues} WHERE ${schema.issues.workspaceId} = ${workspaceId} AND ${schema.issues.status} = ${status})`;
}

/**
 * Whether `agentId` has a run on the issue that is not over: an attempt queued, dispatched or
 * running in D1's mirror of the tasks, or a run this API started whose task the mirror has not
 * written yet (it lags the Durable Object by a fraction of a second; the `run_started` activity
 * is written as the run starts; one the mirror still lacks after a minute no longer counts).
 */
export async function runInFlight(db: Db, workspaceId: string, issueId: string, agentId: string, now: number): Promise<boolean> {
  const [row] = await db.all<{ busy: number }>(sql`
    SELECT EXISTS (
      SELECT 1 FROM tasks WHERE workspace_id = ${workspaceId} AND issue_id = ${issueId} AND agent_id = ${agentId}
        AND status IN ('queued', 'dispatched', 'running')
    ) OR EXISTS (
      SELECT 1 FROM activities a WHERE a.issue_id = ${issueId} AND a.kind = 'run_started' AND json_extract(a.data, '$.agentId') = ${agentId}
        AND a.created_at > ${now - MIRROR_GRACE_MS} AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = json_extract(a.data, '$.taskId'))
    ) AS busy`);
  return Number(row?.busy ?? 0) === 1;
}
