/**
 * Bearer-token authentication. A token's SHA-256 is looked up in D1; the principal (who, which
 * workspace, which kind of token) is put on the context for routes. WebSocket clients that cannot
 * set headers (browsers) may pass the token as `?token=`.
 */
import { and, eq, isNull } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { createDb, schema } from "../db/client";
import type { Env } from "../env";
import { ApiError } from "../errors";

export interface Principal {
  tokenId: string;
  userId: string;
  workspaceId: string;
  kind: "member" | "runner" | "agent";
  /** For agent tokens: the attempt and issue the token is scoped to. */
  scope?: { taskId: string; attempt: number; issueId: string };
}

export type AppEnv = { Bindings: Env; Variables: { principal: Principal; requestId: string } };

/** Hex SHA-256 of a token secret: what D1 stores instead of the secret. */
export async function hashToken(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function bearer(req: Request): string | null {
  const header = req.headers.get("authorization");
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    return m?.[1] ?? null;
  }
  return new URL(req.url).searchParams.get("token");
}

/** Requires a valid, unrevoked token of the given kind ("any": either). */
export function requireToken(kind: Principal["kind"] | "any") {
  return createMiddleware<AppEnv>(async (c, next) => {
    const secret = bearer(c.req.raw);
    if (!secret) throw new ApiError(401, "unauthorized", "missing token: send 'Authorization: Bearer <token>'");
    if (secret.length > 200) throw new ApiError(401, "unauthorized", "invalid token");
    const db = createDb(c.env.DB);
    const [row] = await db
      .select()
      .from(schema.apiTokens)
      .where(and(eq(schema.apiTokens.secretHash, await hashToken(secret)), isNull(schema.apiTokens.revokedAt)))
      .limit(1);
    if (!row) throw new ApiError(401, "unauthorized", "invalid or revoked token");
    if (row.expiresAt !== null && row.expiresAt <= Date.now()) throw new ApiError(401, "unauthorized", "this token has expired");
    if (kind !== "any" && row.kind !== kind) {
      const why: Record<Principal["kind"], string> = {
        runner: "runner tokens can only connect runners and fetch what runs need",
        agent: "agent tokens only reach their own issue while their run lives",
        member: "this endpoint needs a runner token",
      };
      throw new ApiError(403, "forbidden", why[row.kind]);
    }
    const scope = row.kind === "agent" && row.taskId && row.attempt && row.issueId ? { scope: { taskId: row.taskId, attempt: row.attempt, issueId: row.issueId } } : {};
    c.set("principal", { tokenId: row.id, userId: row.userId, workspaceId: row.workspaceId, kind: row.kind, ...scope });
    await next();
  });
}

/** For /workspaces/:workspaceId/* routes: the token must belong to that workspace. */
export const requireWorkspace = createMiddleware<AppEnv>(async (c, next) => {
  const id = c.req.param("workspaceId");
  if (id !== c.get("principal").workspaceId) throw new ApiError(403, "forbidden", `this token does not belong to workspace ${id}`);
  await next();
});
