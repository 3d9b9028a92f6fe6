/**
 * The `gemini` runtime: runs Google's Gemini CLI headless for an attempt,
 * `gemini -p "" --output-format stream-json --approval-mode yolo -m <model> [--resume <session>]`
 * with the prompt on stdin (then closed), and maps each JSON line through gemini-parser.ts. The
 * `result` event decides the outcome (success only when its status is "success") and ends the
 * run. Checked against @google/gemini-cli 0.61. The registry makes one adapter; process handling
 * is agent-process.ts.
 */
import type { AgentEvent, Usage } from "@multica/shared";
import { withMcpEnv } from "../mcp/mcp-attach";
import type { AgentStartContext, RunningAgent } from "./adapter";
import { type LineMapper, type ProcessExit, type RunVerdict, startAgentProcess } from "./agent-process";
import { AgentCliAdapter, type AgentRunSettings, type AgentCliOptions, type ProtocolFlags, StderrTail } from "./cli-adapter";
import { GeminiParser } from "./gemini-parser";
import { parseJsonLine, plainOutput } from "./line-parser";
import { type FailureClass, classifyFailureText, failedVerdict, findResetTime } from "./rate-limit";

/** Stream-json lines carry whole tool parameters (write_file content); longer lines are passed on as plain output. */
const MAX_JSON_LINE = 8 * 1024 * 1024;
/** How long `gemini` may linger after its `result` event before its tree is stopped. */
const FINISH_GRACE_MS = 2000;
/** How long `gemini --version` may take in detect() (it loads a ~100 MB bundle). */
const DETECT_TIMEOUT_MS = 15_000;
/**
 * The model used when none is configured. Without `-m` the CLI picks `auto`, which first asks a
 * router model which model to use: an extra request, and a model the runner did not choose.
 */
export const DEFAULT_GEMINI_MODEL = "gemini-2.5-pro";

export interface GeminiAdapterOptions extends AgentCliOptions {
  /** `-m`; null or absent for DEFAULT_GEMINI_MODEL ("auto" asks the CLI's router). */
  model?: string | null;
  /** `--approval-mode`; default "yolo" (nobody is there to approve tools; without it the write tools are not offered). */
  approvalMode?: string;
  /** Wall-clock limit per attempt; null for none. The CLI retries 5xx answers for minutes. */
  timeoutMs: number | null;
}

const HEADLESS = "the runner always runs gemini headless with the prompt on stdin (-p)";
const RESUME = "the runner resumes sessions itself (resumeSessionId)";
/** Flags the adapter owns: the output protocol, the session and the options it sets depend on them. */
export const GEMINI_PROTOCOL_FLAGS: ProtocolFlags = {
  "-p": { takesValue: true, reason: HEADLESS },
  "--prompt": { takesValue: true, reason: HEADLESS },
  "-i": { takesValue: true, reason: HEADLESS },
  "--prompt-interactive": { takesValue: true, reason: HEADLESS },
  "--acp": { takesValue: false, reason: HEADLESS },
  "--experimental-acp": { takesValue: false, reason: HEADLESS },
  "-o": { takesValue: true, reason: "the runner parses stream-json output" },
  "--output-format": { takesValue: true, reason: "the runner parses stream-json output" },
  "-r": { takesValue: true, reason: RESUME },
  "--resume": { takesValue: true, reason: RESUME },
  "--session-id": { takesValue: true, reason: RESUME },
  "--session-file": { takesValue: true, reason: RESUME },
  "-m": { takesValue: true, reason: "the model comes from the runtime's model setting" },
  "--model": { takesValue: true, reason: "the model comes from the runtime's model setting" },
  "-y": { takesValue: false, reason: "the approval mode comes from the adapter's approvalMode" },
  "--yolo": { takesValue: false, reason: "the approval mode comes from the adapter's approvalMode" },
  "--approval-mode": { takesValue: true, reason: "the approval mode comes from the adapter's approvalMode" },
};

export class GeminiAdapter extends AgentCliAdapter<GeminiAdapterOptions> {
  constructor(options: GeminiAdapterOptions) {
    super(options, { key: "gemini", protocolFlags: GEMINI_PROTOCOL_FLAGS, detectTimeoutMs: DETECT_TIMEOUT_MS });
  }

  /** The argument list for one attempt (exported for tests and logs). */
  buildArgs(ctx: Pick<AgentStartContext, "resumeSessionId"> & AgentRunSettings): string[] {
    const o = this.options;
    // `-p ""` makes the run headless; the CLI puts stdin before the -p text, so the prompt on
    // stdin is the whole prompt: no 128 KiB argv limit, and it does not show up in `ps`.
    const args = ["-p", "", "--output-format", "stream-json", "--approval-mode", o.approvalMode ?? "yolo"];
    args.push("-m", this.modelFor(ctx) ?? DEFAULT_GEMINI_MODEL);
    // Sessions live under $HOME/.gemini/tmp/<hash of the work dir>: a resume needs both unchanged.
    if (ctx.resumeSessionId) args.push("--resume", ctx.resumeSessionId);
    return [...args, ...this.argsFor(ctx)];
  }

