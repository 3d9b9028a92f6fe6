/**
 * The `opencode` runtime: runs OpenCode headless for an attempt,
 * `opencode run --format json --print-logs --log-level ERROR [--auto] [--model p/m] [--session <id>]`
 * in the work dir with the prompt on stdin (then closed), and maps each JSON line through
 * opencode-parser.ts. OpenCode prints no result event: a run succeeded when its last step
 * finished with reason "stop"; it failed when it printed an `error` event (then exits 1), or
 * ended without stopping (exit 0 after a rejected permission, exit 1 with "Session not found" on
 * stderr). Checked against opencode-ai 1.18.33. The registry makes one adapter; process handling
 * is agent-process.ts.
 */
import type { AgentEvent, Usage } from "@multica/shared";
import { withMcpEnv } from "../mcp/mcp-attach";
import type { AgentStartContext, RunningAgent } from "./adapter";
import { type LineMapper, type ProcessExit, type RunVerdict, startAgentProcess } from "./agent-process";
import { AgentCliAdapter, type AgentRunSettings, type AgentCliOptions, type ProtocolFlags, StderrTail } from "./cli-adapter";
import { asCount, asObject, asString, parseJsonLine, plainOutput } from "./line-parser";
import { OpenCodeParser } from "./opencode-parser";
import { type FailureClass, classOfHttpStatus, classifyFailureText, failedVerdict, findResetTime } from "./rate-limit";

/** JSON lines carry whole tool inputs and outputs (write's content); longer lines are passed on as plain output. */
const MAX_JSON_LINE = 8 * 1024 * 1024;
/** How long `opencode` may linger after its last step stopped, or after an error, before its tree is stopped. */
const FINISH_GRACE_MS = 2000;
/** How long `opencode --version` may take in detect() (a 180 MB single-file binary). */
const DETECT_TIMEOUT_MS = 10_000;
/** Error details kept from the stderr log, by the `ref` the stdout error event points to. */
const MAX_REFS = 16;

export interface OpenCodeAdapterOptions extends AgentCliOptions {
  /** `--model provider/model`; null or absent for the config's `model`. */
  model?: string | null;
  /**
   * `--auto`: approve permission requests the config does not deny. Default true: `opencode run`
   * rejects what it would ask about (writing outside the work dir, …), and the run then stops.
   */
  autoApprove?: boolean;
}

const RESUME = "the runner resumes sessions itself (resumeSessionId)";
const LOGS = "the runner sets --print-logs --log-level ERROR to explain failures";
/** Flags the adapter owns: the output protocol, the session and the options it sets depend on them. */
export const OPENCODE_PROTOCOL_FLAGS: ProtocolFlags = {
  "--format": { takesValue: true, reason: "the runner parses --format json output" },
  "-s": { takesValue: true, reason: RESUME },
  "--session": { takesValue: true, reason: RESUME },
  "-c": { takesValue: false, reason: RESUME },
  "--continue": { takesValue: false, reason: RESUME },
  "--fork": { takesValue: false, reason: RESUME },
  "-m": { takesValue: true, reason: "the model comes from the runtime's model setting" },
  "--model": { takesValue: true, reason: "the model comes from the runtime's model setting" },
  "--dir": { takesValue: true, reason: "the runner runs the agent in the attempt's work dir" },
  "--command": { takesValue: true, reason: "the runner sends the task's prompt as the message" },
  "-i": { takesValue: false, reason: "the runner always runs opencode headless" },
  "--interactive": { takesValue: false, reason: "the runner always runs opencode headless" },
  "--auto": { takesValue: false, reason: "approving permissions comes from the adapter's autoApprove option" },
  "--print-logs": { takesValue: false, reason: LOGS },
  "--log-level": { takesValue: true, reason: LOGS },
};

export class OpenCodeAdapter extends AgentCliAdapter<OpenCodeAdapterOptions> {
  constructor(options: OpenCodeAdapterOptions) {
    super(options, { key: "opencode", protocolFlags: OPENCODE_PROTOCOL_FLAGS, detectTimeoutMs: DETECT_TIMEOUT_MS });
  }

  /** The argument list for one attempt (exported for tests and logs); the prompt goes on stdin. */
  buildArgs(ctx: Pick<AgentStartContext, "resumeSessionId"> & AgentRunSettings): string[] {
    const o = this.options;
    // Error logs on stderr: a failure's stdout event often says only "Unexpected server error".
    const args = ["run", "--format", "json", "--print-logs", "--log-level", "ERROR"];
    if (o.autoApprove ?? true) args.push("--auto");
    const model = this.modelFor(ctx);
    if (model) args.push("--model", model);
    // Sessions live in $XDG_DATA_HOME/opencode/opencode.db: a resume needs the same data dir.
    if (ctx.resumeSessionId) args.push("--session", ctx.resumeSessionId);
    return [...args, ...this.argsFor(ctx)];
  }

  start(ctx: AgentStartContext): RunningAgent {
    const o = this.options;
    return startAgentProcess({
      command: this.binary,
      args: this.buildArgs(ctx),
      env: withMcpEnv({ ...o.baseEnv, ...this.envFor(ctx), PWD: ctx.workDir }, ctx.mcp),
      cwd: ctx.workDir,
      // Without a message argument `run` reads the whole message from stdin: no argv limit
      // (128 KiB per argument on Linux), not shown in `ps`, and a prompt starting with "-" is no flag.
      stdin: ctx.prompt,
      mapper: new OpenCodeLineMapper(),
      cancelGraceMs: o.cancelGraceMs,
      ...this.watchdogs(ctx),
      finishGraceMs: FINISH_GRACE_MS,
      maxStdoutLine: MAX_JSON_LINE,
    });
  }
}

