/**
 * The `claude` runtime: runs Claude Code headless for an attempt,
 * `claude -p --output-format stream-json --verbose` with the prompt on stdin, and maps each JSON
 * line through claude-parser.ts. The `result` event decides the outcome (success only when
 * `is_error` is false) and ends the run: a process that lingers after it is stopped.
 * The registry makes one adapter; process handling is agent-process.ts.
 */
import type { AgentEvent, RuntimeInfo, Usage } from "@multica/shared";
import { execa } from "execa";
import type { Logger } from "../log";
import type { AgentAdapter, AgentStartContext, RunningAgent } from "./adapter";
import { type LineMapper, type ProcessExit, type RunVerdict, startAgentProcess } from "./agent-process";
import { parseClaudeLine } from "./claude-parser";
import { findExecutable } from "./command";

/** Stream-json lines can carry whole files (Read, Write); longer lines are passed on as plain output. */
const MAX_JSON_LINE = 8 * 1024 * 1024;
/** How long `claude` may linger after its `result` event before its tree is stopped. */
const FINISH_GRACE_MS = 2000;
/** How long `claude --version` may take in detect(). */
const DETECT_TIMEOUT_MS = 10_000;
/** Stderr lines kept to explain a run that ended without a result. */
const STDERR_TAIL = 5;

export interface ClaudeAdapterOptions {
  /** The runner's environment for child processes (config.childEnv). */
  baseEnv: Record<string, string>;
  /** The `claude` executable: a name looked up on PATH, or a path. Default "claude". */
  binary?: string;
  /** Extra environment for this runtime, on top of baseEnv. */
  env?: Record<string, string>;
  /** Extra CLI arguments; protocol flags among them are dropped (see `droppedArgs`). */
  extraArgs?: string[];
  /** `--model`; null or absent for the CLI's default. */
  model?: string | null;
  /** `--permission-mode`; default "bypassPermissions" (nobody is there to approve tools). */
  permissionMode?: string;
  /** `--mcp-config` file path; null or absent for none. */
  mcpConfigPath?: string | null;
  /** Time between SIGTERM and SIGKILL when stopping the process tree. */
  cancelGraceMs: number;
  /** Wall-clock limit per attempt; null for none. */
  timeoutMs: number | null;
  /** Where refused extra args are reported (once, at construction). */
  log?: Pick<Logger, "warn">;
  /** Whether the runner runs as root (bypassPermissions then needs IS_SANDBOX=1). Default: process.getuid() === 0. */
  runningAsRoot?: boolean;
}

/** Flags the adapter owns: the output protocol and the session depend on them. */
const PROTOCOL_FLAGS: Record<string, { takesValue: boolean; reason: string }> = {
  "-p": { takesValue: false, reason: "the runner always runs claude headless (-p)" },
  "--print": { takesValue: false, reason: "the runner always runs claude headless (-p)" },
  "--output-format": { takesValue: true, reason: "the runner parses stream-json output" },
  "--input-format": { takesValue: true, reason: "the runner sends the prompt as text on stdin" },
  "--verbose": { takesValue: false, reason: "stream-json needs --verbose, which the runner always sets" },
  "--resume": { takesValue: true, reason: "the runner resumes sessions itself (resumeSessionId)" },
  "-r": { takesValue: true, reason: "the runner resumes sessions itself (resumeSessionId)" },
  "--continue": { takesValue: false, reason: "the runner resumes sessions itself (resumeSessionId)" },
  "-c": { takesValue: false, reason: "the runner resumes sessions itself (resumeSessionId)" },
};

export interface DroppedArg {
  arg: string;
  reason: string;
}

/** Splits extra args into the ones kept and the protocol flags (with their values) dropped. */
export function filterExtraArgs(args: readonly string[]): { kept: string[]; dropped: DroppedArg[] } {
  const kept: string[] = [];
  const dropped: DroppedArg[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const [name, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), true] : [arg, false];
    const flag = PROTOCOL_FLAGS[name];
    if (!flag) {
      kept.push(arg);
      continue;
    }
    const value = flag.takesValue && !inline && i + 1 < args.length ? args[++i] : undefined;
    dropped.push({ arg: value === undefined ? arg : `${arg} ${value}`, reason: flag.reason });
  }
  return { kept, dropped };
}

