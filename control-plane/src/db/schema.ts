/**
 * The durable record, in D1 (SQLite) through drizzle-orm. The workspace Durable Object owns live
 * task state and mirrors it here; routes read and write issues, agents and tokens directly.
 * Timestamps are milliseconds since the epoch. The same schema runs on @libsql/client.
 */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const workspaces = sqliteTable("workspaces", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** Issue keys are `<prefix>-<number>` (ENG-42). */
  issuePrefix: text("issue_prefix").notNull().default("MUL"),
  createdAt: integer("created_at").notNull(),
});

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  email: text("email"),
  createdAt: integer("created_at").notNull(),
});

export const members = sqliteTable(
  "members",
  {
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    userId: text("user_id").notNull().references(() => users.id),
    role: text("role", { enum: ["owner", "admin", "member"] }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.userId] })],
);

/** API tokens: only the SHA-256 of the secret is kept; the secret is shown once at creation. */
export const apiTokens = sqliteTable(
  "api_tokens",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    /** The member a `member` token acts as; for `runner` tokens the member who created it. */
    userId: text("user_id").notNull().references(() => users.id),
    kind: text("kind", { enum: ["member", "runner"] }).notNull(),
    name: text("name").notNull(),
    secretHash: text("secret_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [uniqueIndex("api_tokens_secret_hash").on(t.secretHash)],
);

export const runners = sqliteTable(
  "runners",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    name: text("name").notNull(),
    version: text("version").notNull(),
    concurrency: integer("concurrency").notNull(),
    online: integer("online", { mode: "boolean" }).notNull(),
    connectedAt: integer("connected_at"),
    lastSeenAt: integer("last_seen_at").notNull(),
  },
  (t) => [index("runners_workspace").on(t.workspaceId)],
);

/** An agent CLI (or configured command) available on a runner. */
export const runtimes = sqliteTable(
  "runtimes",
  {
    runnerId: text("runner_id").notNull().references(() => runners.id),
    key: text("key").notNull(),
    version: text("version"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.runnerId, t.key] })],
);

export const agents = sqliteTable(
  "agents",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    name: text("name").notNull(),
    instructions: text("instructions").notNull(),
    /** JSON array of runtime keys, most preferred first. */
    runtimes: text("runtimes", { mode: "json" }).$type<string[]>().notNull(),
    maxConcurrentTasks: integer("max_concurrent_tasks").notNull(),
    /** Git URL or absolute path the agent works in unless the issue names one. */
    repository: text("repository"),
    baseRef: text("base_ref"),
    idleTimeoutSeconds: integer("idle_timeout_seconds"),
    timeoutSeconds: integer("timeout_seconds"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("agents_workspace").on(t.workspaceId)],
);

export const issues = sqliteTable(
  "issues",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    /** Per-workspace sequence: the key is `<workspace prefix>-<number>`. */
    number: integer("number").notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    status: text("status", { enum: ["open", "in_progress", "done", "blocked"] }).notNull(),
    assigneeAgentId: text("assignee_agent_id"),
    repository: text("repository"),
    baseRef: text("base_ref"),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("issues_workspace").on(t.workspaceId), uniqueIndex("issues_workspace_number").on(t.workspaceId, t.number)],
);

export const comments = sqliteTable(
  "comments",
  {
    id: text("id").primaryKey(),
    issueId: text("issue_id").notNull().references(() => issues.id),
    /** `user:<id>` or `agent:<id>`. */
    author: text("author").notNull(),
    body: text("body").notNull(),
    taskId: text("task_id"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("comments_issue").on(t.issueId)],
);

/** One row per attempt, mirrored from the workspace Durable Object. */
export const tasks = sqliteTable(
  "tasks",
  {
    id: text("id").notNull(),
    attempt: integer("attempt").notNull(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    issueId: text("issue_id").notNull(),
    agentId: text("agent_id").notNull(),
    runtime: text("runtime").notNull(),
    status: text("status").notNull(),
    runnerId: text("runner_id"),
    queuedAt: integer("queued_at").notNull(),
    dispatchedAt: integer("dispatched_at"),
    startedAt: integer("started_at"),
    endedAt: integer("ended_at"),
    exitCode: integer("exit_code"),
    signal: text("signal"),
    error: text("error"),
    /** The failure's class (agent_error, timeout, rate_limit, cancelled, runner_lost, bad_config). */
    failureKind: text("failure_kind"),
    /** A queued attempt parked until then (rate limit). */
    notBefore: integer("not_before"),
    sessionId: text("session_id"),
    usage: text("usage", { mode: "json" }),
    lastSeq: integer("last_seq").notNull(),
  },
  (t) => [primaryKey({ columns: [t.id, t.attempt] }), index("tasks_workspace_issue").on(t.workspaceId, t.issueId)],
);

/** Transcript events in chunks (many events per row), in seq order within an attempt. */
export const transcriptChunks = sqliteTable(
  "transcript_chunks",
  {
    taskId: text("task_id").notNull(),
    attempt: integer("attempt").notNull(),
    firstSeq: integer("first_seq").notNull(),
    lastSeq: integer("last_seq").notNull(),
    /** JSON array of SequencedEvent. */
    events: text("events").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.attempt, t.firstSeq] })],
);
