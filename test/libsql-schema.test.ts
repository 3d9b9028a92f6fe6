/**
 * The D1 schema on @libsql/client: the wrangler migrations applied to a SQLite file, then the
 * drizzle schema from control-plane used to write and read every kind of row, and the unique and
 * primary-key constraints checked. Proves the same schema runs outside Workers.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, type Client } from "@libsql/client";
import type { SequencedEvent } from "@multica/shared";
import { and, asc, eq, getTableName, is } from "drizzle-orm";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as schema from "../control-plane/src/db/schema";

const MIGRATIONS = fileURLToPath(new URL("../control-plane/migrations/", import.meta.url));
const NOW = 1_700_000_000_000;

let dir: string;
let client: Client;
let db: LibSQLDatabase<typeof schema>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "multica-libsql-"));
  client = createClient({ url: `file:${join(dir, "d1.db")}` });
  const files = readdirSync(MIGRATIONS).filter((f) => f.endsWith(".sql")).sort();
  expect(files.length).toBeGreaterThan(0);
  for (const file of files) {
    const statements = readFileSync(join(MIGRATIONS, file), "utf8")
      .split("--> statement-breakpoint")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    for (const statement of statements) await client.execute(statement);
  }
  db = drizzle(client, { schema });

  await db.insert(schema.workspaces).values({ id: "ws_test0001", name: "Test", createdAt: NOW });
  await db.insert(schema.users).values({ id: "usr_test0001", name: "Ada", email: "ada@example.com", createdAt: NOW });
});

/** The SQLite error under drizzle's "Failed query" wrapper, for matching on the constraint hit. */
async function failure(query: PromiseLike<unknown>): Promise<string> {
  try {
    await query;
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : "";
    return `${String(e)} ${cause}`;
  }
  throw new Error("expected the query to fail");
}

