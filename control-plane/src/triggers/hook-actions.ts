/**
 * What an inbound webhook delivery does to the board once it is verified (routes/hooks.ts):
 * open an issue (assigned to an agent, whose run then starts) or comment on the issue opened
 * earlier for a GitHub URL. Issues are created by `system`, like any change no member made.
 */
import type { Context } from "hono";
import { and, desc, eq, isNotNull } from "drizzle-orm";
import { type BoardEvent, IssueLabels } from "@multica/shared";
import { type createDb, schema } from "../db/client";
import { publish } from "../live";
import type { AppEnv } from "../middleware/auth";
import type { NamedAgent } from "../board/mentions";
import { openIssue } from "../board/open-issue";
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
  const labels = IssueLabels.safeParse(input.labels);
  const sink = { env: c.env, db, publish: (events: BoardEvent[]) => events.forEach((e) => publish(c, e, workspaceId)) };
  const { issue, task, runError } = await openIssue(sink, {
    workspaceId, title: input.title.trim().slice(0, MAX_TITLE) || "Untitled webhook delivery", body: input.body.slice(0, MAX_BODY),
    labels: labels.success ? labels.data : [], agentId: input.agentId, actor: ACTOR,
  });
  // Enqueued in the Durable Object and answered at once: the hook never waits on the agent.
  if (runError) throw runError;
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
