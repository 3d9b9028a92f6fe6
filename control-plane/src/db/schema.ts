/**
 * The durable record, in D1 (SQLite) through drizzle-orm. The workspace Durable Object owns live
 * task state and mirrors it here; routes read and write issues, agents and tokens directly.
 * Timestamps are milliseconds since the epoch. The same schema runs on @libsql/client.
 */
import { sql } from "drizzle-orm";
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

/** Inbound webhooks: a GitHub repository or any JSON sender opening issues in a workspace. */
export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    kind: text("kind", { enum: ["github", "generic"] }).notNull(),
    name: text("name").notNull(),
    /**
     * Kept as given, not hashed: verifying a delivery means computing the HMAC of its body with
     * this key, so the key itself must be at hand. Shown once at creation, never listed.
     */
    secret: text("secret").notNull(),
    config: text("config", { mode: "json" }).$type<{ label?: string; agentId?: string; titleTemplate?: string; bodyTemplate?: string }>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("webhooks_workspace").on(t.workspaceId)],
);

/** One row per request to a webhook: what it was, what we did, and why. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    webhookId: text("webhook_id").notNull().references(() => webhooks.id),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    /** X-GitHub-Delivery or Idempotency-Key; null when the sender gave none. */
    deliveryKey: text("delivery_key"),
    event: text("event"),
    status: text("status", { enum: ["accepted", "ignored", "rejected"] }).notNull(),
    reason: text("reason"),
    issueId: text("issue_id"),
    /** The GitHub issue or PR an accepted delivery was about: one Multica issue per URL. */
    url: text("url"),
    receivedAt: integer("received_at").notNull(),
    /**
     * The body: whole (at most the 1 MiB limit) when its signature verified, so it can be acted on
     * again; cut at 64 KiB otherwise (anyone can post to a hook URL, and such a body is never used).
     */
    payload: text("payload").notNull(),
    /** Set on an admin's redelivery: the logged delivery it acted on again. */
    redeliveryOf: text("redelivery_of"),
  },
  (t) => [
    // Only an accepted delivery claims its key: a rejected one (bad signature) must not block the real one.
    uniqueIndex("webhook_deliveries_key").on(t.webhookId, t.deliveryKey).where(sql`status = 'accepted'`),
    index("webhook_deliveries_webhook").on(t.webhookId, t.receivedAt),
    index("webhook_deliveries_url").on(t.workspaceId, t.url),
  ],
);

/**
 * A cron schedule that opens an issue (and runs its agent) in a workspace's time zone. The
 * workspace Durable Object's alarm fires it; `nextFireAt` is what the alarm waits for.
 */
export const schedules = sqliteTable(
  "schedules",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    name: text("name").notNull(),
    cron: text("cron").notNull(),
    /** IANA zone, e.g. `Europe/Berlin`; DST is handled by cron.ts. */
    timezone: text("timezone").notNull(),
    missedPolicy: text("missed_policy", { enum: ["skip", "catch_up_once"] }).notNull(),
    /** What a fire creates: the issue's fields (templated title) and the agent to assign. */
    action: text("action", { mode: "json" })
      .$type<{ title: string; description?: string; priority?: string; labels?: string[]; agentId?: string }>()
      .notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    /** Set when the schedule paused itself (repeated failures); cleared on resume. */
    pausedReason: text("paused_reason"),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    maxConsecutiveFailures: integer("max_consecutive_failures").notNull().default(5),
    /** Fire time of the last run, or creation/resume time before the first. */
    lastFireAt: integer("last_fire_at").notNull(),
    nextFireAt: integer("next_fire_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("schedules_workspace").on(t.workspaceId), index("schedules_next").on(t.workspaceId, t.nextFireAt)],
);

/** One row per fire of a schedule: when it was due, what it created, how the run ended. */
export const scheduleRuns = sqliteTable(
  "schedule_runs",
  {
    id: text("id").primaryKey(),
    scheduleId: text("schedule_id").notNull().references(() => schedules.id),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    scheduledFor: integer("scheduled_for").notNull(),
    firedAt: integer("fired_at").notNull(),
    kind: text("kind", { enum: ["on_time", "catch_up", "manual"] }).notNull(),
    /** Fires missed before this one (the control plane was down), as counted by schedule-policy.ts. */
    missed: integer("missed").notNull().default(0),
    issueId: text("issue_id"),
    taskId: text("task_id"),
    /** `skipped`: fires the `skip` policy dropped after an outage, one row standing for them all (see `missed`). */
    outcome: text("outcome", { enum: ["started", "succeeded", "failed", "cancelled", "error", "skipped"] }).notNull(),
    error: text("error"),
  },
  (t) => [uniqueIndex("schedule_runs_once").on(t.scheduleId, t.scheduledFor), index("schedule_runs_task").on(t.taskId)],
);

/** Outbound event webhooks: a URL subscribed to some of a workspace's events. */
export const webhookSubscriptions = sqliteTable(
  "webhook_subscriptions",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    url: text("url").notNull(),
    /** Kept as given: each delivery is signed with it. Shown once at creation. */
    secret: text("secret").notNull(),
    events: text("events", { mode: "json" }).$type<string[]>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    /** Why it was switched off by us (the receiver answered 410 Gone), if it was. */
    disabledReason: text("disabled_reason"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("webhook_subscriptions_workspace").on(t.workspaceId)],
);

/** One event to one subscription, with every attempt: the outbound delivery log. */
export const outboundDeliveries = sqliteTable(
  "outbound_deliveries",
  {
    id: text("id").primaryKey(),
    subscriptionId: text("subscription_id").notNull().references(() => webhookSubscriptions.id),
    workspaceId: text("workspace_id").notNull().references(() => workspaces.id),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    /** The JSON body sent, identical on every attempt. */
    payload: text("payload").notNull(),
    status: text("status", { enum: ["pending", "retrying", "delivered", "failed"] }).notNull(),
    attempt: integer("attempt").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at"),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    failReason: text("fail_reason"),
    attempts: text("attempts", { mode: "json" }).$type<unknown[]>().notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("outbound_deliveries_once").on(t.subscriptionId, t.eventId),
    index("outbound_deliveries_sub").on(t.subscriptionId, t.createdAt),
  ],
);
