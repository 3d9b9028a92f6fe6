/**
 * Messages the control plane sends to a runner. Tagged on `type`; the runner parses every frame
 * with `parseControlMessage` and ignores (logs) what it does not understand.
 */
import { z } from "zod";
import { AgentId, IssueId, TaskId } from "../ids";
import { AssignSkill } from "../skills";
import { RepositoryRef, RuntimeKey } from "../tasks";
import { MAX_ASSIGN_COMMENTS } from "./version";

export const ControlWelcome = z.object({
  type: z.literal("welcome"),
  protocol: z.number().int(),
  workspaceId: z.string(),
  /** How long a lease lasts without renewal. */
  leaseMs: z.number().int().positive(),
  /** How often the runner should send `heartbeat`. */
  heartbeatMs: z.number().int().positive(),
  /** Attempts from `hello.active` the control plane no longer lets this runner hold. */
  revoked: z.array(z.object({ taskId: TaskId, attempt: z.number().int().positive(), reason: z.string() })),
});

/** Work pushed to the runner. From this frame on the runner holds the attempt's lease. */
export const AssignComment = z.object({ author: z.string(), body: z.string(), createdAt: z.number() });

export const ControlTaskAssign = z.object({
  type: z.literal("task.assign"),
  taskId: TaskId,
  attempt: z.number().int().positive(),
  runtime: RuntimeKey,
  /** Sent-at timestamp (ms) so the runner can report dispatch latency. */
  sentAt: z.number(),
  issue: z.object({
    id: IssueId,
    /** `ENG-42`: names the work dir and the branch `multica/<agent>/<key>`. */
    key: z.string().max(40).default(""),
    title: z.string(),
    body: z.string(),
    /** The issue's latest comments, oldest first (bounded), for the agent's context file. */
    comments: z.array(AssignComment).max(MAX_ASSIGN_COMMENTS).default([]),
  }),
  agent: z.object({
    id: AgentId,
    name: z.string(),
    instructions: z.string(),
    /** Set on the agent in the workspace; override the runner's settings for the runtime. */
    model: z.string().max(200).nullable().optional(),
    extraArgs: z.array(z.string().max(4000)).max(100).optional(),
    env: z.record(z.string(), z.string().max(32_000)).optional(),
  }),
  /** The full prompt the agent should work on, already assembled by the control plane. */
  prompt: z.string(),
  /** The repository to check out a worktree of (the issue's, else the agent's); null for an empty work dir. */
  repository: RepositoryRef.nullable().default(null),
  /** Watchdogs set on the agent; null fields fall back to the runner's settings for the runtime. */
  limits: z.object({ idleTimeoutMs: z.number().int().positive().nullable(), timeoutMs: z.number().int().positive().nullable() }).default({ idleTimeoutMs: null, timeoutMs: null }),
  /**
   * A follow-up that continues the agent's earlier session on this runner: run `prompt` of this
   * object with the CLI's resume. A runner that no longer has the work dir runs the top-level
   * `prompt` (the whole issue, the earlier run's summary and the new comments) instead.
   */
  resume: z.object({ sessionId: z.string().min(1).max(200), prompt: z.string() }).nullable().default(null),
  /** The agent's skills for this run, by bundle hash: the runner fetches what it lacks and installs them in the work dir. */
  skills: z.array(AssignSkill).max(100).default([]),
  /**
   * A bearer token for this attempt only (kind `agent`): it reaches the attempt's issue through
   * the workspace API while the attempt runs, and is revoked when it ends. The runner hands it to
   * the agent's Multica MCP server. Null from control planes that do not mint them.
   */
  agentToken: z.object({ secret: z.string(), expiresAt: z.number() }).nullable().default(null),
});

export const ControlTaskCancel = z.object({
  type: z.literal("task.cancel"),
  taskId: TaskId,
  attempt: z.number().int().positive(),
  reason: z.string(),
});

/** Everything up to and including `seq` of this attempt is stored durably. */
export const ControlAck = z.object({
  type: z.literal("ack"),
  taskId: TaskId,
  attempt: z.number().int().positive(),
  seq: z.number().int().nonnegative(),
});

/** The attempt's report is stored; the runner may forget the attempt. */
export const ControlReportAck = z.object({
  type: z.literal("report.ack"),
  taskId: TaskId,
  attempt: z.number().int().positive(),
});

export const ControlClaimResult = z.object({
  type: z.literal("claim.result"),
  taskId: TaskId,
  ok: z.boolean(),
  reason: z.string().nullable(),
});

/**
 * A frame was rejected without closing the socket. Codes: `unknown_task` and `not_holder`
 * (never acceptable: the runner drops what it holds for that attempt), `seq_gap` and
 * `report_before_events` (the runner reconnects and resends from its outbox), `report_refused`.
 */
export const ControlError = z.object({
  type: z.literal("error"),
  code: z.string(),
  message: z.string(),
  /** The attempt the rejected frame was about, when it was about one. */
  taskId: TaskId.optional(),
  attempt: z.number().int().positive().optional(),
});

export const ControlMessage = z.discriminatedUnion("type", [
  ControlWelcome,
  ControlTaskAssign,
  ControlTaskCancel,
  ControlAck,
  ControlReportAck,
  ControlClaimResult,
  ControlError,
]);
export type ControlMessage = z.infer<typeof ControlMessage>;
export type ControlTaskAssign = z.infer<typeof ControlTaskAssign>;
export type ControlWelcome = z.infer<typeof ControlWelcome>;
export type AssignComment = z.infer<typeof AssignComment>;
