/**
 * The `command:<name>` runtime: runs a user-configured command for an attempt and turns each line
 * it prints into an `output` event. The registry makes one adapter per configured command; the
 * job runner starts and cancels attempts through it.
 *
 * The process machinery (own process group, bounded event queue, three-step cancel) lives in
 * agent-process.ts; this module only builds the command line and maps lines to `output` events.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import type { RuntimeInfo } from "@multica/shared";
import type { CommandRuntimeConfig } from "../config";
import type { AgentAdapter, AgentStartContext, RunningAgent } from "./adapter";
import { type LineMapper, startAgentProcess } from "./agent-process";

export interface CommandAdapterOptions {
  /** Environment the process starts from (config.childEnv). */
  baseEnv: Record<string, string>;
  /** Time between SIGTERM and SIGKILL when stopping the process tree. */
  cancelGraceMs: number;
}

export class CommandAdapter implements AgentAdapter {
  readonly key: string;

  constructor(
    private readonly runtime: CommandRuntimeConfig,
    private readonly options: CommandAdapterOptions,
  ) {
    this.key = `command:${runtime.name}`;
  }

  /** Available when the executable exists (on PATH, or at a path); configured commands have no version. */
  async detect(): Promise<RuntimeInfo | null> {
    const found = findExecutable(this.runtime.command, this.options.baseEnv.PATH ?? "");
    return found ? { key: this.key, version: null } : null;
  }

  start(ctx: AgentStartContext): RunningAgent {
    return startCommand(this.runtime, ctx, this.options);
  }
}

/** Resolves a command like a shell would: names are searched on PATH; paths are checked directly. */
export function findExecutable(command: string, path: string): string | null {
  const candidates = command.includes("/") ? [command] : path.split(delimiter).filter(Boolean).map((d) => join(d, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  // A relative path resolves against the attempt's work dir, which does not exist yet: let it try.
  return command.includes("/") && !isAbsolute(command) ? command : null;
}

function startCommand(cfg: CommandRuntimeConfig, ctx: AgentStartContext, opts: CommandAdapterOptions): RunningAgent {
  const args = cfg.args.map((arg) => arg.replaceAll("{prompt}", ctx.prompt));
  const env = {
    ...opts.baseEnv,
    ...cfg.env,
    ...(ctx.agent.env ?? {}),
    MULTICA_PROMPT: ctx.prompt,
    MULTICA_TASK_ID: ctx.taskId,
    MULTICA_ATTEMPT: String(ctx.attempt),
    MULTICA_ISSUE_TITLE: ctx.issue.title,
    MULTICA_WORKDIR: ctx.workDir,
    // Where the runner installs the agent's skills for command runtimes (skills/skill-targets.ts).
    MULTICA_SKILLS_DIR: join(ctx.workDir, ".multica", "skills"),
    PWD: ctx.workDir,
  };
  return startAgentProcess({
    command: cfg.command,
    args,
    env,
    cwd: ctx.workDir,
    stdin: null,
    mapper: outputLines(),
    cancelGraceMs: opts.cancelGraceMs,
    // A command may legitimately stay quiet for long: no watchdog unless configured or asked for.
    timeoutMs: ctx.limits?.timeoutMs ?? (cfg.timeoutSeconds !== null ? cfg.timeoutSeconds * 1000 : null),
    idleTimeoutMs: ctx.limits?.idleTimeoutMs ?? (cfg.idleTimeoutSeconds ? cfg.idleTimeoutSeconds * 1000 : null),
  });
}

/** Every line becomes an `output` event; the exit code alone decides the outcome. */
function outputLines(): LineMapper {
  return {
    stdout: (text) => [{ kind: "output", stream: "stdout", text }],
    stderr: (text) => [{ kind: "output", stream: "stderr", text }],
    finished: () => false,
    verdict: ({ exitCode, signal }) => ({ status: exitCode === 0 && signal === null ? "succeeded" : "failed", error: null }),
    sessionId: () => null,
    usage: () => null,
  };
}
