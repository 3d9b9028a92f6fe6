/**
 * The process machinery every adapter shares: starts the agent in its own process group, reads
 * stdout and stderr line by line, turns each line into events through the adapter's `LineMapper`,
 * queues them (bounded: the pipes pause while the consumer lags), and stops the tree in three
 * steps (SIGTERM to the group, a grace period, SIGKILL) on cancel, when a watchdog fires (no
 * output for too long, or running too long), or once the mapper says the run is finished but the
 * process lingers. It also classifies how the attempt ended (a `Failure`). command.ts and the agent CLI adapters
 * (claude.ts, …) build a `AgentProcessSpec` and call `startAgentProcess`.
 */
import type { Readable } from "node:stream";
import type { AgentEvent, Failure, FailureKind, Usage } from "@multica/shared";
import { execa } from "execa";
import type { AgentOutcome, RunningAgent } from "./adapter";
import { EventQueue } from "./event-queue";
import { LineSplitter } from "./output-lines";
import { isGroupAlive, signalGroup, waitGroupGone } from "./process-tree";

/** Events buffered per attempt before the pipes are paused (see EventQueue). */
const EVENT_BUFFER = 1024;

/** How the process ended, as the mapper sees it when deciding the outcome. */
export interface ProcessExit {
  exitCode: number | null;
  signal: string | null;
  /** True when the runner stopped the process because the mapper reported `finished()`. */
  stoppedAfterFinish: boolean;
}

/** The mapper's verdict on a run that was neither cancelled nor timed out. */
export interface RunVerdict {
  status: "succeeded" | "failed";
  /** Why it failed (null on success, or when the exit code says it all). Cut to 2,000 characters. */
  error: string | null;
  /** The failure's class when it is not the agent's own error (default `agent_error`). */
  kind?: FailureKind;
  /** For `rate_limit`: when to try again (ms since epoch), when the CLI said. */
  retryAt?: number | null;
}

/**
 * Turns one process's output into events and decides its outcome. One instance per attempt, so
 * it may keep state (session id, the last result). Methods must not throw.
 */
export interface LineMapper {
  /** Events for one stdout line (without its line ending); may be none. */
  stdout(line: string): AgentEvent[];
  /** Events for one stderr line; may be none. */
  stderr(line: string): AgentEvent[];
  /** Events still held back when stdout ended (text a run that died mid-message never closed). */
  end?(): AgentEvent[];
  /**
   * True once the process has printed its final event (for Claude: `result`). The runner then
   * gives the process `finishGraceMs` to exit by itself before stopping its tree.
   */
  finished(): boolean;
  /** Success or failure, called once after the process tree is gone (not on cancel/timeout). */
  verdict(exit: ProcessExit): RunVerdict;
  /** The session to resume later, if the run reported one (also kept on cancel/timeout). */
  sessionId(): string | null;
  /** Token usage the run reported, if any. */
  usage(): Usage | null;
}

/** Everything needed to run one attempt's process. */
export interface AgentProcessSpec {
  command: string;
  args: string[];
  /** The complete environment (nothing is inherited). */
  env: Record<string, string>;
  cwd: string;
  /** Written to stdin, which is then closed; null for no stdin at all (/dev/null). */
  stdin: string | null;
  mapper: LineMapper;
  /** Time between SIGTERM and SIGKILL when stopping the process tree. */
  cancelGraceMs: number;
  /** Wall-clock limit for the whole attempt (the absolute watchdog); null for none. */
  timeoutMs: number | null;
  /** Longest stretch without output before the idle watchdog stops the attempt; null for none. */
  idleTimeoutMs?: number | null;
  /** How long the process may linger after `mapper.finished()` before it is stopped. */
  finishGraceMs?: number;
  /**
   * Longest stdout line handed to the mapper whole; longer ones come in pieces, so memory stays
   * bounded. Defaults to MAX_EVENT_TEXT (plain output); JSON-lines CLIs need whole lines to parse
   * them. Stderr lines are always cut at MAX_EVENT_TEXT.
   */
  maxStdoutLine?: number;
}

type Watchdog = "idle" | "absolute";
type Stop = { kind: "cancel"; reason: string } | { kind: "timeout"; watchdog: Watchdog; ms: number } | { kind: "finished" };

const DEFAULT_FINISH_GRACE_MS = 2000;

