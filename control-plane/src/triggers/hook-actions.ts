/**
 * What an inbound webhook delivery does to the board once it is verified (routes/hooks.ts):
 * open an issue (assigned to an agent, whose run then starts) or comment on the issue opened
 * earlier for a GitHub URL. Issues are created by `system`, like any change no member made.
 */
import type { Context } from "hono";
import { and, desc, eq, isNotNull, sql } from "drizzle-orm";
import { IssueLabels, newId } from "@multica/shared";
import { type createDb, schema } from "../db/client";
import type { AppEnv } from "../middleware/auth";
import { issuePrefix, issueView } from "../runs";
import { newActivity, runStarted } from "../board/activity";
import { announce, startAgentRun } from "../board/agent-runs";
import { endOfColumn } from "../board/issue-rules";
import type { NamedAgent } from "../board/mentions";
import { postComment } from "../board/post-comment";

type Db = ReturnType<typeof createDb>;

const ACTOR = "system";
const MAX_TITLE = 300;
const MAX_BODY = 100_000;

export interface HookIssue {
  title: string;
  body: string;
  labels: string[];
  agentId: string | null;
}

/** The workspace's agents by name, for GitHub @mentions and assignments. */
export function workspaceAgents(db: Db, workspaceId: string): Promise<NamedAgent[]> {
  return db.select({ id: schema.agents.id, name: schema.agents.name }).from(schema.agents).where(eq(schema.agents.workspaceId, workspaceId));
}

/** Creates the issue and, when an agent is assigned, starts its run; returns the issue id and the task. */
export async function createHookIssue(c: Context<AppEnv>, db: Db, workspaceId: string, input: HookIssue) {
  const title = input.title.trim().slice(0, MAX_TITLE) || "Untitled webhook delivery";
  const labels = IssueLabels.safeParse(input.labels);
  const now = Date.now();
  const status: (typeof schema.issues.$inferSelect)["status"] = input.agentId ? "in_progress" : "todo";
  const nextNumber = sql<number>`(SELECT coalesce(max(${schema.issues.number}), 0) + 1 FROM ${schema.issues} WHERE ${schema.issues.workspaceId} = ${workspaceId})`;
  const row = {
    id: newId("issue"), workspaceId, number: nextNumber, title, body: input.body.slice(0, MAX_BODY), status, priority: "none" as const,
    assigneeAgentId: input.agentId, assigneeUserId: null, parentId: null, labels: labels.success ? labels.data : [],
    position: endOfColumn(workspaceId, status), repository: null, baseRef: null, createdBy: ACTOR, createdAt: now, updatedAt: now,
  };
  const created = newActivity(row, ACTOR, "created", { status, priority: "none", assignee: input.agentId ? `agent:${input.agentId}` : null, parentId: null, labels: row.labels }, now);
  const [[issue]] = await db.batch([db.insert(schema.issues).values(row).returning(), db.insert(schema.activities).values(created)]);
  if (!issue) throw new Error("the issue was not stored");
  // Enqueued in the Durable Object and answered at once: the hook never waits on the agent.
  const task = input.agentId ? await startAgentRun(c.env, issue, input.agentId) : null;
  const started = task ? runStarted(issue, ACTOR, { taskId: task.taskId, agentId: task.agentId, reason: "assigned" }, now) : null;
  if (started) await db.insert(schema.activities).values(started);
  announce(c, { issue: issueView(issue, await issuePrefix(c.env, workspaceId)), activities: started ? [created, started] : [created] }, workspaceId);
  return { issueId: issue.id, task };
}

/** The Multica issue an earlier delivery of this workspace opened for `url`, if any. */
export async function issueForUrl(db: Db, workspaceId: string, url: string) {
  const d = schema.webhookDeliveries;
  const [row] = await db.select({ issue: schema.issues }).from(d)
    .innerJoin(schema.issues, eq(schema.issues.id, d.issueId))
    .where(and(eq(d.workspaceId, workspaceId), eq(d.url, url), eq(d.status, "accepted"), isNotNull(d.issueId)))
    .orderBy(desc(d.receivedAt)).limit(1);
  return row?.issue ?? null;
}

/** Adds a GitHub comment to its issue; its @mentions start runs as a board comment's would. */
export async function commentFromHook(c: Context<AppEnv>, db: Db, issue: typeof schema.issues.$inferSelect, body: string, agents: NamedAgent[]) {
  const { comment, runs } = await postComment(c, db, { issue, actor: ACTOR, body, parentId: null, taskId: null, agents });
  return { commentId: comment.id, runs: runs.map((r) => ({ agentId: r.agentId, taskId: r.task.taskId })) };
}
