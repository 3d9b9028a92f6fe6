/**
 * Starting a run of an agent on an issue: what the assign and comment routes share. Reads what
 * the agent needs from D1 (the workspace's issue prefix, the latest comments), builds the task
 * payload (prompt, repository, watchdog limits) and enqueues it in the workspace Durable Object.
 */
import { and, desc, eq } from "drizzle-orm";
import { type AssignComment, type AttemptView, MAX_ASSIGN_COMMENTS } from "@multica/shared";
import { createDb, schema } from "./db/client";
import type { Env } from "./env";
import { readConfig } from "./env";
import { taskPrompt } from "./prompts";
import { workspaceStub } from "./workspace/stub";

type IssueRow = typeof schema.issues.$inferSelect;
type AgentRow = typeof schema.agents.$inferSelect;

/** Longest comment body sent along with an assignment; the rest is in the issue. */
const MAX_COMMENT_CHARS = 8000;

/** `ENG-42` from the workspace's prefix and the issue's number. */
export function issueKey(prefix: string, number: number): string {
  return `${prefix}-${number}`;
}

/** An issue row as the API shows it: with its key and its repository as one object. */
export function issueView(issue: IssueRow, prefix: string) {
  const { repository, baseRef, ...rest } = issue;
  return { ...rest, key: issueKey(prefix, issue.number), repository: repository ? { source: repository, baseRef } : null };
}

/** An agent row as the API shows it. */
export function agentView(agent: AgentRow) {
  const { repository, baseRef, ...rest } = agent;
  return { ...rest, repository: repository ? { source: repository, baseRef } : null };
}

export async function issuePrefix(env: Env, workspaceId: string): Promise<string> {
  const [ws] = await createDb(env.DB).select({ p: schema.workspaces.issuePrefix }).from(schema.workspaces).where(eq(schema.workspaces.id, workspaceId));
  return ws?.p ?? "MUL";
}

/** Enqueues a run; `followUp` makes it a follow-up that answers these comments. */
export async function startRun(
  env: Env,
  workspaceId: string,
  issue: IssueRow,
  agent: AgentRow,
  opts: { maxAttempts?: number; followUp?: AssignComment[] } = {},
): Promise<AttemptView> {
  const db = createDb(env.DB);
  const [prefix, recent] = await Promise.all([
    issuePrefix(env, workspaceId),
    db.select().from(schema.comments).where(and(eq(schema.comments.issueId, issue.id))).orderBy(desc(schema.comments.createdAt)).limit(MAX_ASSIGN_COMMENTS),
  ]);
  const followIds = new Set((opts.followUp ?? []).map((c) => `${c.author}@${c.createdAt}`));
  const comments: AssignComment[] = recent.reverse().map((c) => ({ author: c.author, body: c.body.slice(0, MAX_COMMENT_CHARS), createdAt: c.createdAt }));
  // The follow-up's own comments are the new part of its prompt, not the discussion before it.
  const before = comments.filter((c) => !followIds.has(`${c.author}@${c.createdAt}`));
  const key = issueKey(prefix, issue.number);
  const repoSource = issue.repository ?? agent.repository;
  const repository = repoSource ? { source: repoSource, baseRef: issue.repository ? issue.baseRef : agent.baseRef } : null;
  const seconds = (s: number | null) => (s === null ? null : s * 1000);
  return workspaceStub(env, workspaceId).enqueue(workspaceId, {
    issueId: issue.id,
    agentId: agent.id,
    runtimes: agent.runtimes,
    maxAttempts: opts.maxAttempts ?? readConfig(env).maxAttempts,
    payload: {
      issue: { id: issue.id, key, title: issue.title, body: issue.body, comments },
      agent: { id: agent.id, name: agent.name, instructions: agent.instructions },
      prompt: taskPrompt({ key, title: issue.title, body: issue.body }, agent.instructions, before),
      repository,
      limits: { idleTimeoutMs: seconds(agent.idleTimeoutSeconds), timeoutMs: seconds(agent.timeoutSeconds) },
      maxConcurrent: agent.maxConcurrentTasks,
      followUp: opts.followUp ? { comments: opts.followUp } : null,
    },
  });
}