export class ClaudeAdapter implements AgentAdapter {
  readonly key = "claude";
  /** Extra args the adapter refused, with why; the registry should log them once. */
  readonly droppedArgs: readonly DroppedArg[];
  private readonly extraArgs: string[];
  private readonly binary: string;

  constructor(private readonly options: ClaudeAdapterOptions) {
    const { kept, dropped } = filterExtraArgs(options.extraArgs ?? []);
    this.extraArgs = kept;
    this.droppedArgs = dropped;
    for (const d of dropped) options.log?.warn(`claude: ignoring extra argument ${JSON.stringify(d.arg)}: ${d.reason}`);
    this.binary = options.binary ?? "claude";
  }

  /** Available when the binary is found; its version from `claude --version` ("2.1.197 (Claude Code)"). */
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

  /** The argument list for one attempt (exported for tests and logs). */
  buildArgs(ctx: Pick<AgentStartContext, "resumeSessionId">): string[] {
    const o = this.options;
    const args = ["-p", "--output-format", "stream-json", "--verbose"];
    args.push("--permission-mode", o.permissionMode ?? "bypassPermissions");
    if (o.model) args.push("--model", o.model);
    if (o.mcpConfigPath) args.push("--mcp-config", o.mcpConfigPath);
    if (ctx.resumeSessionId) args.push("--resume", ctx.resumeSessionId);
    return [...args, ...this.extraArgs];
  }

  start(ctx: AgentStartContext): RunningAgent {
    const o = this.options;
    const asRoot = o.runningAsRoot ?? process.getuid?.() === 0;
    const env: Record<string, string> = { ...o.baseEnv, ...o.env, PWD: ctx.workDir };
    // As root, Claude Code refuses to skip permission prompts outside a declared sandbox.
    if (asRoot && (o.permissionMode ?? "bypassPermissions") === "bypassPermissions") env.IS_SANDBOX = "1";
    return startAgentProcess({
      command: this.binary,
      args: this.buildArgs(ctx),
      env,
      cwd: ctx.workDir,
      // Written then closed: an open stdin pipe makes agent CLIs wait for more input.
      stdin: ctx.prompt,
      mapper: new ClaudeLineMapper(),
      cancelGraceMs: o.cancelGraceMs,
      timeoutMs: o.timeoutMs,
      finishGraceMs: FINISH_GRACE_MS,
      maxStdoutLine: MAX_JSON_LINE,
    });
  }
}

/** Per-attempt state: the session, the final result, and the last stderr lines. */
export class ClaudeLineMapper implements LineMapper {
  private session: string | null = null;
  private result: Extract<AgentEvent, { kind: "result" }> | null = null;
  private readonly stderrTail: string[] = [];

  stdout(line: string): AgentEvent[] {
    const events = parseClaudeLine(line);
    for (const e of events) {
      if (e.kind === "session") this.session = e.sessionId;
      if (e.kind === "result") {
        this.result = e;
        if (e.sessionId) this.session = e.sessionId;
      }
    }
    return events;
  }

  stderr(line: string): AgentEvent[] {
    if (line.trim() !== "") {
      this.stderrTail.push(line.slice(0, 400));
      if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
    }
    return [{ kind: "output", stream: "stderr", text: line }];
  }

  finished(): boolean {
    return this.result !== null;
  }

  verdict(exit: ProcessExit): RunVerdict {
    const r = this.result;
    if (r && !r.isError) return { status: "succeeded", error: null };
    if (r) return { status: "failed", error: `claude reported an error: ${r.summary || "(no message)"}` };
    const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.exitCode}`;
    const tail = this.stderrTail.length > 0 ? `; stderr: ${this.stderrTail.join(" | ")}` : "";
    return { status: "failed", error: `the agent ended without a result (${how})${tail}` };
  }

  sessionId(): string | null {
    return this.session;
  }

  usage(): Usage | null {
    return this.result?.usage ?? null;
  }
}
