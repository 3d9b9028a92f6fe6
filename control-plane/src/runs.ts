/**
 * Starting a run of an agent on an issue: what the assign and comment routes share. Reads what
 * the agent needs from D1 (the issue with its workspace's prefix, the agent, the latest
 * comments) in one batch, builds the task payload (prompt, repository, watchdog limits) and
 * enqueues it in the workspace Durable Object.
 */
import { and, desc, eq, sql } from "drizzle-orm";
import { type AssignComment, type AssignSkill, type AttemptView, MAX_ASSIGN_COMMENTS } from "@multica/shared";
import { createDb, schema } from "./db/client";
import { ApiError } from "./errors";
import type { Env } from "./env";
import { readConfig } from "./env";
import { taskPrompt } from "./prompts";
import { searchSkills } from "./skills/search";
import { agentSkillsForDispatch } from "./skills/store";
import { workspaceStub } from "./workspace/stub";
import type { EnqueueInput } from "./workspace/workspace";

type IssueRow = typeof schema.issues.$inferSelect;
type AgentRow = typeof schema.agents.$inferSelect;

/** Longest comment body sent along with an assignment; the rest is in the issue. */
const MAX_COMMENT_CHARS = 8000;

/** `ENG-42` from the workspace's prefix and the issue's number. */
export function issueKey(prefix: string, number: number): string {
  return `${prefix}-${number}`;
}