  start(ctx: AgentStartContext): RunningAgent {
    const o = this.options;
    // The work dir is a fresh directory the runner made for this attempt; in a folder it does not
    // trust, headless gemini exits 55 (checked with 0.61). Config may still override it.
    const env: Record<string, string> = { ...o.baseEnv, GEMINI_CLI_TRUST_WORKSPACE: "true", ...this.envFor(ctx), PWD: ctx.workDir };
    return startAgentProcess({
      command: this.binary,
      args: this.buildArgs(ctx),
      env: withMcpEnv(env, ctx.mcp),
      cwd: ctx.workDir,
      // Written then closed: the CLI reads stdin to its end (or 500 ms without data) before it starts.
      stdin: ctx.prompt,
      mapper: new GeminiLineMapper(),
      cancelGraceMs: o.cancelGraceMs,
      ...this.watchdogs(ctx),
      finishGraceMs: FINISH_GRACE_MS,
      maxStdoutLine: MAX_JSON_LINE,
    });
  }
}

/**
 * Gemini's exit codes: its FatalError classes (packages/core/src/utils/errors.ts in 0.61) and,
 * for API errors, the HTTP status, which the process exit truncates to 8 bits.
 */
const EXIT_CODES: Record<number, string> = {
  41: "authentication failed: check GEMINI_API_KEY and security.auth.selectedType in ~/.gemini/settings.json",
  42: "invalid input: the prompt, a flag, or the session to resume was not accepted",
  44: "the sandbox could not be set up",
  52: "configuration error in the Gemini settings",
  53: "the session reached its turn limit (maxSessionTurns)",
  54: "a tool failed fatally",
  55: "the workspace is not trusted",
  130: "the CLI cancelled the run",
  [400 % 256]: "the model API answered HTTP 400",
  [401 % 256]: "the model API answered HTTP 401",
  [403 % 256]: "the model API answered HTTP 403",
  [404 % 256]: "the model API answered HTTP 404 (unknown model?)",
  [429 % 256]: "the model API answered HTTP 429 (rate limited or out of quota)",
  [500 % 256]: "the model API answered HTTP 500",
  [502 % 256]: "the model API answered HTTP 502",
  [503 % 256]: "the model API answered HTTP 503",
  [504 % 256]: "the model API answered HTTP 504",
};

/** Exit codes that class a failure by themselves: HTTP 429, and credentials, settings or model problems. */
const EXIT_CLASSES: Record<number, FailureClass["kind"]> = {
  41: "bad_config",
  52: "bad_config",
  [401 % 256]: "bad_config",
  [403 % 256]: "bad_config",
  [404 % 256]: "bad_config",
  [429 % 256]: "rate_limit",
};

/** A process end in words: "exit code 41: authentication failed: …", "signal SIGKILL". */
export function describeGeminiExit(exit: Pick<ProcessExit, "exitCode" | "signal">): string {
  if (exit.signal) return `signal ${exit.signal}`;
  const meaning = exit.exitCode === null ? undefined : EXIT_CODES[exit.exitCode];
  return meaning ? `exit code ${exit.exitCode}: ${meaning}` : `exit code ${exit.exitCode}`;
}

/**
 * Per-attempt state around one GeminiParser. The text the parser holds back is flushed when the
 * `result` event arrives (the normal end), or by `end()` when stdout ends without one.
 */
export class GeminiLineMapper implements LineMapper {
  private readonly parser = new GeminiParser();
  private readonly stderrTail = new StderrTail();

  /** `now`: the clock, for tests. */
  constructor(private readonly now: () => number = Date.now) {}

  stdout(line: string): AgentEvent[] {
    const parsed = parseJsonLine(line);
    if (!parsed) return plainOutput(line);
    const { json } = parsed;
    return this.parser.parse(json);
  }

  stderr(line: string): AgentEvent[] {
    this.stderrTail.push(line);
    return [{ kind: "output", stream: "stderr", text: line }];
  }

  finished(): boolean {
    return this.parser.final().sawResult;
  }

  verdict(exit: ProcessExit): RunVerdict {
    const f = this.parser.final();
    if (f.sawResult && !f.isError) return { status: "succeeded", error: null };
    const how = exit.stoppedAfterFinish ? "" : ` (${describeGeminiExit(exit)})`;
    if (f.sawResult) return failedVerdict(`gemini reported an error: ${f.error ?? "(no message)"}${how}`, this.classify(exit, f.error ?? ""));
    const tail = this.stderrTail.suffix();
    return failedVerdict(`the agent ended without a result (${describeGeminiExit(exit)})${tail}`, this.classify(exit, this.stderrTail.text()));
  }

  /**
   * The exit code decides when it is an HTTP status or a config error, the text otherwise (a 404
   * model exits 1). "Suggested retry after 30s" counts from the result's timestamp.
   */
  private classify(exit: ProcessExit, text: string): FailureClass | null {
    const now = this.parser.resultTime() ?? this.now();
    const byExit = exit.signal || exit.exitCode === null ? undefined : EXIT_CLASSES[exit.exitCode];
    if (byExit === "bad_config") return { kind: byExit };
    if (byExit === "rate_limit") return { kind: byExit, retryAt: findResetTime(text, now) };
    return classifyFailureText(text, now);
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
}
