/**
 * The `copilot` runtime: runs GitHub Copilot CLI headless for an attempt,
 * `copilot --output-format json --allow-all --no-ask-user [--model m] (--session-id <new uuid> | --resume <id>)
 * --usage-output-file <tmp file>` with the prompt on stdin (then closed), and maps each JSON line
 * through copilot-parser.ts. The final `result` line decides the outcome (success only with exit
 * code 0) and ends the run. Checked against @github/copilot 1.0.102, driven offline through its
 * BYOK settings (COPILOT_PROVIDER_BASE_URL, COPILOT_OFFLINE; see `copilot help providers`).
 * The registry makes one adapter; process handling is agent-process.ts.
 */
import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentEvent, TokenUsage, Usage } from "@multica/shared";
import type { AgentStartContext, RunningAgent } from "./adapter";
import { type LineMapper, type ProcessExit, type RunVerdict, startAgentProcess } from "./agent-process";
import { SessionUsage } from "./session-usage";
import { AgentCliAdapter, type AgentRunSettings, type AgentCliOptions, type ProtocolFlags, StderrTail } from "./cli-adapter";
import { type CopilotError, CopilotParser, readUsageFile, subtractUsage } from "./copilot-parser";
import { parseJsonLine, plainOutput, usageEvent } from "./line-parser";
import { type FailureClass, classOfHttpStatus, classifyFailureText, failedVerdict, findResetTime } from "./rate-limit";

/** JSON lines carry whole tool arguments and results (file contents); longer lines are passed on as plain output. */
const MAX_JSON_LINE = 8 * 1024 * 1024;
/** How long `copilot` may linger after its `result` line before its tree is stopped. */
const FINISH_GRACE_MS = 2000;
/** How long `copilot --version` may take in detect() (a native binary that unpacks itself on first run). */
const DETECT_TIMEOUT_MS = 15_000;
/** Sessions whose cumulative usage is remembered for resumes; the oldest is forgotten first. */
const MAX_SESSIONS = 256;

export interface CopilotAdapterOptions extends AgentCliOptions {
  /** `--model`; null or absent for the CLI's default (BYOK setups may name it in COPILOT_MODEL instead). */
  model?: string | null;
  /** Where the per-attempt `--usage-output-file` is written (and removed after); default os.tmpdir(). */
  usageDir?: string;
  /** How long the process may linger after its `result` before it is stopped; default FINISH_GRACE_MS. */
  finishGraceMs?: number;
}

const HEADLESS = "the runner always runs copilot headless with the prompt on stdin";
const SESSION = "the runner picks the session (a new id, or resumeSessionId)";
/** Flags the adapter owns: the output protocol, the session and the usage report depend on them. */
export const COPILOT_PROTOCOL_FLAGS: ProtocolFlags = {
  "-p": { takesValue: true, reason: HEADLESS },
  "--prompt": { takesValue: true, reason: HEADLESS },
  "-i": { takesValue: true, reason: HEADLESS },
  "--interactive": { takesValue: true, reason: HEADLESS },
  "--acp": { takesValue: false, reason: HEADLESS },
  "--output-format": { takesValue: true, reason: "the runner parses JSON lines (--output-format json)" },
  "-r": { takesValue: true, reason: SESSION },
  "--resume": { takesValue: true, reason: SESSION },
  "--continue": { takesValue: false, reason: SESSION },
  "--session-id": { takesValue: true, reason: SESSION },
  "--connect": { takesValue: true, reason: SESSION },
  "--model": { takesValue: true, reason: "the model comes from the runtime's model setting" },
  "--usage-output-file": { takesValue: true, reason: "the runner reads token usage from its own usage file" },
  "-C": { takesValue: true, reason: "the runner sets the working directory to the attempt's work dir" },
};

export class CopilotAdapter extends AgentCliAdapter<CopilotAdapterOptions> {
  /** Each session's cumulative usage after its last run here: the usage file covers the whole session, so a resumed run subtracts it. */
  private readonly sessionUsage: SessionUsage;

  constructor(options: CopilotAdapterOptions) {
    super(options, { key: "copilot", protocolFlags: COPILOT_PROTOCOL_FLAGS, detectTimeoutMs: DETECT_TIMEOUT_MS });
    this.sessionUsage = new SessionUsage(options.stateDir ? join(options.stateDir, "copilot-sessions.json") : null, MAX_SESSIONS);
  }

  /** The argument list for one attempt (exported for tests and logs); the prompt goes on stdin. */
  buildArgs(ctx: Pick<AgentStartContext, "resumeSessionId" | "mcp"> & AgentRunSettings, run: { sessionId: string; usageFile: string }): string[] {
    // Nobody is there to approve tools or answer questions; the work dir is the isolation.
    const args = ["--output-format", "json", "--allow-all", "--no-ask-user"];
    const model = this.modelFor(ctx);
    if (model) args.push("--model", model);
    // A new session gets its id from us, so it is known even when the run is cancelled before
    // the `result` line; a resume names an existing one (an unknown id fails, and is not created).
    args.push(...(ctx.resumeSessionId ? ["--resume", ctx.resumeSessionId] : ["--session-id", run.sessionId]));
    args.push("--usage-output-file", run.usageFile);
    if (ctx.mcp) args.push(...ctx.mcp.args);
    return [...args, ...this.argsFor(ctx)];
  }

