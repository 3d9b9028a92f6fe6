/**
 * The contract between the runner and one kind of agent process. The job runner starts an
 * attempt through an adapter, stores every normalized event it yields, and reports the outcome.
 * Today there is one implementation (command.ts); adapters for agent CLIs that print JSON lines
 * (Claude Code, Codex, Gemini, OpenCode, …) will parse those lines into richer events.
 */
import type { AgentEvent, ExitInfo, Failure, RuntimeInfo, RuntimeKey, Usage } from "@multica/shared";
import type { z } from "zod";
import type { McpLaunch } from "../mcp/mcp-attach";

/** Everything an adapter needs to start one attempt. */
export interface AgentStartContext {
  taskId: string;
  attempt: number;
  prompt: string;
  issue: { id: string; title: string; body: string };
  /** The agent; model, extra args and env set on it in the workspace override the runtime's settings. */
  agent: { id: string; name: string; instructions: string; model?: string | null; extraArgs?: string[]; env?: Record<string, string> };
  /** A fresh, empty directory the process runs in. */
  workDir: string;
  /** A session of an earlier attempt to continue (agent CLIs that support resuming use it). */
  resumeSessionId?: string;
  /**
   * Watchdogs the agent record asked for (ms); a null or absent field means the runtime's own
   * setting from the runner config, else its default.
   */
  limits?: { timeoutMs: number | null; idleTimeoutMs: number | null };
  /** Arguments and environment that attach the Multica MCP server (mcp/mcp-attach.ts); absent for none. */
  mcp?: McpLaunch | null;
}

/** How an attempt ended, as the adapter saw it. */
export interface AgentOutcome {
  status: "succeeded" | "failed" | "cancelled";
  exit: ExitInfo;
  sessionId: string | null;
  usage: Usage | null;
  /** Why it did not succeed; null when it did. */
  failure: Failure | null;
}

/** An agent process that has been started. */
export interface RunningAgent {
  /**
   * The normalized events, in order. The first is `lifecycle started` once the process is up
   * (the job runner sends `task.started` on it); the last is `lifecycle exited`. Iteration ends
   * after the last event. Consumers must keep reading: the adapter stops reading the process's
   * output while its small buffer is full, which pauses the process rather than growing memory.
   */
  events: AsyncIterable<AgentEvent>;
  /** Resolves once the process tree is gone and every event has been yielded. Never rejects. */
  outcome: Promise<AgentOutcome>;
  /** Stops the attempt: interrupt, grace period, kill the process tree. Idempotent. */
  cancel(reason: string): void;
  /** Kills the process tree at once and synchronously; for when the runner itself must exit now. */
  killNow(): void;
}

/** One kind of runtime: a configured command or an agent CLI. */
export interface AgentAdapter {
  key: z.infer<typeof RuntimeKey>;
  /** Whether this runtime is usable on this machine, and its version; `null` when it is not. */
  detect(): Promise<RuntimeInfo | null>;
  /** Starts one attempt. Never throws: a process that cannot start ends with a `failed` outcome. */
  start(ctx: AgentStartContext): RunningAgent;
}
