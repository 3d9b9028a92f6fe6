/**
 * REST API request bodies and the error envelope, shared by the control plane (validation) and
 * clients (the runner, tests, the future dashboard).
 */
import { z } from "zod";
import { AgentId } from "./ids";
import { RuntimeKey } from "./tasks";

export const CreateIssueBody = z.object({
  title: z.string().trim().min(1).max(300),
  body: z.string().max(100_000).default(""),
});

export const CreateAgentBody = z.object({
  name: z.string().trim().min(1).max(100),
  instructions: z.string().max(100_000).default(""),
  /** Runtimes this agent may run on, most preferred first. */
  runtimes: z.array(RuntimeKey).min(1).max(20),
  maxConcurrentTasks: z.number().int().min(1).max(100).default(1),
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
  error: z.object({ code: z.string(), message: z.string(), requestId: z.string().optional() }),
});
export type ApiErrorBody = z.infer<typeof ApiErrorBody>;