/** An issue row as the API shows it: with its key, its repository as one object, and its assignee as the API takes it. */
export function issueView(issue: IssueRow, prefix: string) {
  const { repository, baseRef, ...rest } = issue;
  const assignee = issue.assigneeAgentId ? { agentId: issue.assigneeAgentId } : issue.assigneeUserId ? { userId: issue.assigneeUserId } : null;
  return { ...rest, key: issueKey(prefix, issue.number), repository: repository ? { source: repository, baseRef } : null, assignee };
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

/** Everything a run needs from D1, read in one batch. */
export interface RunContext {
  issue: IssueRow;
  prefix: string;
  agent: AgentRow;
  /** The issue's latest comments, newest first. */
  recent: (typeof schema.comments.$inferSelect)[];
  /** The agent's enabled skills at the versions it runs with. */
  skills: (AssignSkill & { skillId: string })[];
  /** Whether the workspace has any skill to suggest. */
  hasSkills: boolean;
}

/** Skills suggested in a run's brief: the best matches for the issue text the agent does not have. */
const SUGGESTIONS = 3;

/**
 * Loads the issue (with its workspace's prefix), the agent and the latest comments at once:
 * assigning is on the dispatch path, and each D1 round trip adds to its latency.
 */
export async function loadRunContext(env: Env, workspaceId: string, issueId: string, agentId: string | null): Promise<Omit<RunContext, "agent"> & { agent: AgentRow | null }> {
  const db = createDb(env.DB);
  // Whether there are skills to send or suggest rides along as EXISTS columns, so a workspace
  // without skills pays no extra query on the dispatch path.
  const liveSkills = sql<number>`EXISTS (SELECT 1 FROM skills WHERE workspace_id = ${workspaceId} AND archived_at IS NULL)`;
  const attached = sql<number>`EXISTS (SELECT 1 FROM agent_skills WHERE agent_id = ${agentId ?? ""} AND enabled = 1)`;
  // One D1 batch: a single round trip for the three reads (each costs milliseconds on its own).
  const [[row], agents, recent] = await db.batch([
    db.select({ issue: schema.issues, prefix: schema.workspaces.issuePrefix, hasSkills: liveSkills }).from(schema.issues)
      .innerJoin(schema.workspaces, eq(schema.workspaces.id, schema.issues.workspaceId))
      .where(and(eq(schema.issues.id, issueId), eq(schema.issues.workspaceId, workspaceId))),
    db.select({ agent: schema.agents, attached }).from(schema.agents).where(and(eq(schema.agents.id, agentId ?? ""), eq(schema.agents.workspaceId, workspaceId))),
    db.select().from(schema.comments).where(eq(schema.comments.issueId, issueId)).orderBy(desc(schema.comments.createdAt)).limit(MAX_ASSIGN_COMMENTS),
  ]);
  if (!row) throw ApiError.notFound("issue", issueId);
  const found = agents[0] ?? null;
  const skills = found && Number(found.attached) === 1 ? await agentSkillsForDispatch(db, found.agent.id) : [];
  return { issue: row.issue, prefix: row.prefix, agent: found?.agent ?? null, recent, skills, hasSkills: Number(row.hasSkills) === 1 };
}

/** Puts a run in the workspace's queue; the Durable Object passes its own, the Worker's routes go through its stub. */
export type Enqueue = (input: EnqueueInput) => Promise<AttemptView>;

export interface RunOptions {
  maxAttempts?: number;
  followUp?: AssignComment[];
  /** Default: the workspace Durable Object's `enqueue` RPC. */
  enqueue?: Enqueue;
}

/** Enqueues a run; `followUp` makes it a follow-up that answers these comments. */
export async function startRun(
  env: Env,
  workspaceId: string,
  { issue, prefix, agent, recent, skills, hasSkills }: RunContext,
  opts: RunOptions = {},
): Promise<AttemptView> {
  const followIds = new Set((opts.followUp ?? []).map((c) => `${c.author}@${c.createdAt}`));
  const comments: AssignComment[] = [...recent].reverse().map((c) => ({ author: c.author, body: c.body.slice(0, MAX_COMMENT_CHARS), createdAt: c.createdAt }));
  // The follow-up's own comments are the new part of its prompt, not the discussion before it.
  const before = comments.filter((c) => !followIds.has(`${c.author}@${c.createdAt}`));
  const key = issueKey(prefix, issue.number);
  const repoSource = issue.repository ?? agent.repository;
  const repository = repoSource ? { source: repoSource, baseRef: issue.repository ? issue.baseRef : agent.baseRef } : null;
  const seconds = (s: number | null) => (s === null ? null : s * 1000);
  const db = createDb(env.DB);
  const attached = new Set(skills.map((s) => s.skillId));
  const suggested = hasSkills
    ? (await searchSkills(db, workspaceId, `${issue.title}\n${issue.body}`, SUGGESTIONS + attached.size)).filter((h) => !attached.has(h.skillId)).slice(0, SUGGESTIONS)
    : [];
  const enqueue: Enqueue = opts.enqueue ?? ((input) => workspaceStub(env, workspaceId).enqueue(workspaceId, input));
  const task = await enqueue({
    issueId: issue.id,
    agentId: agent.id,
    runtimes: agent.runtimes,
    maxAttempts: opts.maxAttempts ?? readConfig(env).maxAttempts,
    payload: {
      issue: { id: issue.id, key, title: issue.title, body: issue.body, comments },
      agent: {
        id: agent.id, name: agent.name, instructions: agent.instructions,
        ...(agent.model ? { model: agent.model } : {}),
        ...(agent.extraArgs && agent.extraArgs.length > 0 ? { extraArgs: agent.extraArgs } : {}),
        ...(agent.env && Object.keys(agent.env).length > 0 ? { env: agent.env } : {}),
      },
      prompt: taskPrompt({ key, title: issue.title, body: issue.body }, agent.instructions, before, suggested),
      repository,
      limits: { idleTimeoutMs: seconds(agent.idleTimeoutSeconds), timeoutMs: seconds(agent.timeoutSeconds) },
      maxConcurrent: agent.maxConcurrentTasks,
      runnerIds: agent.runnerIds,
      canClose: agent.canClose,
      followUp: opts.followUp ? { comments: opts.followUp } : null,
      skills: skills.map(({ name, version, hash }) => ({ name, version, hash })),
    },
  });
  // Follow-ups that joined a waiting run return that run: its skills are recorded already.
  if (skills.length > 0) {
    await db.insert(schema.taskSkills).values(skills.map((s) => ({ taskId: task.taskId, skillId: s.skillId, version: s.version }))).onConflictDoNothing();
  }
  return task;
}