/** What an `error` event said: `{ name, data: { message, statusCode?, responseHeaders?, ref? } }`. */
interface OpenCodeError {
  name: string;
  message: string;
  status: number | null;
  headers: Record<string, unknown>;
  /** For "Unexpected server error": the id of the stderr log line with the real error. */
  ref: string | null;
  /** The event's timestamp: a Retry-After counts from then. */
  at: number;
}

/** `… level=ERROR … message=failed ref=err_6e606b0b error="ProviderModelNotFoundError: Model not found: x/y." cause=…` */
const FAILED_LOG = /\bref=(err_\w+) error="((?:[^"\\]|\\.)*)"/;
/** Colour codes opencode puts around its own stderr messages ("\x1b[91m\x1b[1mError: \x1b[0mSession not found"). */
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Per-attempt state: the parser (session, steps, usage), the run's error event, the error details
 * the stderr log gave for it, and the last stderr lines.
 */
export class OpenCodeLineMapper implements LineMapper {
  private readonly parser = new OpenCodeParser();
  private readonly stderrTail = new StderrTail();
  private error: OpenCodeError | null = null;
  private readonly logged = new Map<string, string>();

  /** `now`: the clock, for tests. */
  constructor(private readonly now: () => number = Date.now) {}

  stdout(line: string): AgentEvent[] {
    const parsed = parseJsonLine(line);
    if (!parsed) return plainOutput(line);
    const { json } = parsed;
    this.error = this.readError(json) ?? this.error;
    return this.parser.parse(json);
  }

  stderr(line: string): AgentEvent[] {
    const text = line.replace(ANSI, "");
    this.stderrTail.push(text);
    const failed = FAILED_LOG.exec(text);
    if (failed?.[1] && failed[2] !== undefined) {
      this.logged.set(failed[1], unquote(failed[2]));
      const oldest = this.logged.keys().next();
      if (this.logged.size > MAX_REFS && !oldest.done) this.logged.delete(oldest.value);
    }
    return [{ kind: "output", stream: "stderr", text }];
  }

  /** The last step stopped, or an error was reported: opencode exits right after either. */
  finished(): boolean {
    return this.error !== null || this.parser.final().sawResult;
  }

  verdict(exit: ProcessExit): RunVerdict {
    const f = this.parser.final();
    const e = this.error;
    if (e) {
      const detail = (e.ref !== null ? this.logged.get(e.ref) : undefined) ?? e.message;
      const http = e.status !== null ? `the model API answered HTTP ${e.status}: ` : "";
      return failedVerdict(`opencode reported an error: ${http}${detail}`, classify(e, detail));
    }
    if (f.sawResult) return { status: "succeeded", error: null };
    const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.exitCode}`;
    const tail = this.stderrTail.suffix();
    return failedVerdict(`opencode ended before its last step finished (${how})${tail}`, classifyFailureText(this.stderrTail.text(), this.now()));
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

  private readError(json: unknown): OpenCodeError | null {
    const event = asObject(json);
    if (event?.type !== "error") return null;
    const error = asObject(event.error);
    const data = asObject(error?.data);
    return {
      name: asString(error?.name) ?? "Error",
      message: asString(data?.message) ?? asString(error?.message) ?? asString(error?.name) ?? "(no message)",
      status: asCount(data?.statusCode),
      headers: asObject(data?.responseHeaders) ?? {},
      ref: asString(data?.ref),
      at: asCount(event.timestamp) ?? this.now(),
    };
  }
}

/** The text of a quoted log value (escaped as in JSON), or the value as it is when it is not valid. */
function unquote(value: string): string {
  try {
    return String(JSON.parse(`"${value}"`));
  } catch {
    return value;
  }
}

/** Names of opencode's own errors that mean the runtime is set up wrong (an unknown model is also what a missing key looks like). */
const CONFIG_ERRORS = /\b(?:ProviderAuthError|ProviderModelNotFoundError|ProviderInitError|ConfigInvalidError|ConfigJsonError)\b/;

/**
 * The HTTP status decides (429 → rate limit, 401/403/404 → config), then opencode's error class,
 * then the words. A 429's reset comes from its Retry-After(-Ms) header, else from the message.
 */
function classify(e: OpenCodeError, detail: string): FailureClass | null {
  const text = `${e.name}: ${detail}`;
  const kind = classOfHttpStatus(e.status) ?? (CONFIG_ERRORS.test(text) ? "bad_config" : (classifyFailureText(text, e.at)?.kind ?? null));
  if (kind !== "rate_limit") return kind === null ? null : { kind };
  const ms = Number(asString(e.headers["retry-after-ms"]) ?? NaN);
  const after = asString(e.headers["retry-after"]);
  const retryAt = Number.isFinite(ms) && ms >= 0 ? Math.round(e.at + ms) : after !== null ? findResetTime(`retry-after: ${after}`, e.at) : null;
  return { kind, retryAt: retryAt ?? findResetTime(text, e.at) };
}