  start(ctx: AgentStartContext): RunningAgent {
    const o = this.options;
    const sessionId = ctx.resumeSessionId ?? randomUUID();
    const usageFile = join(o.usageDir ?? tmpdir(), `multica-copilot-usage-${randomUUID()}.json`);
    const previousUsage = ctx.resumeSessionId ? this.sessionUsage.get(ctx.resumeSessionId) : null;
    const mapper = new CopilotLineMapper({ sessionId, usageFile, previousUsage });
    const run = startAgentProcess({
      command: this.binary,
      args: this.buildArgs(ctx, { sessionId, usageFile }),
      env: { ...o.baseEnv, ...this.envFor(ctx), PWD: ctx.workDir },
      cwd: ctx.workDir,
      // Without -p the CLI takes piped stdin as the prompt: no argv length limit, not shown in `ps`.
      stdin: ctx.prompt,
      mapper,
      cancelGraceMs: o.cancelGraceMs,
      ...this.watchdogs(ctx),
      finishGraceMs: o.finishGraceMs ?? FINISH_GRACE_MS,
      maxStdoutLine: MAX_JSON_LINE,
    });
    void run.outcome.then(() => {
      this.rememberUsage(mapper);
      try {
        rmSync(usageFile, { force: true });
      } catch {
        // a leftover temp file is harmless
      }
    });
    return run;
  }

  private rememberUsage(mapper: CopilotLineMapper): void {
    const session = mapper.sessionId();
    const cumulative = mapper.cumulativeUsage();
    if (session === null || cumulative === null) return;
    this.sessionUsage.remember(session, cumulative);
  }
}

/** Per-attempt state around one CopilotParser: the session, the usage file, and what stderr said. */
export class CopilotLineMapper implements LineMapper {
  private readonly parser = new CopilotParser();
  private readonly stderrTail = new StderrTail();
  /** The session is real once the CLI printed an event for it; before that (bad auth, unknown resume id) it may not exist. */
  private started = false;
  private cumulative: TokenUsage | null = null;
  private spent: TokenUsage | null = null;
  private hint: FailureClass | null = null;

  constructor(private readonly run: { sessionId: string; usageFile: string; previousUsage: TokenUsage | null }) {}

  stdout(line: string): AgentEvent[] {
    const parsed = parseJsonLine(line);
    if (!parsed) {
      if (line.trim() !== "") this.hint ??= classifyCopilotText(line, Date.now());
      return plainOutput(line);
    }
    const { json } = parsed;
    const events: AgentEvent[] = [];
    if (!this.started) {
      this.started = true;
      events.push({ kind: "session", sessionId: this.run.sessionId });
    }
    for (const e of this.parser.parse(json)) {
      if (e.kind !== "result") {
        events.push(e);
        continue;
      }
      // The CLI writes the usage file before it prints `result`.
      const usage = this.readUsage();
      if (usage) events.push(usageEvent(usage));
      events.push({ ...e, usage });
    }
    return events;
  }

  stderr(line: string): AgentEvent[] {
    this.stderrTail.push(line);
    this.hint ??= classifyCopilotText(line, Date.now());
    return [{ kind: "output", stream: "stderr", text: line }];
  }

  finished(): boolean {
    return this.parser.final().sawResult;
  }

  verdict(exit: ProcessExit): RunVerdict {
    const f = this.parser.final();
    if (f.sawResult && !f.isError) return { status: "succeeded", error: null };
    const cls = classifyCopilotError(this.parser.error(), Date.now()) ?? this.hint;
    if (f.sawResult) return failedVerdict(`copilot reported an error: ${f.error ?? "(no message)"}`, cls);
    const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.exitCode}`;
    return failedVerdict(`the agent ended without a result (${how})${this.stderrTail.suffix()}`, cls);
  }

  end(): AgentEvent[] {
    return this.parser.end();
  }

  sessionId(): string | null {
    return this.parser.final().sessionId ?? (this.started ? this.run.sessionId : null);
  }

  usage(): Usage | null {
    return this.spent ?? this.readUsage();
  }

  /** The session's usage so far, as the usage file reported it: remembered for the next resume. */
  cumulativeUsage(): TokenUsage | null {
    return this.cumulative;
  }

  /** This run's tokens: the session's cumulative usage less what it had before this run. */
  private readUsage(): TokenUsage | null {
    if (this.spent) return this.spent;
    this.cumulative = readUsageFile(this.run.usageFile);
    if (!this.cumulative) return null;
    this.spent = subtractUsage(this.cumulative, this.run.previousUsage);
    return this.spent;
  }
}

/** Copilot's `session.error` categories that are not the agent's own error. */
const ERROR_CLASSES = new Map<string, FailureClass["kind"]>([
  ["authentication", "bad_config"],
  ["authorization", "bad_config"],
  ["rate_limit", "rate_limit"],
  ["quota", "rate_limit"],
]);

/** A failure by Copilot's own error category and HTTP status first, its message only when they say nothing. */
export function classifyCopilotError(error: CopilotError | null, now: number): FailureClass | null {
  if (!error) return null;
  const kind = ERROR_CLASSES.get(error.type ?? "") ?? classOfHttpStatus(error.statusCode) ?? classifyFailureText(error.message, now)?.kind ?? null;
  if (kind === null) return null;
  return kind === "rate_limit" ? { kind, retryAt: findResetTime(error.message, now) } : { kind };
}

/** Copilot's own words for a missing login or provider (printed on stderr before any event), then the shared patterns. */
const SETUP_TEXT = /no authentication information found|personal access tokens \(ghp_\) are not supported|requires a local model provider/i;

function classifyCopilotText(line: string, now: number): FailureClass | null {
  return SETUP_TEXT.test(line) ? { kind: "bad_config" } : classifyFailureText(line, now);
}