/** Starts the process. Never throws: a process that cannot start ends with a `failed` outcome. */
export function startAgentProcess(spec: AgentProcessSpec): RunningAgent {
  const startedAt = Date.now();
  let subprocess;
  try {
    subprocess = execa(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      extendEnv: false,
      ...(spec.stdin === null ? { stdin: "ignore" as const } : { input: spec.stdin }),
      stdout: "pipe",
      stderr: "pipe",
      detached: true,
      buffer: false,
      reject: false,
      // Our own stop steps replace execa's: it would only signal the leader, not the group.
      cleanup: false,
    });
  } catch (err) {
    return notStarted(spec.command, (err as Error).message, startedAt);
  }
  const streams: Readable[] = [subprocess.stdout, subprocess.stderr];
  const queue = new EventQueue<AgentEvent>(EVENT_BUFFER, (pause) => {
    for (const s of streams) (pause ? s.pause() : s.resume());
  });
  const { mapper } = spec;
  const pid = subprocess.pid;
  let stop: Stop | null = null;
  /** The leader has exited: too late to cancel. */
  let exited = false;
  /** The whole tree is gone: its pgid may be reused, never signal it again. */
  let done = false;
  let finishTimer: NodeJS.Timeout | null = null;

  const killTree = async (): Promise<void> => {
    if (pid === undefined || !isGroupAlive(pid)) return;
    signalGroup(pid, "SIGTERM");
    if (!(await waitGroupGone(pid, spec.cancelGraceMs))) signalGroup(pid, "SIGKILL");
  };
  const stopWith = (how: Stop): void => {
    if (stop || exited) return;
    stop = how;
    if (how.kind === "cancel") queue.push({ kind: "lifecycle", phase: "cancelling", detail: how.reason.slice(0, 2000) });
    if (how.kind === "timeout") queue.push({ kind: "error", message: timeoutMessage(how.watchdog, how.ms) });
    void killTree();
  };
  const absoluteMs = spec.timeoutMs;
  const timer = absoluteMs !== null ? setTimeout(() => stopWith({ kind: "timeout", watchdog: "absolute", ms: absoluteMs }), absoluteMs) : null;
  const idle = new IdleWatchdog(spec.idleTimeoutMs ?? null, (ms) => stopWith({ kind: "timeout", watchdog: "idle", ms }));
  const mapLine = (map: (line: string) => AgentEvent[], line: string): void => {
    try {
      const events = map(line);
      // Unknown JSON (raw) may be a keep-alive; only output the mapper understood counts as progress.
      if (events.some((e) => e.kind !== "raw")) idle.touch();
      for (const e of events) queue.push(e);
    } catch (err) {
      // A mapper bug must not take the runner down with it; the line is reported instead.
      queue.push({ kind: "error", message: `could not map a line of output: ${(err as Error).message}`.slice(0, 2000) });
    }
    if (finishTimer === null && !stop && mapper.finished()) {
      finishTimer = setTimeout(() => stopWith({ kind: "finished" }), spec.finishGraceMs ?? DEFAULT_FINISH_GRACE_MS);
    }
  };

  if (pid !== undefined) {
    queue.push({ kind: "lifecycle", phase: "started", detail: `pid ${pid}` });
    const splitters = {
      stdout: new LineSplitter((line) => mapLine((l) => mapper.stdout(l), line), spec.maxStdoutLine),
      stderr: new LineSplitter((line) => mapLine((l) => mapper.stderr(l), line)),
    };
    subprocess.stdout.on("data", (chunk: Buffer) => splitters.stdout.push(chunk));
    subprocess.stdout.on("end", () => {
      splitters.stdout.end();
      // What the mapper still holds (a message cut off by the process dying) is not lost.
      if (mapper.end) mapLine(() => mapper.end?.() ?? [], "");
    });
    subprocess.stderr.on("data", (chunk: Buffer) => splitters.stderr.push(chunk));
    subprocess.stderr.on("end", () => splitters.stderr.end());
    // Stragglers (a backgrounded grandchild) would hold the pipes open and outlive the attempt.
    subprocess.once("exit", () => void killTree());
    // A process that exits before reading all of its input closes the pipe: not our error.
    subprocess.stdin?.on("error", () => {});
  }

  const outcome = subprocess.then(async (result): Promise<AgentOutcome> => {
    exited = true;
    if (timer) clearTimeout(timer);
    idle.stop();
    if (finishTimer) clearTimeout(finishTimer);
    // The contract promises the tree is gone: a straggler that closed its pipes may outlive the leader.
    if (pid !== undefined) await killTree();
    done = true;
    const exitCode = typeof result.exitCode === "number" ? result.exitCode : null;
    const signal = result.signal ?? null;
    const durationMs = Date.now() - startedAt;
    if (pid === undefined) {
      const error = `could not start ${JSON.stringify(spec.command)}: ${result.originalMessage || result.shortMessage}`.slice(0, 2000);
      queue.push({ kind: "error", message: error });
      queue.close();
      return failedOutcome(error, durationMs, "bad_config");
    }
    queue.push({ kind: "lifecycle", phase: "exited", detail: signal ? `signal ${signal}` : `exit code ${exitCode}` });
    queue.close();
    const finalStop: Stop | null = stop;
    const sessionId = mapper.sessionId();
    const usage = mapper.usage();
    if (finalStop?.kind === "cancel") {
      const error = `cancelled: ${finalStop.reason}`.slice(0, 2000);
      const failure: Failure = { kind: "cancelled", message: error, retryAt: null };
      return { status: "cancelled", exit: { exitCode, signal, error, durationMs }, sessionId, usage, failure };
    }
    if (finalStop?.kind === "timeout") {
      const error = timeoutMessage(finalStop.watchdog, finalStop.ms);
      const failure: Failure = { kind: "timeout", message: error, retryAt: null };
      return { status: "failed", exit: { exitCode, signal, error, durationMs }, sessionId, usage, failure };
    }
    const verdict = mapper.verdict({ exitCode, signal, stoppedAfterFinish: finalStop?.kind === "finished" });
    const error = verdict.error?.slice(0, 2000) ?? null;
    const failure: Failure | null =
      verdict.status === "succeeded"
        ? null
        : { kind: verdict.kind ?? "agent_error", message: error ?? describeExit(exitCode, signal), retryAt: verdict.retryAt ?? null };
    return { status: verdict.status, exit: { exitCode, signal, error, durationMs }, sessionId, usage, failure };
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

/** Says which watchdog fired, so a person knows which limit to raise. */
function timeoutMessage(watchdog: Watchdog, ms: number): string {
  const s = Math.round(ms / 100) / 10;
  return watchdog === "idle"
    ? `idle watchdog: no output for ${s}s, so the agent was stopped (raise idleTimeoutSeconds if it needs longer silences)`
    : `timeout watchdog: still running after ${s}s, so the agent was stopped (raise timeoutSeconds if it needs longer)`;
}

function describeExit(exitCode: number | null, signal: string | null): string {
  return signal ? `the agent was ended by signal ${signal}` : `the agent exited with code ${exitCode}`;
}

function failedOutcome(error: string, durationMs: number, kind: FailureKind): AgentOutcome {
  const failure: Failure = { kind, message: error, retryAt: null };
  return { status: "failed", exit: { exitCode: null, signal: null, error, durationMs }, sessionId: null, usage: null, failure };
}

/** Fires once when `touch()` has not been called for `ms`; re-armed lazily so output costs no timer churn. */
class IdleWatchdog {
  private last = Date.now();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly ms: number | null,
    private readonly fire: (ms: number) => void,
  ) {
    if (ms !== null) this.arm(ms);
  }

  touch(): void {
    this.last = Date.now();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(delay: number): void {
    this.timer = setTimeout(() => {
      const ms = this.ms ?? 0;
      const quiet = Date.now() - this.last;
      if (quiet >= ms) this.fire(ms);
      else this.arm(ms - quiet);
    }, delay);
  }
}

/** An attempt whose process could not even be created (execa rejected the options). */
function notStarted(command: string, message: string, startedAt: number): RunningAgent {
  const error = `could not start ${JSON.stringify(command)}: ${message}`.slice(0, 2000);
  const events: AgentEvent[] = [{ kind: "error", message: error }];
  return {
    events: (async function* () {
      yield* events;
    })(),
    outcome: Promise.resolve(failedOutcome(error, Date.now() - startedAt, "bad_config")),
    cancel: () => {},
    killNow: () => {},
  };
}
