/**
 * Task vocabulary shared by the control plane, the runner and viewers. A task is one piece of
 * work for one agent; each try at it is an attempt (1, 2, …) with its own status and transcript.
 */
import { z } from "zod";

export const TASK_STATUSES = [
  "queued", // waiting for a runner with a matching runtime and a free slot
  "dispatched", // pushed to a runner that now holds the lease
  "running", // the runner started the agent process
  "succeeded",
  "failed",
  "cancelled",
  "lost", // the runner vanished or its lease expired; a retry may follow
] as const;
export const TaskStatus = z.enum(TASK_STATUSES);
export type TaskStatus = z.infer<typeof TaskStatus>;

export const TERMINAL_STATUSES: readonly TaskStatus[] = ["succeeded", "failed", "cancelled", "lost"];

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export const Usage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheReadTokens: z.number().int().nonnegative().optional(),
  cacheWriteTokens: z.number().int().nonnegative().optional(),
  costUsd: z.number().nonnegative().optional(),
});
export type Usage = z.infer<typeof Usage>;

/** How an attempt ended, as the runner saw it. */
export const ReportStatus = z.enum(["succeeded", "failed", "cancelled", "lost"]);
export type ReportStatus = z.infer<typeof ReportStatus>;

export const ExitInfo = z.object({
  exitCode: z.number().int().nullable(),
  signal: z.string().max(32).nullable(),
  /** Human-readable reason when the runner, not the agent, decided the outcome. */
  error: z.string().max(2000).nullable(),
  durationMs: z.number().int().nonnegative(),
});
export type ExitInfo = z.infer<typeof ExitInfo>;

/**
 * Why an attempt did not succeed, in classes a person can act on: the agent itself failed
 * (`agent_error`), a watchdog stopped it (`timeout`), the model provider refused for now
 * (`rate_limit`, with when to try again), someone cancelled it, the runner vanished
 * (`runner_lost`), or the runtime or task is set up wrong (`bad_config`: missing binary, bad
 * repository, unknown runtime). Retrying only helps for some of them; see the control plane.
 */
export const FAILURE_KINDS = ["agent_error", "timeout", "rate_limit", "cancelled", "runner_lost", "bad_config"] as const;
export const FailureKind = z.enum(FAILURE_KINDS);
export type FailureKind = z.infer<typeof FailureKind>;

export const Failure = z.object({
  kind: FailureKind,
  message: z.string().max(2000),
  /** For `rate_limit`: when the provider said it will accept work again (ms since epoch), if it said. */
  retryAt: z.number().int().nonnegative().nullable(),
});
export type Failure = z.infer<typeof Failure>;

/**
 * A repository a task works in: a git URL (https, ssh, `git@host:path`, file://) or an absolute
 * path on the runner's machine, and the ref new branches start from (default: its HEAD).
 */
export const RepositoryRef = z.object({
  source: z
    .string()
    .trim()
    .min(1)
    .max(2000)
    .refine((s) => /^(https?|ssh|git|file):\/\//.test(s) || /^[\w.-]+@[\w.-]+:/.test(s) || s.startsWith("/"), {
      message: "a repository is a git URL (https://, ssh://, git@host:path, file://) or an absolute path",
    })
    .refine((s) => !s.includes("\0") && !/\s/.test(s), { message: "a repository may not contain spaces or NUL" }),
  baseRef: z.string().trim().min(1).max(200).regex(/^[^\s~^:?*\[\\]+$/, "not a valid git ref").nullable().default(null),
});
export type RepositoryRef = z.infer<typeof RepositoryRef>;

/**
 * Runtimes are identified by a key: the agent CLI's name (`claude`, `codex`, `gemini`,
 * `opencode`, `cursor-agent`, `copilot`) or `command:<name>` for a user-configured command.
 */
export const RuntimeKey = z
  .string()
  .min(1)
  .max(80)
  .regex(/^[a-z][a-z0-9-]*(:[A-Za-z0-9._-]+)?$/, "runtime keys look like `claude` or `command:lint`");

export const RuntimeInfo = z.object({
  key: RuntimeKey,
  version: z.string().max(120).nullable(),
});
export type RuntimeInfo = z.infer<typeof RuntimeInfo>;
