/**
 * Bearer-token authentication and roles. A token's SHA-256 is looked up in D1; the principal (who,
 * which workspace, which kind of token, which role) is put on the context for routes. WebSocket
 * clients that cannot set headers may pass the token as `?token=`; the dashboard's session
 * cookie (routes/session.ts) is taken too, behind the cross-site checks of `checkCookieRequest`.
 *
 * Which token reaches which workspace (`requireWorkspace`):
 * - a personal access token (kind `member`) authenticates its USER: it is valid in every
 *   workspace that user is a member of, with the role of that membership, and nowhere else;
 * - runner tokens stay bound to their one workspace and never reach the workspace API;
 * - agent tokens stay bound to their one workspace and reach only what agent-scope.ts allows.
 */
import { and, eq, isNull, lt, or } from "drizzle-orm";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { Context } from "hono";
import { createDb, schema } from "../db/client";
import type { Env } from "../env";
import { ApiError } from "../errors";
import { authorizeAgentRequest } from "./agent-scope";

export type Role = "owner" | "admin" | "member";

export interface Principal {
  tokenId: string;
  userId: string;
  workspaceId: string;
  kind: "member" | "runner" | "agent";
  /** For member tokens: the user's role in `workspaceId`. */
  role?: Role;
  /** For agent tokens: the attempt and issue the token is scoped to. */
  scope?: { taskId: string; attempt: number; issueId: string };
}

export type AppEnv = { Bindings: Env; Variables: { principal: Principal; requestId: string } };

const RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };

/** `lastUsedAt` is written at most this often per token, to spare D1 a write per request. */
const LAST_USED_EVERY_MS = 60_000;

