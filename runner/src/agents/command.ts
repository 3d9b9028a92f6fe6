/**
 * The `command:<name>` runtime: runs a user-configured command for an attempt and turns each line
 * it prints into an `output` event. The registry makes one adapter per configured command; the
 * job runner starts and cancels attempts through it.
 *
 * The process gets its own process group (detached) so cancelling reaches its whole tree:
 * SIGTERM to the group, a grace period, then SIGKILL to the group.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";
import type { Readable } from "node:stream";
import type { AgentEvent, RuntimeInfo } from "@multica/shared";
import { execa } from "execa";
import type { CommandRuntimeConfig } from "../config";
import type { AgentAdapter, AgentOutcome, AgentStartContext, RunningAgent } from "./adapter";
import { EventQueue } from "./event-queue";
import { LineSplitter } from "./output-lines";
import { isGroupAlive, signalGroup, waitGroupGone } from "./process-tree";

/** Events buffered per attempt before the pipes are paused (see EventQueue). */
const EVENT_BUFFER = 1024;

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

type Stop = { kind: "cancel"; reason: string } | { kind: "timeout"; seconds: number };

function startCommand(cfg: CommandRuntimeConfig, ctx: AgentStartContext, opts: CommandAdapterOptions): RunningAgent {
  const startedAt = Date.now();
  const args = cfg.args.map((arg) => arg.replaceAll("{prompt}", ctx.prompt));
  const env = {
    ...opts.baseEnv,
    ...cfg.env,
    MULTICA_PROMPT: ctx.prompt,
    MULTICA_TASK_ID: ctx.taskId,
    MULTICA_ATTEMPT: String(ctx.attempt),
    MULTICA_ISSUE_TITLE: ctx.issue.title,
    MULTICA_WORKDIR: ctx.workDir,
    PWD: ctx.workDir,
  };
  let subprocess;
  try {
    subprocess = execa(cfg.command, args, {
      cwd: ctx.workDir,
      env,
      extendEnv: false,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      detached: true,
      buffer: false,
      reject: false,
      // Our own stop steps replace execa's: it would only signal the leader, not the group.
      cleanup: false,
    });
  } catch (err) {
    return notStarted(cfg.command, (err as Error).message, startedAt);
  }
  const streams: Readable[] = [subprocess.stdout, subprocess.stderr];
  const queue = new EventQueue<AgentEvent>(EVENT_BUFFER, (pause) => {
    for (const s of streams) (pause ? s.pause() : s.resume());
  });
  const pid = subprocess.pid;
  let stop: Stop | null = null;
  let done = false;

  const killTree = async (): Promise<void> => {
    if (pid === undefined || !isGroupAlive(pid)) return;
    signalGroup(pid, "SIGTERM");
    if (!(await waitGroupGone(pid, opts.cancelGraceMs))) signalGroup(pid, "SIGKILL");
  };
  const stopWith = (how: Stop): void => {
    if (stop || done) return;
    stop = how;
    queue.push(
      how.kind === "cancel"
        ? { kind: "lifecycle", phase: "cancelling", detail: how.reason.slice(0, 2000) }
        : { kind: "error", message: `timed out after ${how.seconds}s` },
    );
    void killTree();
  };

  if (pid !== undefined) {
    queue.push({ kind: "lifecycle", phase: "started", detail: `pid ${pid}` });
    const splitters = {
      stdout: new LineSplitter((text) => queue.push({ kind: "output", stream: "stdout", text })),
      stderr: new LineSplitter((text) => queue.push({ kind: "output", stream: "stderr", text })),
    };
    subprocess.stdout.on("data", (chunk: Buffer) => splitters.stdout.push(chunk));
    subprocess.stdout.on("end", () => splitters.stdout.end());
    subprocess.stderr.on("data", (chunk: Buffer) => splitters.stderr.push(chunk));
    subprocess.stderr.on("end", () => splitters.stderr.end());
    // Stragglers (a backgrounded grandchild) would hold the pipes open and outlive the attempt.
    subprocess.once("exit", () => void killTree());
  }
  const timer =
    cfg.timeoutSeconds !== null ? setTimeout(() => stopWith({ kind: "timeout", seconds: cfg.timeoutSeconds ?? 0 }), cfg.timeoutSeconds * 1000) : null;

  const outcome = subprocess.then((result): AgentOutcome => {
    done = true;
    if (timer) clearTimeout(timer);
    const exitCode = typeof result.exitCode === "number" ? result.exitCode : null;
    const signal = result.signal ?? null;
    const durationMs = Date.now() - startedAt;
    if (pid === undefined) {
      const error = `could not start ${JSON.stringify(cfg.command)}: ${result.originalMessage || result.shortMessage}`.slice(0, 2000);
      queue.push({ kind: "error", message: error });
      queue.close();
      return failedOutcome(error, durationMs);
    }
    queue.push({ kind: "lifecycle", phase: "exited", detail: signal ? `signal ${signal}` : `exit code ${exitCode}` });
    queue.close();
    const finalStop: Stop | null = stop;
    const status = finalStop?.kind === "cancel" ? "cancelled" : finalStop === null && exitCode === 0 ? "succeeded" : "failed";
    const error =
      finalStop?.kind === "cancel"
        ? `cancelled: ${finalStop.reason}`.slice(0, 2000)
        : finalStop?.kind === "timeout"
          ? `timed out after ${finalStop.seconds}s`
          : null;
    return { status, exit: { exitCode, signal, error, durationMs }, sessionId: null, usage: null };
  });

  return {
    events: queue,
    outcome,
    cancel: (reason) => stopWith({ kind: "cancel", reason }),
    killNow: () => {
      if (pid !== undefined && !done) signalGroup(pid, "SIGKILL");
    },
  };
}

function failedOutcome(error: string, durationMs: number): AgentOutcome {
  return { status: "failed", exit: { exitCode: null, signal: null, error, durationMs }, sessionId: null, usage: null };
}

/** An attempt whose process could not even be created (execa rejected the options). */
function notStarted(command: string, message: string, startedAt: number): RunningAgent {
  const error = `could not start ${JSON.stringify(command)}: ${message}`.slice(0, 2000);
  const events: AgentEvent[] = [{ kind: "error", message: error }];
  return {
    events: (async function* () {
      yield* events;
    })(),
    outcome: Promise.resolve(failedOutcome(error, Date.now() - startedAt)),
    cancel: () => {},
    killNow: () => {},
  };
}
