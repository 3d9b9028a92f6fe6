/**
 * The `codex` runtime: runs OpenAI Codex headless for an attempt,
 * `codex exec --json --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox -C <workDir> … -`
 * with the prompt on stdin (then closed), or `codex exec … resume <threadId> -` to continue a
 * thread. Each JSON line goes through codex-parser.ts; a completed turn is success, a failed turn
 * or a run that ends without one is failure. Checked against @openai/codex 0.169.
 * The registry makes one adapter; process handling is agent-process.ts.
 */
import type { AgentEvent, RuntimeInfo, TokenUsage, Usage } from "@multica/shared";
import { execa } from "execa";
import type { Logger } from "../log";
import type { AgentAdapter, AgentStartContext, RunningAgent } from "./adapter";
import { type LineMapper, type ProcessExit, type RunVerdict, startAgentProcess } from "./agent-process";
import type { DroppedArg } from "./claude";
import { CodexParser } from "./codex-parser";
import { findExecutable } from "./command";

/** JSON lines can carry whole command outputs and patches; longer lines are passed on as plain output. */
const MAX_JSON_LINE = 8 * 1024 * 1024;
/** How long `codex` may linger after its turn completed or failed before its tree is stopped. */
const FINISH_GRACE_MS = 2000;
/** How long `codex --version` may take in detect(). */
const DETECT_TIMEOUT_MS = 10_000;
/** Stderr lines kept to explain a run that ended without a completed turn. */
const STDERR_TAIL = 5;
/** Threads whose cumulative usage is remembered for resumes; the oldest is forgotten first. */
const MAX_THREADS = 256;

export interface CodexAdapterOptions {
  /** The runner's environment for child processes (config.childEnv). */
  baseEnv: Record<string, string>;
  /** The `codex` executable: a name looked up on PATH, or a path. Default "codex". */
  binary?: string;
  /** Extra environment for this runtime, on top of baseEnv. */
  env?: Record<string, string>;
  /** Extra CLI arguments for `codex exec`; protocol flags among them are dropped (see `droppedArgs`). */
  extraArgs?: string[];
  /** `-m`; null or absent for the CLI's default. */
  model?: string | null;
  /**
   * Config overrides passed before the extra args, e.g. a custom model provider:
   * `["-c", "model_provider=mine", "-c", "model_providers.mine.base_url=…"]`. Passed as given.
   */
  providerArgs?: string[];
  /** Time between SIGTERM and SIGKILL when stopping the process tree. */
  cancelGraceMs: number;
  /** Wall-clock limit per attempt; null for none. Codex retries forever when it cannot connect. */
  timeoutMs: number | null;
  /** Where refused extra args are reported (once, at construction). */
  log?: Pick<Logger, "warn">;
}

/** Flags and words the adapter owns: the output protocol, the subcommand and the thread depend on them. */
const PROTOCOL_ARGS: Record<string, { takesValue: boolean; reason: string }> = {
  "--json": { takesValue: false, reason: "the runner always parses codex's JSON lines (--json)" },
  exec: { takesValue: false, reason: "the runner always runs `codex exec`" },
  e: { takesValue: false, reason: "the runner always runs `codex exec`" },
  resume: { takesValue: false, reason: "the runner resumes threads itself (resumeSessionId)" },
  "--last": { takesValue: false, reason: "the runner resumes threads itself (resumeSessionId)" },
  "-C": { takesValue: true, reason: "the runner sets the working directory to the attempt's work dir" },
  "--cd": { takesValue: true, reason: "the runner sets the working directory to the attempt's work dir" },
};

/** Splits extra args into the ones kept and the protocol flags (with their values) dropped. */
export function filterCodexArgs(args: readonly string[]): { kept: string[]; dropped: DroppedArg[] } {
  const kept: string[] = [];
  const dropped: DroppedArg[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const [name, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), true] : [arg, false];
    const flag = PROTOCOL_ARGS[name];
    if (!flag) {
      kept.push(arg);
      continue;
    }
    const value = flag.takesValue && !inline && i + 1 < args.length ? args[++i] : undefined;
    dropped.push({ arg: value === undefined ? arg : `${arg} ${value}`, reason: flag.reason });
  }
  return { kept, dropped };
}

export class CodexAdapter implements AgentAdapter {
  readonly key = "codex";
  /** Extra args the adapter refused, with why; the registry should log them once. */
  readonly droppedArgs: readonly DroppedArg[];
  private readonly extraArgs: string[];
  private readonly binary: string;
  /**
   * Each thread's cumulative usage after its last run here: Codex reports usage per thread, so a
   * resumed run subtracts it. Lost on restart, when a resumed run reports the thread's total.
   */
  private readonly threadUsage = new Map<string, TokenUsage>();