afterAll(() => {
  client?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("D1 migrations on libSQL", () => {
  it("create every table and column the drizzle schema declares", async () => {
    const tables: SQLiteTable[] = Object.values(schema).filter((t) => is(t, SQLiteTable));
    expect(tables.length).toBeGreaterThanOrEqual(10);
    for (const table of tables) {
      const name = getTableName(table);
      const info = await client.execute({ sql: "SELECT name, \"notnull\" AS required FROM pragma_table_info(?)", args: [name] });
      const columns = Object.fromEntries(info.rows.map((r) => [String(r.name), Number(r.required) === 1]));
      const declared = getTableConfig(table).columns;
      expect(Object.keys(columns).sort(), name).toEqual(declared.map((c) => c.name).sort());
      for (const c of declared) {
        // Primary-key columns are NOT NULL in the schema but SQLite only reports it when spelled out.
        if (!c.primary) expect(columns[c.name], `${name}.${c.name}`).toBe(c.notNull);
      }
    }
  });

  it("stores and reads back a workspace, user and member", async () => {
    await db.insert(schema.members).values({ workspaceId: "ws_test0001", userId: "usr_test0001", role: "owner", createdAt: NOW });
    expect(await db.select().from(schema.workspaces)).toEqual([{ id: "ws_test0001", name: "Test", issuePrefix: "MUL", slug: null, createdAt: NOW }]);
    expect(await db.select().from(schema.users)).toEqual([{ id: "usr_test0001", name: "Ada", email: "ada@example.com", createdAt: NOW }]);
    expect(await db.select().from(schema.members)).toEqual([{ workspaceId: "ws_test0001", userId: "usr_test0001", role: "owner", createdAt: NOW }]);
    expect(await failure(db.insert(schema.members).values({ workspaceId: "ws_test0001", userId: "usr_test0001", role: "member", createdAt: NOW }))).toMatch(
      /UNIQUE constraint failed: members.workspace_id, members.user_id/,
    );
  });

  it("stores an API token and enforces one row per secret hash", async () => {
    const token = {
      id: "tok_test0001",
      workspaceId: "ws_test0001",
      userId: "usr_test0001",
      kind: "runner" as const,
      name: "laptop",
      secretHash: "a".repeat(64),
      createdAt: NOW,
      lastUsedAt: null,
      revokedAt: null,
      expiresAt: null,
      taskId: null,
      attempt: null,
      issueId: null,
    };
    await db.insert(schema.apiTokens).values(token);
    expect(await db.select().from(schema.apiTokens).where(eq(schema.apiTokens.secretHash, token.secretHash))).toEqual([token]);
    expect(await failure(db.insert(schema.apiTokens).values({ ...token, id: "tok_test0002", name: "copy" }))).toMatch(
      /UNIQUE constraint failed: api_tokens.secret_hash/,
    );
    await db.insert(schema.apiTokens).values({ ...token, id: "tok_test0003", secretHash: "b".repeat(64) });
    expect(await db.$count(schema.apiTokens)).toBe(2);
  });

  it("round-trips an agent's runtimes as a JSON array, in preference order", async () => {
    await db.insert(schema.agents).values({
      id: "agt_test0001",
      workspaceId: "ws_test0001",
      name: "fixer",
      instructions: "fix things",
      runtimes: ["codex", "claude", "command:lint"],
      maxConcurrentTasks: 2,
      createdAt: NOW,
    });
    const [agent] = await db.select().from(schema.agents).where(eq(schema.agents.id, "agt_test0001"));
    expect(agent?.runtimes).toEqual(["codex", "claude", "command:lint"]);
    const raw = await client.execute("SELECT runtimes FROM agents WHERE id = 'agt_test0001'");
    expect(raw.rows[0]?.runtimes).toBe('["codex","claude","command:lint"]');
  });

  it("stores an issue and a comment on it", async () => {
    const issue = {
      id: "iss_test0001",
      workspaceId: "ws_test0001",
      number: 1,
      title: "Fix the build",
      body: "It is red.",
      status: "todo" as const,
      assigneeAgentId: "agt_test0001",
      repository: null,
      baseRef: null,
      priority: "none" as const,
      assigneeUserId: null,
      parentId: null,
      labels: [],
      position: 0,
      createdBy: "user:usr_test0001",
      createdAt: NOW,
      updatedAt: NOW,
    };
    const comment = { id: "cmt_test0001", issueId: issue.id, author: "agent:agt_test0001", body: "Attempt 1 succeeded.", parentId: null, taskId: "tsk_test0001", createdAt: NOW + 1 };
    await db.insert(schema.issues).values(issue);
    await db.insert(schema.comments).values(comment);
    expect(await db.select().from(schema.issues)).toEqual([issue]);
    expect(await db.select().from(schema.comments).where(eq(schema.comments.issueId, issue.id))).toEqual([comment]);
  });

  it("keeps two attempts of one task apart, round-trips usage, and rejects a duplicate (task, attempt)", async () => {
    const attempt = (n: number, over: Partial<typeof schema.tasks.$inferInsert> = {}): typeof schema.tasks.$inferInsert => ({
      id: "tsk_test0001",
      attempt: n,
      workspaceId: "ws_test0001",
      issueId: "iss_test0001",
      agentId: "agt_test0001",
      runtime: "claude",
      status: "lost",
      runnerId: "rnr_test0001",
      queuedAt: NOW,
      dispatchedAt: NOW + 1,
      startedAt: NOW + 2,
      endedAt: NOW + 3,
      exitCode: null,
      signal: "SIGKILL",
      error: "lease expired",
      failureKind: "runner_lost",
      notBefore: null,
      sessionId: null,
      usage: null,
      lastSeq: 3,
      ...over,
    });
    const usage = { inputTokens: 1200, outputTokens: 340, costUsd: 0.0125 };
    await db.insert(schema.tasks).values(attempt(1));
    await db.insert(schema.tasks).values(attempt(2, { status: "succeeded", exitCode: 0, signal: null, error: null, sessionId: "sess-1", usage }));

    const rows = await db.select().from(schema.tasks).where(eq(schema.tasks.id, "tsk_test0001")).orderBy(asc(schema.tasks.attempt));
    expect(rows).toEqual([attempt(1), attempt(2, { status: "succeeded", exitCode: 0, signal: null, error: null, sessionId: "sess-1", usage })]);
    expect(rows[1]?.usage).toEqual(usage);

    expect(await failure(db.insert(schema.tasks).values(attempt(2, { status: "failed" })))).toMatch(/UNIQUE constraint failed: tasks.id, tasks.attempt/);
    const [second] = await db.select().from(schema.tasks).where(and(eq(schema.tasks.id, "tsk_test0001"), eq(schema.tasks.attempt, 2)));
    expect(second?.status).toBe("succeeded");
  });

  it("stores transcript chunks and reads them back in (attempt, first seq) order", async () => {
    const ev = (seq: number, text: string): SequencedEvent => ({ seq, ts: NOW + seq, event: { kind: "output", stream: "stdout", text } });
    const chunk = (attempt: number, events: SequencedEvent[]) => ({
      taskId: "tsk_test0001",
      attempt,
      firstSeq: events[0]!.seq,
      lastSeq: events[events.length - 1]!.seq,
      events: JSON.stringify(events),
      createdAt: NOW,
    });
    const a2late = [ev(3, "three"), ev(4, "quatre — ünïcödé")];
    const a2 = [ev(1, "one"), ev(2, "two")];
    const a1 = [ev(1, "lost one")];
    for (const c of [chunk(2, a2late), chunk(1, a1), chunk(2, a2)]) await db.insert(schema.transcriptChunks).values(c);

    const rows = await db
      .select()
      .from(schema.transcriptChunks)
      .where(eq(schema.transcriptChunks.taskId, "tsk_test0001"))
      .orderBy(asc(schema.transcriptChunks.attempt), asc(schema.transcriptChunks.firstSeq));
    expect(rows.map((r) => [r.attempt, r.firstSeq, r.lastSeq])).toEqual([
      [1, 1, 1],
      [2, 1, 2],
      [2, 3, 4],
    ]);
    expect(rows.flatMap((r) => JSON.parse(r.events) as SequencedEvent[])).toEqual([...a1, ...a2, ...a2late]);
    expect(await failure(db.insert(schema.transcriptChunks).values(chunk(2, a2)))).toMatch(
      /UNIQUE constraint failed: transcript_chunks.task_id, transcript_chunks.attempt, transcript_chunks.first_seq/,
    );
  });
});
