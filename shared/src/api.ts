/**
 * REST API request bodies and the error envelope, shared by the control plane (validation) and
 * clients (the runner, tests, the future dashboard).
 */
import { z } from "zod";
import { AgentId } from "./ids";
import { RepositoryRef, RuntimeKey } from "./tasks";

export const CreateIssueBody = z.object({
  title: z.string().trim().min(1).max(300),
  body: z.string().max(100_000).default(""),
  /** Where the work happens; overrides the agent's repository. */
  repository: RepositoryRef.nullable().default(null),
});

/** A comment; on an issue assigned to an agent it is a follow-up the agent runs. */
export const CreateCommentBody = z.object({
  body: z.string().trim().min(1).max(50_000),
});

export const CreateAgentBody = z.object({
  name: z.string().trim().min(1).max(100),
  instructions: z.string().max(100_000).default(""),
  /** Runtimes this agent may run on, most preferred first. */
  runtimes: z.array(RuntimeKey).min(1).max(20),
  maxConcurrentTasks: z.number().int().min(1).max(100).default(1),
  /** The repository the agent works in unless the issue names one. */
  repository: RepositoryRef.nullable().default(null),
  /** Idle watchdog: stop a run with no output for this long. Null: the runner's setting (default 15 min). */
  idleTimeoutSeconds: z.number().int().min(1).max(7 * 24 * 3600).nullable().default(null),
  /** Absolute watchdog: stop a run after this long. Null: the runner's setting (default 4 h). */
  timeoutSeconds: z.number().int().min(1).max(7 * 24 * 3600).nullable().default(null),
});

export const AssignIssueBody = z.object({
  agentId: AgentId,
  /** How many attempts before a task that keeps getting lost is given up. Default from config. */
  maxAttempts: z.number().int().min(1).max(10).optional(),
});

export const CreateTokenBody = z.object({
  name: z.string().trim().min(1).max(100),
  /** `runner` tokens may only connect runners; `member` tokens act as the member who made them. */
  kind: z.enum(["runner", "member"]),
});

export const ApiErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    requestId: z.string().optional(),
    /** Every problem found, when there were several: a field or file path and what is wrong. */
    details: z.array(z.object({ path: z.string().nullable(), message: z.string() })).optional(),
  }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;