  constructor(private readonly options: CodexAdapterOptions) {
    const { kept, dropped } = filterCodexArgs(options.extraArgs ?? []);
    this.extraArgs = kept;
    this.droppedArgs = dropped;
    for (const d of dropped) options.log?.warn(`codex: ignoring extra argument ${JSON.stringify(d.arg)}: ${d.reason}`);
    this.binary = options.binary ?? "codex";
  }

  /** Available when the binary is found; its version from `codex --version` ("codex-cli 0.169.0"). */
  async detect(): Promise<RuntimeInfo | null> {
    const path = findExecutable(this.binary, this.options.baseEnv.PATH ?? "");
    if (!path) return null;
    const result = await execa(path, ["--version"], {
      stdin: "ignore",
      env: { ...this.options.baseEnv, ...this.options.env },
      extendEnv: false,
      timeout: DETECT_TIMEOUT_MS,
      reject: false,
      maxBuffer: 64 * 1024,
    });
    const version = /\d+\.\d+\.\d+[^\s]*/.exec(String(result.stdout ?? ""))?.[0] ?? null;
    return { key: this.key, version };
  }

  /** The argument list for one attempt (exported for tests and logs); the prompt goes on stdin ("-"). */
  buildArgs(ctx: Pick<AgentStartContext, "resumeSessionId" | "workDir">): string[] {
    const o = this.options;
    // The work dir is the isolation: nobody is there to approve commands, and the sandbox would
    // refuse writes the task needs.
    const args = ["exec", "--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "-C", ctx.workDir];
    if (o.model) args.push("-m", o.model);
    args.push(...(o.providerArgs ?? []), ...this.extraArgs);
    if (ctx.resumeSessionId) args.push("resume", ctx.resumeSessionId);
    // "-" reads the prompt from stdin: no argv length limit, and a prompt starting with "-" is no flag.
    args.push("-");
    return args;
  }

  start(ctx: AgentStartContext): RunningAgent {
    const o = this.options;
    const previousUsage = ctx.resumeSessionId ? (this.threadUsage.get(ctx.resumeSessionId) ?? null) : null;
    const mapper = new CodexLineMapper(previousUsage);
    const run = startAgentProcess({
      command: this.binary,
      args: this.buildArgs(ctx),
      env: { ...o.baseEnv, ...o.env, PWD: ctx.workDir },
      cwd: ctx.workDir,
      // Written then closed: codex waits on an open stdin pipe.
      stdin: ctx.prompt,
      mapper,
      cancelGraceMs: o.cancelGraceMs,
      timeoutMs: o.timeoutMs,
      finishGraceMs: FINISH_GRACE_MS,
      maxStdoutLine: MAX_JSON_LINE,
    });
    void run.outcome.then(() => this.rememberUsage(mapper));
    return run;
  }

  private rememberUsage(mapper: CodexLineMapper): void {
    const thread = mapper.sessionId();
    const cumulative = mapper.cumulativeUsage();
    if (thread === null || cumulative === null) return;
    this.threadUsage.delete(thread);
    this.threadUsage.set(thread, cumulative);
    const oldest = this.threadUsage.keys().next();
    if (this.threadUsage.size > MAX_THREADS && !oldest.done) this.threadUsage.delete(oldest.value);
  }
}

/** Per-attempt state: the parser (session, turns, usage) and the last stderr lines. */
export class CodexLineMapper implements LineMapper {
  private readonly parser: CodexParser;
  private readonly stderrTail: string[] = [];

  /** `previousUsage`: the thread's cumulative usage before this run, when it resumes one. */
  constructor(previousUsage: TokenUsage | null = null) {
    this.parser = new CodexParser({ previousUsage });
  }

  stdout(line: string): AgentEvent[] {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return line.trim() === "" ? [] : [{ kind: "output", stream: "stdout", text: line }];
    }
    return this.parser.parse(json);
  }

  stderr(line: string): AgentEvent[] {
    if (line.trim() !== "") {
      this.stderrTail.push(line.slice(0, 400));
      if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
    }
    return [{ kind: "output", stream: "stderr", text: line }];
  }

  finished(): boolean {
    return this.parser.final().sawResult;
  }

  verdict(exit: ProcessExit): RunVerdict {
    const final = this.parser.final();
    if (final.sawResult && !final.isError) return { status: "succeeded", error: null };
    if (final.error !== null) return { status: "failed", error: `codex reported an error: ${final.error}` };
    const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.exitCode}`;
    const tail = this.stderrTail.length > 0 ? `; stderr: ${this.stderrTail.join(" | ")}` : "";
    return { status: "failed", error: `codex ended without completing a turn (${how})${tail}` };
  }

  sessionId(): string | null {
    return this.parser.final().sessionId;
  }

  usage(): Usage | null {
    return this.parser.final().usage;
  }

  /** The thread's cumulative usage after this run, for the next resume. */
  cumulativeUsage(): TokenUsage | null {
    return this.parser.cumulativeUsage();
  }
}
