/**
 * The durable record, in D1 (SQLite) through drizzle-orm. The workspace Durable Object owns live
 * task state and mirrors it here; routes read and write issues, agents and tokens directly.
 * Timestamps are milliseconds since the epoch. The same schema runs on @libsql/client.
 */
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

export const workspaces = sqliteTable("workspaces", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** Issue keys are `<prefix>-<number>` (ENG-42). */
  issuePrefix: text("issue_prefix").notNull().default("MUL"),
  /** URL-safe name, unique across the control plane; null for workspaces made before slugs. */
  slug: text("slug").unique(),
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
    /**
     * `member`: a personal access token; `runner`: registers runners of the workspace; `agent`:
     * minted for one attempt, valid only while it lives and only for its issue.
     */
    kind: text("kind", { enum: ["member", "runner", "agent"] }).notNull(),
    name: text("name").notNull(),
    secretHash: text("secret_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
    /** After this time the token is refused; null for no expiry. */
    expiresAt: integer("expires_at"),
    /** For `agent` tokens: the attempt and issue it is scoped to. */
    taskId: text("task_id"),
    attempt: integer("attempt"),
    issueId: text("issue_id"),
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
    /** An image URL or emoji shown for the agent. */
    avatar: text("avatar"),
    /** The model asked of the runtime (the CLI's --model); null for the runner's setting. */
    model: text("model"),
    extraArgs: text("extra_args", { mode: "json" }).$type<string[]>(),
    env: text("env", { mode: "json" }).$type<Record<string, string>>(),
    /** Runner ids allowed to run the agent (its pool); null for any runner with a matching runtime. */
    runnerIds: text("runner_ids", { mode: "json" }).$type<string[]>(),
    /** Whether the agent may set its issues to done (otherwise a successful run asks for review). */
    canClose: integer("can_close", { mode: "boolean" }).notNull().default(false),
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
    status: text("status", { enum: ["backlog", "todo", "in_progress", "in_review", "done", "blocked", "cancelled"] }).notNull(),
    priority: text("priority", { enum: ["urgent", "high", "medium", "low", "none"] }).notNull().default("none"),
    /** At most one of the two assignees is set: a member or an agent. */
    assigneeAgentId: text("assignee_agent_id"),
    assigneeUserId: text("assignee_user_id"),
    parentId: text("parent_id"),
    labels: text("labels", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** Order within a status column (fractional, so a move writes one row). */
    position: real("position").notNull().default(0),
    repository: text("repository"),
    baseRef: text("base_ref"),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    index("issues_workspace").on(t.workspaceId),
    uniqueIndex("issues_workspace_number").on(t.workspaceId, t.number),
    index("issues_board").on(t.workspaceId, t.status, t.position),
    index("issues_parent").on(t.parentId),
  ],
);

export const comments = sqliteTable(
  "comments",
  {
    id: text("id").primaryKey(),
    issueId: text("issue_id").notNull().references(() => issues.id),
    /** `user:<id>` or `agent:<id>`. */
    author: text("author").notNull(),
    body: text("body").notNull(),
    /** The comment this one answers (a thread); null at the top level. */
    parentId: text("parent_id"),
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

/** A workspace's skill: its name is unique in the workspace; its content lives in versions. */
export const skills = sqliteTable(
  "skills",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    name: text("name").notNull(),
    description: text("description").notNull(),
    latestVersion: integer("latest_version").notNull(),
    archivedAt: integer("archived_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("skills_workspace_name").on(t.workspaceId, t.name)],
);

/** Every change to a skill is a new version; files are listed by content hash (see skillBlobs). */
export const skillVersions = sqliteTable(
  "skill_versions",
  {
    skillId: text("skill_id").notNull().references(() => skills.id),
    version: integer("version").notNull(),
    /** Hash of the version's file list: what runners cache bundles by. */
    bundleHash: text("bundle_hash").notNull(),
    files: text("files", { mode: "json" }).$type<{ path: string; size: number; hash: string }[]>().notNull(),
    description: text("description").notNull(),
    /** `user`, `runner` (skills push) or `task` (an accepted harvest proposal). */
    authorKind: text("author_kind", { enum: ["user", "runner", "task"] }).notNull(),
    authorId: text("author_id").notNull(),
    authorAttempt: integer("author_attempt"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.skillId, t.version] }), index("skill_versions_bundle").on(t.bundleHash)],
);

/** File contents by SHA-256, base64: shared by every version (and skill) that has the same bytes. */
export const skillBlobs = sqliteTable("skill_blobs", {
  hash: text("hash").primaryKey(),
  size: integer("size").notNull(),
  content: text("content").notNull(),
});

/** Which skills an agent gets, pinned to a version or following the latest. */
export const agentSkills = sqliteTable(
  "agent_skills",
  {
    agentId: text("agent_id").notNull().references(() => agents.id),
    skillId: text("skill_id").notNull().references(() => skills.id),
    /** Null: the latest version at dispatch. */
    version: integer("version"),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.agentId, t.skillId] })],
);

/** A skill an agent run created or changed, waiting for a member to accept or reject it. */
export const skillProposals = sqliteTable(
  "skill_proposals",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    name: text("name").notNull(),
    description: text("description").notNull(),
    bundleHash: text("bundle_hash").notNull(),
    files: text("files", { mode: "json" }).$type<{ path: string; size: number; hash: string }[]>().notNull(),
    /** The bundle the run started from; null when the agent created the skill. */
    baseHash: text("base_hash"),
    taskId: text("task_id").notNull(),
    attempt: integer("attempt").notNull(),
    status: text("status", { enum: ["pending", "accepted", "rejected"] }).notNull(),
    decidedBy: text("decided_by"),
    /** The version an accepted proposal became. */
    acceptedVersion: integer("accepted_version"),
    createdAt: integer("created_at").notNull(),
    decidedAt: integer("decided_at"),
  },
  (t) => [index("skill_proposals_workspace").on(t.workspaceId, t.status), uniqueIndex("skill_proposals_run").on(t.taskId, t.attempt, t.name)],
);

/** The skills each task was dispatched with: usage statistics per skill. */
export const taskSkills = sqliteTable(
  "task_skills",
  {
    taskId: text("task_id").notNull(),
    skillId: text("skill_id").notNull(),
    version: integer("version").notNull(),
  },
  (t) => [primaryKey({ columns: [t.taskId, t.skillId] }), index("task_skills_skill").on(t.skillId)],
);

/** What happened to an issue, in order: status changes, assignments, runs and their outcome. */
export const activities = sqliteTable(
  "activities",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    issueId: text("issue_id").notNull(),
    /** `user:<id>`, `agent:<id>` or `system`. */
    actor: text("actor").notNull(),
    kind: text("kind").notNull(),
    data: text("data", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("activities_issue").on(t.issueId, t.createdAt)],
);

// Inbound webhooks, schedules and outbound subscriptions: their own file, one schema.
export * from "./schema-triggers";
