// Agent tokens in the Durable Object's store: minted per dispatch as a hash only, replaced on a
// re-dispatch, listed for D1 until flushed, and dropped only when the flushed hash is still current.
import { describe, expect, it } from "vitest";
import { AGENT_TOKEN_TTL_MS, agentTokenId, mintAgentToken } from "./agent-tokens";
import { sha256Hex } from "./sha256";
import { newAttempt } from "./task-machine";
import { TaskStore } from "./task-store";
import { createTestSqlStorage } from "./test-sql-storage";

const attempt = (n: number) => newAttempt({ taskId: "tsk_tok00001", issueId: "iss_tok00001", agentId: "agt_tok00001", runtimes: ["claude"], maxAttempts: 3 }, n, 1000);

describe("agent tokens in the task store", () => {
  it("keeps the secret's hash, never the secret, until the token is flushed", () => {
    const store = new TaskStore(createTestSqlStorage());
    expect(store.hasDirty()).toBe(false);
    const token = mintAgentToken(store, attempt(1), 5000);
    expect(token.secret).toMatch(/^mat_[0-9a-z]{40}$/);
    expect(token.expiresAt).toBe(5000 + AGENT_TOKEN_TTL_MS);
    const pending = store.pendingAgentTokens(10);
    expect(pending).toEqual([{ taskId: "tsk_tok00001", attempt: 1, issueId: "iss_tok00001", secretHash: sha256Hex(token.secret), createdAt: 5000, expiresAt: token.expiresAt }]);
    expect(JSON.stringify(pending)).not.toContain(token.secret);
    expect(store.hasDirty()).toBe(true);
    store.dropAgentTokens(pending);
    expect(store.pendingAgentTokens(10)).toEqual([]);
    expect(store.hasDirty()).toBe(false);
  });

  it("gives each attempt its own token, and a re-dispatch of one attempt a new one that replaces it", () => {
    const store = new TaskStore(createTestSqlStorage());
    const first = mintAgentToken(store, attempt(1), 1000);
    const second = mintAgentToken(store, attempt(2), 2000);
    expect(first.secret).not.toBe(second.secret);
    const read = store.pendingAgentTokens(10);
    expect(read.map((t) => t.attempt)).toEqual([1, 2]);
    // Attempt 1 goes out again (its runner vanished before it started) while the flush is in flight.
    const again = mintAgentToken(store, attempt(1), 3000);
    store.dropAgentTokens(read);
    expect(store.pendingAgentTokens(10)).toEqual([expect.objectContaining({ attempt: 1, secretHash: sha256Hex(again.secret), createdAt: 3000 })]);
  });

  it("names one D1 row per attempt", () => {
    expect(agentTokenId("tsk_abc123", 2)).toBe("tok_abc123a2");
    expect(agentTokenId("tsk_abc123", 2)).toBe(agentTokenId("tsk_abc123", 2));
    expect(agentTokenId("tsk_abc123", 3)).not.toBe(agentTokenId("tsk_abc123", 2));
  });
});
