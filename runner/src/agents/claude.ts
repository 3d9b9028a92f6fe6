/**
 * The `claude` runtime: runs Claude Code headless for an attempt,
 * `claude -p --output-format stream-json --verbose` with the prompt on stdin, and maps each JSON
 * line through claude-parser.ts. The `result` event decides the outcome (success only when
 * `is_error` is false) and ends the run: a process that lingers after it is stopped.
 * The registry makes one adapter; process handling is agent-process.ts.
 */
import type { AgentEvent, Usage } from "@multica/shared";
import type { AgentStartContext, RunningAgent } from "./adapter";
import { type LineMapper, type ProcessExit, type RunVerdict, startAgentProcess } from "./agent-process";
import { AgentCliAdapter, type AgentCliOptions, type ProtocolFlags, StderrTail } from "./cli-adapter";
import { parseClaudeLine } from "./claude-parser";

/** Stream-json lines can carry whole files (Read, Write); longer lines are passed on as plain output. */
const MAX_JSON_LINE = 8 * 1024 * 1024;
/** How long `claude` may linger after its `result` event before its tree is stopped. */
const FINISH_GRACE_MS = 2000;
/** How long `claude --version` may take in detect(). */
const DETECT_TIMEOUT_MS = 10_000;

export interface ClaudeAdapterOptions extends AgentCliOptions {
  /** `--model`; null or absent for the CLI's default. */
  model?: string | null;
  /** `--permission-mode`; default "bypassPermissions" (nobody is there to approve tools). */
  permissionMode?: string;
  /** `--mcp-config` file path; null or absent for none. */
  mcpConfigPath?: string | null;
  /** Whether the runner runs as root (bypassPermissions then needs IS_SANDBOX=1). Default: process.getuid() === 0. */
  runningAsRoot?: boolean;
}

/** Flags the adapter owns: the output protocol and the session depend on them. */
export const CLAUDE_PROTOCOL_FLAGS: ProtocolFlags = {
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

export class ClaudeAdapter extends AgentCliAdapter<ClaudeAdapterOptions> {
  constructor(options: ClaudeAdapterOptions) {
    super(options, { key: "claude", protocolFlags: CLAUDE_PROTOCOL_FLAGS, detectTimeoutMs: DETECT_TIMEOUT_MS });
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
  private readonly stderrTail = new StderrTail();

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
    this.stderrTail.push(line);
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
    const tail = this.stderrTail.suffix();
    return { status: "failed", error: `the agent ended without a result (${how})${tail}` };
  }

  sessionId(): string | null {
    return this.session;
  }

  usage(): Usage | null {
    return this.result?.usage ?? null;
  }
}
