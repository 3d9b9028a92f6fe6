/**
 * Messages the control plane sends to a runner. Tagged on `type`; the runner parses every frame
 * with `parseControlMessage` and ignores (logs) what it does not understand.
 */
import { z } from "zod";
import { AgentId, IssueId, TaskId } from "../ids";
import { RuntimeKey } from "../tasks";

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
export const ControlTaskAssign = z.object({
  type: z.literal("task.assign"),
  taskId: TaskId,
  attempt: z.number().int().positive(),
  runtime: RuntimeKey,
  /** Sent-at timestamp (ms) so the runner can report dispatch latency. */
  sentAt: z.number(),
  issue: z.object({ id: IssueId, title: z.string(), body: z.string() }),
  agent: z.object({ id: AgentId, name: z.string(), instructions: z.string() }),
  /** The full prompt the agent should work on, already assembled by the control plane. */
  prompt: z.string(),
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
