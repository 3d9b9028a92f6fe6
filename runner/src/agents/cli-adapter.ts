/**
 * What every agent-CLI adapter (claude.ts, codex.ts, gemini.ts, …) shares: the per-runtime
 * settings from the config file, refusing extra args that would break the protocol, detecting the
 * binary and its version, and keeping the last stderr lines to explain a run that ended badly.
 * Each adapter subclasses `AgentCliAdapter` and adds how to build its arguments and map its output.
 */
import type { RuntimeInfo } from "@multica/shared";
import { execa } from "execa";
import type { Logger } from "../log";
import type { AgentAdapter, AgentStartContext, RunningAgent } from "./adapter";
import { findExecutable } from "./command";

/** Settings every agent CLI runtime takes (config file `agents.<cli>`). */
export interface AgentCliOptions {
  /** The runner's environment for child processes (config.childEnv). */
  baseEnv: Record<string, string>;
  /** The executable: a name looked up on PATH, or a path. Defaults to the CLI's own name. */
  binary?: string;
  /** Extra environment for this runtime, on top of baseEnv. */
  env?: Record<string, string>;
  /** Extra CLI arguments; protocol flags among them are dropped (see `droppedArgs`). */
  extraArgs?: string[];
  /** The model flag; null or absent for the adapter's default. */
  model?: string | null;
  /** Time between SIGTERM and SIGKILL when stopping the process tree. */
  cancelGraceMs: number;
  /** Wall-clock limit per attempt; null for none. */
  timeoutMs: number | null;
  /** Longest silence before the idle watchdog stops an attempt; null for DEFAULT_IDLE_TIMEOUT_MS. */
  idleTimeoutMs?: number | null;
  /** A directory of the runner's where an adapter may keep state across restarts; null for none. */
  stateDir?: string | null;
  /** Where refused extra args are reported (once, at construction). */
  log?: Pick<Logger, "warn">;
}

/**
 * An agent CLI that prints nothing for this long is taken as hung. Long enough for a slow model
 * turn or a quiet build step the agent waits on; agents and the runner config can change it.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 15 * 60_000;

/** Flags an adapter owns, with whether they take a value and why a user may not set them. */
export type ProtocolFlags = Record<string, { takesValue: boolean; reason: string }>;

export interface DroppedArg {
  arg: string;
  reason: string;
}

/** Splits extra args into the ones kept and the protocol flags (with their values) dropped. */
export function filterExtraArgs(args: readonly string[], flags: ProtocolFlags): { kept: string[]; dropped: DroppedArg[] } {
  const kept: string[] = [];
  const dropped: DroppedArg[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const [name, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), true] : [arg, false];
    const flag = flags[name];
    if (!flag) {
      kept.push(arg);
      continue;
    }
    const value = flag.takesValue && !inline && i + 1 < args.length ? args[++i] : undefined;
    dropped.push({ arg: value === undefined ? arg : `${arg} ${value}`, reason: flag.reason });
  }
  return { kept, dropped };
}

/** What of an attempt's context decides its model, args and env (the agent part is optional in tests). */
export type AgentRunSettings = { agent?: Partial<Pick<AgentStartContext["agent"], "model" | "extraArgs" | "env">> };

/** How a CLI is identified and which of its flags are off limits. */
export interface AgentCliSpec {
  key: string;
  protocolFlags: ProtocolFlags;
  /** How long `<cli> --version` may take in detect() (some load large bundles). */
  detectTimeoutMs: number;
}

export abstract class AgentCliAdapter<O extends AgentCliOptions = AgentCliOptions> implements AgentAdapter {
  readonly key: string;
  /** Extra args the adapter refused, with why (logged once at construction). */
  readonly droppedArgs: readonly DroppedArg[];
  protected readonly extraArgs: string[];
  protected readonly binary: string;

  constructor(
    protected readonly options: O,
    private readonly spec: AgentCliSpec,
  ) {
    this.key = spec.key;
    const { kept, dropped } = filterExtraArgs(options.extraArgs ?? [], spec.protocolFlags);
    this.extraArgs = kept;
    this.droppedArgs = dropped;
    for (const d of dropped) options.log?.warn(`${spec.key}: ignoring extra argument ${JSON.stringify(d.arg)}: ${d.reason}`);
    this.binary = options.binary ?? spec.key;
  }

  /** Available when the binary is found; its version is the first x.y.z in `--version` output. */
  async detect(): Promise<RuntimeInfo | null> {
    const path = findExecutable(this.binary, this.options.baseEnv.PATH ?? "");
    if (!path) return null;
    const result = await execa(path, ["--version"], {
      stdin: "ignore",
      env: { ...this.options.baseEnv, ...this.options.env },
      extendEnv: false,
      timeout: this.spec.detectTimeoutMs,
      reject: false,
      maxBuffer: 64 * 1024,
    });
    const version = /\d+\.\d+\.\d+[^\s]*/.exec(String(result.stdout ?? ""))?.[0] ?? null;
    return { key: this.key, version };
  }

  abstract start(ctx: AgentStartContext): RunningAgent;

  /** The model for one attempt: the agent's own (set in the workspace) first, then this runtime's. */
  protected modelFor(ctx: AgentRunSettings): string | null {
    return ctx.agent?.model ?? this.options.model ?? null;
  }

  /** Extra args: the runtime's, then the agent's (protocol flags among them dropped, as for the runtime's). */
  protected argsFor(ctx: AgentRunSettings): string[] {
    const own = ctx.agent?.extraArgs ?? [];
    return own.length === 0 ? this.extraArgs : [...this.extraArgs, ...filterExtraArgs(own, this.spec.protocolFlags).kept];
  }

  /** Environment on top of the runner's: the runtime's settings, then the agent's. */
  protected envFor(ctx: AgentRunSettings): Record<string, string> {
    return { ...this.options.env, ...(ctx.agent?.env ?? {}) };
  }

  /** The watchdogs for one attempt: the agent's own limits first, then this runtime's settings. */
  protected watchdogs(ctx: AgentStartContext): { timeoutMs: number | null; idleTimeoutMs: number | null } {
    return {
      timeoutMs: ctx.limits?.timeoutMs ?? this.options.timeoutMs,
      idleTimeoutMs: ctx.limits?.idleTimeoutMs ?? this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
    };
  }
}

/** The last few non-empty stderr lines of a run, to explain a failure. */
export class StderrTail {
  private readonly lines: string[] = [];

  constructor(private readonly keep = 5) {}

  push(line: string): void {
    if (line.trim() === "") return;
    this.lines.push(line.slice(0, 400));
    if (this.lines.length > this.keep) this.lines.shift();
  }

  /** "; stderr: a | b", or "" when there was none. */
  suffix(): string {
    return this.lines.length > 0 ? `; stderr: ${this.lines.join(" | ")}` : "";
  }

  /** All kept lines joined, for classifiers. */
  text(): string {
    return this.lines.join("\n");
  }
}
