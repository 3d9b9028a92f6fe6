/**
 * What an agent token (kind `agent`, minted per attempt, scoped to one issue) may do in the
 * workspace API: an explicit allowlist of (method, path) pairs, each checking the issue in the
 * path against the token's scope. Everything else is 403. requireWorkspace (auth.ts) runs it
 * before the route, so the routes themselves stay written for members.
 *
 * The allowlist (paths under /api/v1/workspaces/:workspaceId):
 * - GET  /issues/:id and GET /issues/:id/* (comments, activity…): its issue or a direct sub-issue
 * - GET  /issues?parent=<its issue>: its sub-issues (the answer is checked to hold only those)
 * - POST /issues/:id/comments: its issue only
 * - PATCH /issues/:id with only `status`: its issue only; in_progress, in_review or blocked, and
 *   done when its agent may close issues (`agents.can_close`)
 * - POST /issues with `parentId` = its issue and no `assignee`: a sub-issue (that starts no run)
 * - GET  /skills and GET /skills/*: search and read the workspace's skills
 */
import type { Context } from "hono";
import { and, eq, or } from "drizzle-orm";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import type { AppEnv, Principal } from "./auth";

type Scope = NonNullable<Principal["scope"]>;
/** Checks the route's answer once it ran (for answers the allowlist cannot predict). */
export type Verifier = (c: Context<AppEnv>) => Promise<void>;

const AGENT_STATUSES = new Set(["in_progress", "in_review", "blocked"]);
const ISSUE_ID = /^iss_[0-9a-z]{4,60}$/;

function deny(why: string): never {
  throw new ApiError(403, "forbidden", `agent tokens ${why}`);
}

/** Whether `issueId` is the scope's issue or a direct sub-issue of it, in the workspace. */
export async function issueInScope(c: Context<AppEnv>, scope: Scope, issueId: string): Promise<boolean> {
  if (issueId === scope.issueId) return true;
  if (!ISSUE_ID.test(issueId)) return false;
  const [row] = await createDb(c.env.DB).select({ id: schema.issues.id }).from(schema.issues)
    .where(and(eq(schema.issues.id, issueId), eq(schema.issues.workspaceId, c.get("principal").workspaceId), eq(schema.issues.parentId, scope.issueId)));
  return row !== undefined;
}

/**
 * For routes: members reach every issue of their workspace; an agent token only its issue and
 * its sub-issues (`own`: only its issue). 403 otherwise.
 */
export async function assertIssueAccess(c: Context<AppEnv>, issueId: string, own = false): Promise<void> {
  const p = c.get("principal");
  if (p.kind === "member") return;
  if (p.kind === "agent" && p.scope && (own ? issueId === p.scope.issueId : await issueInScope(c, p.scope, issueId))) return;
  deny(own ? "may only change their own issue" : "may only reach their own issue and its sub-issues");
}

async function jsonObject(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const body: unknown = await c.req.json().catch(() => null);
  if (typeof body !== "object" || body === null || Array.isArray(body)) deny("must send a JSON object here");
  return body as Record<string, unknown>;
}

/** Whether the agent of the token's attempt may set its issue to done. */
async function canClose(c: Context<AppEnv>, scope: Scope): Promise<boolean> {
  const [row] = await createDb(c.env.DB).select({ canClose: schema.agents.canClose }).from(schema.tasks)
    .innerJoin(schema.agents, eq(schema.agents.id, schema.tasks.agentId))
    .where(and(eq(schema.tasks.id, scope.taskId), eq(schema.tasks.attempt, scope.attempt), eq(schema.tasks.workspaceId, c.get("principal").workspaceId)));
  return row?.canClose === true;
}

/**
 * Throws 403 unless the request is on the allowlist for this scope; may return a check of the
 * answer to run after the route.
 */
export async function authorizeAgentRequest(c: Context<AppEnv>, scope: Scope): Promise<Verifier | null> {
  // The path below the workspace, as the router matched it (`/issues/iss_…/comments`).
  const path = /^\/api\/v1\/workspaces\/[^/]+(\/.*)?$/.exec(c.req.path)?.[1] ?? "/";
  const method = c.req.method;
  let m: RegExpExecArray | null;

  if (method === "GET" && /^\/skills(\/.*)?$/.test(path)) return null;

  if (method === "GET" && path === "/issues") {
    if (c.req.query("parent") !== scope.issueId) deny(`may only list the sub-issues of their issue (?parent=${scope.issueId})`);
    return async (ctx) => {
      if (!ctx.res.ok) return;
      const body = (await ctx.res.clone().json().catch(() => null)) as { issues?: { parentId?: unknown }[] } | null;
      if (!Array.isArray(body?.issues) || !body.issues.every((i) => i.parentId === scope.issueId)) deny("may only list the sub-issues of their issue");
    };
  }

  if (method === "GET" && (m = /^\/issues\/([^/]+)(\/.*)?$/.exec(path))) {
    if (!(await issueInScope(c, scope, m[1] ?? ""))) deny("may only read their own issue and its sub-issues");
    return null;
  }

  if (method === "POST" && (m = /^\/issues\/([^/]+)\/comments$/.exec(path))) {
    if (m[1] !== scope.issueId) deny("may only comment on their own issue");
    return null;
  }

  if (method === "PATCH" && (m = /^\/issues\/([^/]+)$/.exec(path))) {
    if (m[1] !== scope.issueId) deny("may only change their own issue");
    const body = await jsonObject(c);
    const keys = Object.keys(body);
    if (keys.length !== 1 || keys[0] !== "status") deny("may only change their issue's status");
    if (typeof body.status === "string" && AGENT_STATUSES.has(body.status)) return null;
    if (body.status === "done" && (await canClose(c, scope))) return null;
    deny("may set their issue to in_progress, in_review or blocked (done only when the agent may close issues)");
  }

  if (method === "POST" && path === "/issues") {
    const body = await jsonObject(c);
    if (body.parentId !== scope.issueId) deny(`may only create sub-issues of their issue (parentId: ${scope.issueId})`);
    if (body.assignee !== undefined && body.assignee !== null) deny("may not assign the sub-issues they create");
    return null;
  }

  return deny("only reach their own issue (read, comment, set status, add sub-issues) and read skills");
}
