/**
 * The `codex` runtime: runs OpenAI Codex headless for an attempt,
 * `codex exec --json --skip-git-repo-check --dangerously-bypass-approvals-and-sandbox -C <workDir> … -`
 * with the prompt on stdin (then closed), or `codex exec … resume <threadId> -` to continue a
 * thread. Each JSON line goes through codex-parser.ts; a completed turn is success, a failed turn
 * or a run that ends without one is failure. Checked against @openai/codex 0.169.
 * The registry makes one adapter; process handling is agent-process.ts.
 */
import { join } from "node:path";
import type { AgentEvent, TokenUsage, Usage } from "@multica/shared";
import { withMcpEnv } from "../mcp/mcp-attach";
import type { AgentStartContext, RunningAgent } from "./adapter";
import { type LineMapper, type ProcessExit, type RunVerdict, startAgentProcess } from "./agent-process";
import { SessionUsage } from "./session-usage";
import { AgentCliAdapter, type AgentRunSettings, type AgentCliOptions, type ProtocolFlags, StderrTail } from "./cli-adapter";
import { CodexParser } from "./codex-parser";
import { parseJsonLine, plainOutput } from "./line-parser";
import { classifyFailureText, failedVerdict } from "./rate-limit";

/** JSON lines can carry whole command outputs and patches; longer lines are passed on as plain output. */
const MAX_JSON_LINE = 8 * 1024 * 1024;
/** How long `codex` may linger after its turn completed or failed before its tree is stopped. */
const FINISH_GRACE_MS = 2000;
/** How long `codex --version` may take in detect(). */
const DETECT_TIMEOUT_MS = 10_000;
/** Threads whose cumulative usage is remembered for resumes; the oldest is forgotten first. */
const MAX_THREADS = 256;

export interface CodexAdapterOptions extends AgentCliOptions {
  /** Extra CLI arguments for `codex exec`; protocol flags among them are dropped (see `droppedArgs`). */
  extraArgs?: string[];
  /** `-m`; null or absent for the CLI's default. */
  model?: string | null;
  /**
   * Config overrides passed before the extra args, e.g. a custom model provider:
   * `["-c", "model_provider=mine", "-c", "model_providers.mine.base_url=…"]`. Passed as given.
   */
  providerArgs?: string[];
  /** Wall-clock limit per attempt; null for none. Codex retries forever when it cannot connect. */
  timeoutMs: number | null;
}

/** Flags and words the adapter owns: the output protocol, the subcommand and the thread depend on them. */
export const CODEX_PROTOCOL_ARGS: ProtocolFlags = {
  "--json": { takesValue: false, reason: "the runner always parses codex's JSON lines (--json)" },
  exec: { takesValue: false, reason: "the runner always runs `codex exec`" },
  e: { takesValue: false, reason: "the runner always runs `codex exec`" },
  resume: { takesValue: false, reason: "the runner resumes threads itself (resumeSessionId)" },
  "--last": { takesValue: false, reason: "the runner resumes threads itself (resumeSessionId)" },
  "-C": { takesValue: true, reason: "the runner sets the working directory to the attempt's work dir" },
  "--cd": { takesValue: true, reason: "the runner sets the working directory to the attempt's work dir" },
};

export class CodexAdapter extends AgentCliAdapter<CodexAdapterOptions> {
  /** Each thread's cumulative usage after its last run here: Codex reports usage per thread, so a resumed run subtracts it. */
  private readonly threadUsage: SessionUsage;

  constructor(options: CodexAdapterOptions) {
    super(options, { key: "codex", protocolFlags: CODEX_PROTOCOL_ARGS, detectTimeoutMs: DETECT_TIMEOUT_MS });
    this.threadUsage = new SessionUsage(options.stateDir ? join(options.stateDir, "codex-threads.json") : null, MAX_THREADS);
  }

  /** The argument list for one attempt (exported for tests and logs); the prompt goes on stdin ("-"). */
  buildArgs(ctx: Pick<AgentStartContext, "resumeSessionId" | "workDir" | "mcp"> & AgentRunSettings): string[] {
    const o = this.options;
    // The work dir is the isolation: nobody is there to approve commands, and the sandbox would
    // refuse writes the task needs.
    const args = ["exec", "--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "-C", ctx.workDir];
    const model = this.modelFor(ctx);
    if (model) args.push("-m", model);
    args.push(...(o.providerArgs ?? []), ...(ctx.mcp?.args ?? []), ...this.argsFor(ctx));
    if (ctx.resumeSessionId) args.push("resume", ctx.resumeSessionId);
    // "-" reads the prompt from stdin: no argv length limit, and a prompt starting with "-" is no flag.
    args.push("-");
    return args;
  }

  start(ctx: AgentStartContext): RunningAgent {
    const o = this.options;
    const previousUsage = ctx.resumeSessionId ? this.threadUsage.get(ctx.resumeSessionId) : null;
    const mapper = new CodexLineMapper(previousUsage);
    const run = startAgentProcess({
      command: this.binary,
      args: this.buildArgs(ctx),
      env: withMcpEnv({ ...o.baseEnv, ...this.envFor(ctx), PWD: ctx.workDir }, ctx.mcp),
      cwd: ctx.workDir,
      // Written then closed: codex waits on an open stdin pipe.
      stdin: ctx.prompt,
      mapper,
      cancelGraceMs: o.cancelGraceMs,
      ...this.watchdogs(ctx),
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
    this.threadUsage.remember(thread, cumulative);
  }
}

/**
 * Per-attempt state: the parser (session, turns, usage) and the last stderr lines. Codex has no
 * structured error class in `--json` output: a rate limit is known by its words ("429 Too Many
 * Requests", "You've hit your usage limit … try again at 5:34 PM", "Please try again in 12.5s").
 */
export class CodexLineMapper implements LineMapper {
  private readonly parser: CodexParser;
  private readonly stderrTail = new StderrTail();
  /** When the turn ended: "try again in 20s" counts from then. */
  private endedAt: number | null = null;

  /** `previousUsage`: the thread's cumulative usage before this run, when it resumes one; `now`: the clock, for tests. */
  constructor(
    previousUsage: TokenUsage | null = null,
    private readonly now: () => number = Date.now,
  ) {
    this.parser = new CodexParser({ previousUsage });
  }

  stdout(line: string): AgentEvent[] {
    const parsed = parseJsonLine(line);
    if (!parsed) return plainOutput(line);
    const { json } = parsed;
    const events = this.parser.parse(json);
    if (this.endedAt === null && this.parser.final().sawResult) this.endedAt = this.now();
    return events;
  }

  stderr(line: string): AgentEvent[] {
    this.stderrTail.push(line);
    return [{ kind: "output", stream: "stderr", text: line }];
  }

  finished(): boolean {
    return this.parser.final().sawResult;
  }

  verdict(exit: ProcessExit): RunVerdict {
    const final = this.parser.final();
    if (final.sawResult && !final.isError) return { status: "succeeded", error: null };
    const now = this.endedAt ?? this.now();
    if (final.error !== null) return failedVerdict(`codex reported an error: ${final.error}`, classifyFailureText(final.error, now));
    const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.exitCode}`;
    const tail = this.stderrTail.suffix();
    return failedVerdict(`codex ended without completing a turn (${how})${tail}`, classifyFailureText(this.stderrTail.text(), now));
  }

  end(): AgentEvent[] {
    return this.parser.end();
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