/** Hex SHA-256 of a token secret: what D1 stores instead of the secret. */
export async function hashToken(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The dashboard's session cookie: a session token's secret (HttpOnly, SameSite=Strict, Path=/api/). */
export const SESSION_COOKIE = "multica_session";

/** The request's token: the Authorization header, else `?token=`, else the session cookie. */
function credential(c: Context<AppEnv>): { secret: string; fromCookie: boolean } | null {
  const header = c.req.header("authorization");
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    return m?.[1] ? { secret: m[1], fromCookie: false } : null;
  }
  const query = new URL(c.req.url).searchParams.get("token");
  if (query) return { secret: query, fromCookie: false };
  const cookie = getCookie(c, SESSION_COOKIE);
  return cookie ? { secret: cookie, fromCookie: true } : null;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A cookie rides along on any request the browser makes, including ones another site starts.
 * SameSite=Strict already keeps it off cross-site requests; on top of that, a cookie-borne write or
 * WebSocket upgrade must come from this origin (browsers always send Origin on both), and a write
 * with a body must be JSON, which no cross-site form can send without a CORS preflight we never grant.
 */
export function checkCookieRequest(req: Request): void {
  const write = !SAFE_METHODS.has(req.method);
  if (!write && req.headers.get("upgrade") !== "websocket") return;
  const origin = req.headers.get("origin");
  if (origin !== new URL(req.url).origin) throw new ApiError(403, "forbidden", "cross-site request refused: a session cookie only works from the dashboard's own origin");
  const type = req.headers.get("content-type");
  if (write && type !== null && !/^application\/json\b/i.test(type)) throw new ApiError(415, "bad_request", "send JSON (content-type: application/json)");
}

const WHY_NOT: Record<Principal["kind"], string> = {
  runner: "runner tokens can only connect runners and fetch what runs need",
  agent: "agent tokens only reach their own issue while their run lives",
  member: "this endpoint needs a runner token",
};

/**
 * The live token of the request with the user's role in `workspaceId` (null: the token's own
 * workspace), in one query; 401 when missing, unknown, revoked or expired.
 */
async function authenticate(c: Context<AppEnv>, workspaceId: string | null) {
  const cred = credential(c);
  if (!cred) throw new ApiError(401, "unauthorized", "missing token: send 'Authorization: Bearer <token>' (or sign in to the dashboard)");
  if (cred.fromCookie) checkCookieRequest(c.req.raw);
  return authenticateSecret(c, cred.secret, workspaceId);
}

/** `authenticate` for a secret in hand (POST /session checks the token it is given). */
export async function authenticateSecret(c: Context<AppEnv>, secret: string, workspaceId: string | null) {
  if (secret.length > 200) throw new ApiError(401, "unauthorized", "invalid token");
  const db = createDb(c.env.DB);
  const t = schema.apiTokens;
  const [found] = await db
    .select({ token: t, role: schema.members.role })
    .from(t)
    .leftJoin(schema.members, and(eq(schema.members.userId, t.userId), eq(schema.members.workspaceId, workspaceId ?? t.workspaceId)))
    .where(and(eq(t.secretHash, await hashToken(secret)), isNull(t.revokedAt)))
    .limit(1);
  if (!found) throw new ApiError(401, "unauthorized", "invalid or revoked token");
  const now = Date.now();
  if (found.token.expiresAt !== null && found.token.expiresAt <= now) throw new ApiError(401, "unauthorized", "this token has expired");
  if (found.token.lastUsedAt === null || now - found.token.lastUsedAt >= LAST_USED_EVERY_MS) {
    // The condition makes concurrent requests write once; the write never delays or fails the request.
    const touched = db.update(t).set({ lastUsedAt: now })
      .where(and(eq(t.id, found.token.id), or(isNull(t.lastUsedAt), lt(t.lastUsedAt, now - LAST_USED_EVERY_MS))))
      .then(() => undefined, (err: unknown) => console.error(`[auth] lastUsedAt of ${found.token.id}: ${err instanceof Error ? err.message : String(err)}`));
    try {
      c.executionCtx.waitUntil(touched);
    } catch {
      // No execution context (unit tests): the promise still runs.
    }
  }
  return found;
}

function principalOf(token: typeof schema.apiTokens.$inferSelect, workspaceId: string, role: Role | null): Principal {
  const scope = token.kind === "agent" && token.taskId && token.attempt && token.issueId ? { scope: { taskId: token.taskId, attempt: token.attempt, issueId: token.issueId } } : {};
  return { tokenId: token.id, userId: token.userId, workspaceId, kind: token.kind, ...(role ? { role } : {}), ...scope };
}

/** Requires a valid, unrevoked, unexpired token of the given kind ("any": any kind), bound to its own workspace. */
export function requireToken(kind: Principal["kind"] | "any") {
  return createMiddleware<AppEnv>(async (c, next) => {
    const { token, role } = await authenticate(c, null);
    if (kind !== "any" && token.kind !== kind) throw new ApiError(403, "forbidden", WHY_NOT[token.kind]);
    c.set("principal", principalOf(token, token.workspaceId, token.kind === "member" ? role : null));
    await next();
  });
}

/**
 * For /workspaces/:workspaceId/*: a member token of a member of that workspace (with the role
 * there), or an agent token of that workspace limited to its allowlist; runner tokens are refused.
 */
export const requireWorkspace = createMiddleware<AppEnv>(async (c, next) => {
  const id = c.req.param("workspaceId") ?? "";
  const { token, role } = await authenticate(c, id);
  const foreign = new ApiError(403, "forbidden", `this token does not belong to workspace ${id}`);
  if (token.kind === "runner") throw new ApiError(403, "forbidden", WHY_NOT.runner);
  if (token.kind === "member") {
    if (!role) throw foreign;
    c.set("principal", principalOf(token, id, role));
    return next();
  }
  if (token.workspaceId !== id) throw foreign;
  const principal = principalOf(token, id, null);
  if (!principal.scope) throw new ApiError(403, "forbidden", "this agent token has no scope");
  c.set("principal", principal);
  const verify = await authorizeAgentRequest(c, principal.scope);
  await next();
  await verify?.(c);
});

/** Whether the principal is a member token with at least role `min`. */
export function hasRole(p: Principal, min: Role): boolean {
  return p.kind === "member" && p.role !== undefined && RANK[p.role] >= RANK[min];
}

/** Throws 403 unless the principal is a member token with at least role `min`. */
export function assertRole(p: Principal, min: Role, what = "this"): void {
  if (hasRole(p, min)) return;
  const you = p.kind === "member" ? `you are ${p.role ?? "not a member"}` : `this is a ${p.kind} token`;
  throw new ApiError(403, "forbidden", `${what} needs the ${min} role in the workspace (${you})`);
}

/** Route middleware: at least role `min` in the workspace (agent and runner tokens never pass). */
export function requireRole(min: Role) {
  return createMiddleware<AppEnv>(async (c, next) => {
    assertRole(c.get("principal"), min);
    await next();
  });
}

/** Route middleware: reads pass; writes (anything but GET/HEAD) need at least role `min`. */
export function requireRoleToWrite(min: Role) {
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") assertRole(c.get("principal"), min);
    await next();
  });
}
