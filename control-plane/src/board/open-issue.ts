/**
 * Opening an issue that no request asked for: what inbound webhooks (triggers/hook-actions.ts, in
 * the Worker) and schedules (triggers/schedule-runner.ts, inside the workspace Durable Object)
 * share. Writes the issue and its `created` activity in one D1 batch, together with whatever rows
 * the caller must write atomically with it; starts the assigned agent's run; and hands the board
 * events to the caller, who knows how to reach the boards from where it runs.
 */
import type { AttemptView, BoardEvent, IssuePriority } from "@multica/shared";
import type { BatchItem } from "drizzle-orm/batch";
import { sql } from "drizzle-orm";
import { newId } from "@multica/shared";
import { type Db, schema } from "../db/client";
import type { Env } from "../env";
import { type Enqueue, issuePrefix, issueView } from "../runs";
import { newActivity, runStarted, type ActivityRow } from "./activity";
import { boardEvents, startAgentRun } from "./agent-runs";
import { endOfColumn } from "./issue-rules";

type IssueRow = typeof schema.issues.$inferSelect;

export interface NewIssue {
  workspaceId: string;
  /** Default: a fresh id. Callers that write rows naming the issue in the same batch pass one. */
  id?: string;
  title: string;
  body: string;
  priority?: IssuePriority;
  labels: string[];
  agentId: string | null;
  /** Who opened it, as the activity log writes it (`system` for webhooks and schedules). */
  actor: string;
  /** Where it came from, kept in the `created` activity (e.g. the schedule and its run). */
  origin?: Record<string, unknown>;
}

/** Where the issue goes: the bindings and D1, the boards, and the queue (default: the Durable Object's RPC). */
export interface IssueSink {
  env: Env;
  db: Db;
  publish(events: BoardEvent[]): void;
  enqueue?: Enqueue;
}

export interface OpenedIssue {
  issue: IssueRow;
  task: AttemptView | null;
  /** Why the agent's run did not start (the issue is stored all the same); null when it did or none was asked. */
  runError: unknown;
}

/**
 * Stores the issue (in progress when an agent is assigned, else todo) with `alongside` in one
 * batch, so a unique index among those rows can refuse the whole write; then starts the run.
 * Throws only when the batch fails: nothing was written then.
 */
export async function openIssue(sink: IssueSink, input: NewIssue, alongside: BatchItem<"sqlite">[] = []): Promise<OpenedIssue> {
  const { workspaceId, agentId, actor } = input;
  const { db } = sink;
  const now = Date.now();
  const status: IssueRow["status"] = agentId ? "in_progress" : "todo";
  const priority = input.priority ?? "none";
  // The number and the position are taken inside the INSERT: two issues opened at once never share one.
  const nextNumber = sql<number>`(SELECT coalesce(max(${schema.issues.number}), 0) + 1 FROM ${schema.issues} WHERE ${schema.issues.workspaceId} = ${workspaceId})`;
  const row = {
    id: input.id ?? newId("issue"), workspaceId, number: nextNumber, title: input.title, body: input.body, status, priority,
    assigneeAgentId: agentId, assigneeUserId: null, parentId: null, labels: input.labels,
    position: endOfColumn(workspaceId, status), repository: null, baseRef: null, createdBy: actor, createdAt: now, updatedAt: now,
  };
  const data = { status, priority, assignee: agentId ? `agent:${agentId}` : null, parentId: null, labels: input.labels, ...input.origin };
  const created = newActivity(row, actor, "created", data, now);
  const [[issue]] = await db.batch([db.insert(schema.issues).values(row).returning(), db.insert(schema.activities).values(created), ...alongside]);
  if (!issue) throw new Error("the issue was not stored");

  const activities: ActivityRow[] = [created];
  let task: AttemptView | null = null;
  let runError: unknown = null;
  if (agentId) {
    try {
      task = await startAgentRun(sink.env, issue, agentId, sink.enqueue ? { enqueue: sink.enqueue } : {});
    } catch (err) {
      runError = err;
    }
  }
  if (task) {
    const started = runStarted(issue, actor, { taskId: task.taskId, agentId: task.agentId, reason: "assigned" }, now);
    await db.insert(schema.activities).values(started);
    activities.push(started);
  }
  sink.publish(boardEvents({ issue: issueView(issue, await issuePrefix(sink.env, workspaceId)), activities }));
  return { issue, task, runError };
}
