/**
 * The `claude` runtime: runs Claude Code headless for an attempt,
 * `claude -p --output-format stream-json --verbose` with the prompt on stdin, and maps each JSON
 * line through claude-parser.ts. The `result` event decides the outcome (success only when
 * `is_error` is false) and ends the run: a process that lingers after it is stopped.
 * The registry makes one adapter; process handling is agent-process.ts.
 */
import type { AgentEvent, Usage } from "@multica/shared";
import { withMcpEnv } from "../mcp/mcp-attach";
import type { AgentStartContext, RunningAgent } from "./adapter";
import { type LineMapper, type ProcessExit, type RunVerdict, startAgentProcess } from "./agent-process";
import { AgentCliAdapter, type AgentRunSettings, type AgentCliOptions, type ProtocolFlags, StderrTail } from "./cli-adapter";
import { type ClaudeApiSignal, parseClaudeEvent, parseClaudeLine, readApiSignal } from "./claude-parser";
import { type FailureClass, classOfHttpStatus, classifyFailureText, failedVerdict, findResetTime } from "./rate-limit";

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
  buildArgs(ctx: Pick<AgentStartContext, "resumeSessionId" | "mcp"> & AgentRunSettings): string[] {
    const o = this.options;
    const args = ["-p", "--output-format", "stream-json", "--verbose"];
    args.push("--permission-mode", o.permissionMode ?? "bypassPermissions");
    const model = this.modelFor(ctx);
    if (model) args.push("--model", model);
    if (o.mcpConfigPath) args.push("--mcp-config", o.mcpConfigPath);
    if (ctx.mcp) args.push(...ctx.mcp.args);
    if (ctx.resumeSessionId) args.push("--resume", ctx.resumeSessionId);
    return [...args, ...this.argsFor(ctx)];
  }

  start(ctx: AgentStartContext): RunningAgent {
    const o = this.options;
    const asRoot = o.runningAsRoot ?? process.getuid?.() === 0;
    const env: Record<string, string> = { ...o.baseEnv, ...this.envFor(ctx), PWD: ctx.workDir };
    // As root, Claude Code refuses to skip permission prompts outside a declared sandbox.
    if (asRoot && (o.permissionMode ?? "bypassPermissions") === "bypassPermissions") env.IS_SANDBOX = "1";
    return startAgentProcess({
      command: this.binary,
      args: this.buildArgs(ctx),
      env: withMcpEnv(env, ctx.mcp),
      cwd: ctx.workDir,
      // Written then closed: an open stdin pipe makes agent CLIs wait for more input.
      stdin: ctx.prompt,
      mapper: new ClaudeLineMapper(),
      cancelGraceMs: o.cancelGraceMs,
      ...this.watchdogs(ctx),
      finishGraceMs: FINISH_GRACE_MS,
      maxStdoutLine: MAX_JSON_LINE,
    });
  }
}

/** Claude Code's `error` classes on a failed call's message that say the run cannot go on for now, or at all. */
const ERROR_CLASSES = new Map<string, FailureClass["kind"]>([
  ["rate_limit", "rate_limit"],
  ["billing_error", "rate_limit"],
  ["authentication_failed", "bad_config"],
  ["oauth_org_not_allowed", "bad_config"],
  ["model_not_found", "bad_config"],
]);

/**
 * Per-attempt state: the session, the final result, what the API said about a failed call (its
 * status, Claude Code's error class, a rejected usage window), and the last stderr lines.
 */
export class ClaudeLineMapper implements LineMapper {
  private session: string | null = null;
  private result: Extract<AgentEvent, { kind: "result" }> | null = null;
  private readonly stderrTail = new StderrTail();
  private api: ClaudeApiSignal = {};
  /** When the result arrived: "resets in 5m" counts from then. */
  private resultAt: number | null = null;

  /** `now`: the clock, for tests. */
  constructor(private readonly now: () => number = Date.now) {}

  stdout(line: string): AgentEvent[] {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return parseClaudeLine(line);
    }
    const signal = readApiSignal(value);
    if (signal) this.api = { ...this.api, ...signal };
    const events = parseClaudeEvent(value);
    for (const e of events) {
      if (e.kind === "session") this.session = e.sessionId;
      if (e.kind === "result") {
        this.result = e;
        this.resultAt = this.now();
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
    if (r) return failedVerdict(`claude reported an error: ${r.summary || "(no message)"}`, this.classify(r.summary));
    const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.exitCode}`;
    const tail = this.stderrTail.suffix();
    return failedVerdict(`the agent ended without a result (${how})${tail}`, this.classify(this.stderrTail.text()));
  }

  /**
   * The result's HTTP status and the error class of Claude Code's message decide; the text only
   * when neither says. A subscription's rejected usage window gives the exact reset time; an API
   * key's 429 does not reach the output (only the provider's message does).
   */
  private classify(text: string): FailureClass | null {
    const now = this.resultAt ?? this.now();
    const window = this.api.rateLimit?.rejected ? this.api.rateLimit : null;
    const byApi = classOfHttpStatus(this.api.status ?? null) ?? ERROR_CLASSES.get(this.api.errorClass ?? "") ?? null;
    const kind = byApi ?? classifyFailureText(text, now)?.kind ?? (window ? "rate_limit" : null);
    if (kind !== "rate_limit") return kind === null ? null : { kind };
    return { kind, retryAt: window?.resetsAt ?? findResetTime(text, now) };
  }

  sessionId(): string | null {
    return this.session;
  }

  usage(): Usage | null {
    return this.result?.usage ?? null;
  }
}
