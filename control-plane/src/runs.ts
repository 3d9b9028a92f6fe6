/**
 * Starting a run of an agent on an issue: what the assign and comment routes share. Reads what
 * the agent needs from D1 (the issue with its workspace's prefix, the agent, the latest
 * comments) in one round, builds the task payload (prompt, repository, watchdog limits) and
 * enqueues it in the workspace Durable Object.
 */
import { and, desc, eq } from "drizzle-orm";
import { type AssignComment, type AttemptView, MAX_ASSIGN_COMMENTS } from "@multica/shared";
import { createDb, schema } from "./db/client";
import { ApiError } from "./errors";
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

/** Everything a run needs from D1, read in one round of parallel queries. */
export interface RunContext {
  issue: IssueRow;
  prefix: string;
  agent: AgentRow;
  /** The issue's latest comments, newest first. */
  recent: (typeof schema.comments.$inferSelect)[];
}

/**
 * Loads the issue (with its workspace's prefix), the agent and the latest comments at once:
 * assigning is on the dispatch path, and each D1 round trip adds to its latency.
 */
export async function loadRunContext(env: Env, workspaceId: string, issueId: string, agentId: string | null): Promise<Omit<RunContext, "agent"> & { agent: AgentRow | null }> {
  const db = createDb(env.DB);
  const [[row], agents, recent] = await Promise.all([
    db.select({ issue: schema.issues, prefix: schema.workspaces.issuePrefix }).from(schema.issues)
      .innerJoin(schema.workspaces, eq(schema.workspaces.id, schema.issues.workspaceId))
      .where(and(eq(schema.issues.id, issueId), eq(schema.issues.workspaceId, workspaceId))),
    agentId ? db.select().from(schema.agents).where(and(eq(schema.agents.id, agentId), eq(schema.agents.workspaceId, workspaceId))) : Promise.resolve([]),
    db.select().from(schema.comments).where(eq(schema.comments.issueId, issueId)).orderBy(desc(schema.comments.createdAt)).limit(MAX_ASSIGN_COMMENTS),
  ]);
  if (!row) throw ApiError.notFound("issue", issueId);
  return { issue: row.issue, prefix: row.prefix, agent: agents[0] ?? null, recent };
}

/** Enqueues a run; `followUp` makes it a follow-up that answers these comments. */
export async function startRun(
  env: Env,
  workspaceId: string,
  { issue, prefix, agent, recent }: RunContext,
  opts: { maxAttempts?: number; followUp?: AssignComment[] } = {},
): Promise<AttemptView> {
  const followIds = new Set((opts.followUp ?? []).map((c) => `${c.author}@${c.createdAt}`));
  const comments: AssignComment[] = [...recent].reverse().map((c) => ({ author: c.author, body: c.body.slice(0, MAX_COMMENT_CHARS), createdAt: c.createdAt }));
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
