/**
 * Agent tokens: every dispatched attempt gets its own bearer secret (kind `agent`), sent to the
 * runner in `task.assign` and handed to the agent's Multica MCP server, so the agent can read and
 * comment on its issue while it runs. buildAssign (follow-up.ts) mints one per dispatch: the DO
 * keeps only the secret's SHA-256 (TaskStore `agent_tokens`) until d1-sync writes it to D1
 * `api_tokens`; d1-sync revokes it when the attempt ends. The secret itself is never stored.
 *
 * In D1 an agent token belongs to the workspace's owner (the earliest owner, else the earliest
 * member): `api_tokens.user_id` must name a user, and what the token may do is decided by its
 * kind and scope (task, attempt, issue), not by that user.
 */
import { randomString } from "@multica/shared";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type Db, schema } from "../db/client";
import { sha256Hex } from "./sha256";
import type { AttemptState } from "./task-machine";
import type { PendingAgentToken, TaskStore } from "./task-store";

export const AGENT_TOKEN_PREFIX = "mat_";
/**
 * A safety bound only: the token is revoked when its attempt ends, which is much sooner. It
 * covers an attempt whose end never reaches D1 (the object lost its storage).
 */
export const AGENT_TOKEN_TTL_MS = 24 * 60 * 60_000;
/** Pending tokens written per flush. */
const FLUSH_LIMIT = 200;

/**
 * Mints the token of attempt `s`, just dispatched: the hash is stored for d1-sync, the secret
 * goes to the caller (the assign frame) only. A re-dispatch of the same attempt replaces it.
 */
export function mintAgentToken(store: TaskStore, s: AttemptState, now: number): { secret: string; expiresAt: number } {
  const secret = `${AGENT_TOKEN_PREFIX}${randomString(40)}`;
  const expiresAt = now + AGENT_TOKEN_TTL_MS;
  store.putAgentToken({ taskId: s.taskId, attempt: s.attempt, issueId: s.issueId, secretHash: sha256Hex(secret), createdAt: now, expiresAt });
  return { secret, expiresAt };
}

/** The D1 id of an attempt's token: one row per attempt, so retried flushes and re-dispatches update it. */
export function agentTokenId(taskId: string, attempt: number): string {
  return `tok_${taskId.slice(taskId.indexOf("_") + 1)}a${attempt}`;
}

/**
 * Statements that write the pending tokens to D1, and the tokens they write (to drop from the
 * store once the batch succeeded). A token whose attempt already ended is written revoked. Reads
 * the workspace's owner first (one indexed query, only when tokens are pending).
 */
export async function pendingTokenStatements(db: Db, store: TaskStore, workspaceId: string): Promise<{ statements: BatchItem<"sqlite">[]; flushed: PendingAgentToken[] }> {
  const flushed = store.pendingAgentTokens(FLUSH_LIMIT);
  if (flushed.length === 0) return { statements: [], flushed };
  const [owner] = await db
    .select({ userId: schema.members.userId })
    .from(schema.members)
    .where(eq(schema.members.workspaceId, workspaceId))
    .orderBy(sql`${schema.members.role} = 'owner' DESC`, asc(schema.members.createdAt))
    .limit(1);
  if (!owner) {
    // Cannot happen for a bootstrapped workspace; the tokens are dropped and refused, not retried forever.
    console.error(`[agent-tokens] workspace ${workspaceId} has no member to own agent tokens; ${flushed.length} token(s) not stored`);
    store.dropAgentTokens(flushed);
    return { statements: [], flushed: [] };
  }
  const statements = flushed.map((t) => {
    const row = {
      id: agentTokenId(t.taskId, t.attempt), workspaceId, userId: owner.userId, kind: "agent" as const, name: `agent run ${t.taskId}/${t.attempt}`,
      secretHash: t.secretHash, createdAt: t.createdAt, expiresAt: t.expiresAt, taskId: t.taskId, attempt: t.attempt, issueId: t.issueId,
      revokedAt: store.getAttempt(t.taskId, t.attempt)?.endedAt ?? null,
    };
    const { secretHash, createdAt, expiresAt, revokedAt } = row;
    return db.insert(schema.apiTokens).values(row).onConflictDoUpdate({ target: schema.apiTokens.id, set: { secretHash, createdAt, expiresAt, revokedAt } });
  });
  return { statements, flushed };
}

/** Revokes the token of an attempt that ended (by primary key; a no-op when none was written). */
export function revokeTokenStatement(db: Db, a: Pick<AttemptState, "taskId" | "attempt" | "endedAt">, now: number): BatchItem<"sqlite"> {
  return db
    .update(schema.apiTokens)
    .set({ revokedAt: a.endedAt ?? now })
    .where(and(eq(schema.apiTokens.id, agentTokenId(a.taskId, a.attempt)), isNull(schema.apiTokens.revokedAt)));
}
