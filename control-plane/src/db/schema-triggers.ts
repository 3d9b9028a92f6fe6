/**
 * The trigger tables, in D1 beside the rest of schema.ts (which re-exports them): inbound webhooks
 * and their delivery log, cron schedules and their runs, outbound subscriptions and their log.
 */
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { workspaces } from "./schema";

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
