/**
 * The `cursor-agent` runtime: runs Cursor Agent headless for an attempt,
 * `cursor-agent -p --output-format stream-json --force --trust [--model m] [--resume <chatId>]`
 * with the prompt on stdin (then closed), and maps each JSON line through cursor-parser.ts.
 *
 * Sources, as the CLI is not on npm and needs Cursor's servers (nothing here could run it):
 * flags from https://cursor.com/docs/cli/reference/parameters and /docs/cli/headless (without
 * `--force` headless changes are only proposed, not written; `--trust` trusts the workspace
 * without asking); the stream from /docs/cli/reference/output-format. The prompt goes on stdin:
 * the docs infer print mode from piped stdin, and reifying/cursor-hack (docs/cursor-agent-cli.md)
 * drove the real binary that way (`echo "…" | cursor-agent --print --output-format stream-json`).
 *
 * How a run ends: the docs promise a final `result` on success, and on failure a non-zero exit
 * with a message on stderr, maybe without a `result`. In practice the CLI may also linger after
 * its `result` (the process is stopped after FINISH_GRACE_MS, and the result decides), or exit 0
 * with no `result` at all: such a run is judged by its exit code, and counts as a success only
 * when it printed at least one assistant message and no error event.
 * The registry makes one adapter; process handling is agent-process.ts.
 */
import type { AgentEvent, Usage } from "@multica/shared";
import type { AgentStartContext, RunningAgent } from "./adapter";
import { type LineMapper, type ProcessExit, type RunVerdict, startAgentProcess } from "./agent-process";
import { AgentCliAdapter, type AgentRunSettings, type AgentCliOptions, type ProtocolFlags, StderrTail } from "./cli-adapter";
import { CursorParser } from "./cursor-parser";
import { asObject, parseJsonLine, plainOutput } from "./line-parser";
import { type FailureClass, classifyFailureText, failedVerdict } from "./rate-limit";

/** Stream-json lines carry whole files (writeToolCall's fileText); longer lines are passed on as plain output. */
const MAX_JSON_LINE = 8 * 1024 * 1024;
/** How long `cursor-agent` may linger after its `result` event before its tree is stopped. */
const FINISH_GRACE_MS = 2000;
/** How long `cursor-agent --version` may take in detect() (a shell wrapper that starts a bundled node). */
const DETECT_TIMEOUT_MS = 15_000;

export interface CursorAdapterOptions extends AgentCliOptions {
  /** `--model`; null or absent for the CLI's default ("auto"). */
  model?: string | null;
  /** `--force`: run tools and write files without asking. Default true: without it headless edits are only proposed. */
  force?: boolean;
  /** `--trust`: trust the attempt's fresh work dir without asking. Default true; false for CLI versions without the flag. */
  trust?: boolean;
  /** How long the process may linger after its `result` before it is stopped; default FINISH_GRACE_MS. */
  finishGraceMs?: number;
}

const HEADLESS = "the runner always runs cursor-agent headless with the prompt on stdin (-p)";
const RESUME = "the runner resumes chats itself (resumeSessionId)";
const PERMISSIONS = "the adapter's force and trust options set it";
const WORK_DIR = "the runner runs the agent in the attempt's work dir";
/** Flags the adapter owns: the output protocol, the chat and the options it sets depend on them. */
export const CURSOR_PROTOCOL_FLAGS: ProtocolFlags = {
  "-p": { takesValue: false, reason: HEADLESS },
  "--print": { takesValue: false, reason: HEADLESS },
  "--output-format": { takesValue: true, reason: "the runner parses stream-json output" },
  "--stream-partial-output": { takesValue: false, reason: "the runner expects one assistant event per message" },
  "--resume": { takesValue: true, reason: RESUME },
  "--continue": { takesValue: false, reason: RESUME },
  "--model": { takesValue: true, reason: "the model comes from the runtime's model setting" },
  "-f": { takesValue: false, reason: PERMISSIONS },
  "--force": { takesValue: false, reason: PERMISSIONS },
  "--yolo": { takesValue: false, reason: PERMISSIONS },
  "--trust": { takesValue: false, reason: PERMISSIONS },
  "--workspace": { takesValue: true, reason: WORK_DIR },
  "-w": { takesValue: true, reason: WORK_DIR },
  "--worktree": { takesValue: true, reason: WORK_DIR },
  "-c": { takesValue: false, reason: "the runner runs the agent on this machine, not as a cloud agent" },
  "--cloud": { takesValue: false, reason: "the runner runs the agent on this machine, not as a cloud agent" },
};

export class CursorAdapter extends AgentCliAdapter<CursorAdapterOptions> {
  constructor(options: CursorAdapterOptions) {
    super(options, { key: "cursor-agent", protocolFlags: CURSOR_PROTOCOL_FLAGS, detectTimeoutMs: DETECT_TIMEOUT_MS });
  }

  /** The argument list for one attempt (exported for tests and logs); the prompt goes on stdin. */
  buildArgs(ctx: Pick<AgentStartContext, "resumeSessionId"> & AgentRunSettings): string[] {
    const o = this.options;
    const args = ["-p", "--output-format", "stream-json"];
    if (o.force ?? true) args.push("--force");
    if (o.trust ?? true) args.push("--trust");
    const model = this.modelFor(ctx);
    if (model) args.push("--model", model);
    if (ctx.resumeSessionId) args.push("--resume", ctx.resumeSessionId);
    return [...args, ...this.argsFor(ctx)];
  }

  start(ctx: AgentStartContext): RunningAgent {
    const o = this.options;
    return startAgentProcess({
      command: this.binary,
      args: this.buildArgs(ctx),
      env: { ...o.baseEnv, ...this.envFor(ctx), PWD: ctx.workDir },
      cwd: ctx.workDir,
      // Written then closed: with no prompt argument, print mode reads the prompt from stdin.
      stdin: ctx.prompt,
      mapper: new CursorLineMapper(),
      cancelGraceMs: o.cancelGraceMs,
      ...this.watchdogs(ctx),
      finishGraceMs: o.finishGraceMs ?? FINISH_GRACE_MS,
      maxStdoutLine: MAX_JSON_LINE,
    });
  }
}

/**
 * Per-attempt state around one CursorParser, and the plain-text lines that may explain a failure.
 * LineMapper has no end-of-stdout hook: thinking still gathering when the process dies is lost
 * (it is flushed by the next event, normally the assistant message or the result).
 */
export class CursorLineMapper implements LineMapper {
  private readonly parser = new CursorParser();
  /** Stderr lines and non-JSON stdout lines (some errors are printed as bare text on stdout). */
  private readonly textTail = new StderrTail();
  private hint: FailureClass | null = null;

  stdout(line: string): AgentEvent[] {
    const parsed = parseJsonLine(line);
    if (parsed) return this.parser.parse(parsed.json);
    if (line.trim() !== "") this.noteText(line);
    return plainOutput(line);
  }

  stderr(line: string): AgentEvent[] {
    // Some builds mirror the stream-json events on stderr: kept as output, but they explain nothing.
    if (!looksLikeEvent(line)) this.noteText(line);
    return [{ kind: "output", stream: "stderr", text: line }];
  }

  finished(): boolean {
    return this.parser.final().sawResult;
  }

  verdict(exit: ProcessExit): RunVerdict {
    const f = this.parser.final();
    if (f.sawResult && !f.isError) return { status: "succeeded", error: null };
    if (f.sawResult) return this.failed(`cursor-agent reported an error: ${f.error ?? "(no message)"}`, f.error);
    const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.exitCode}`;
    if (exit.exitCode === 0 && !exit.signal && !f.isError && this.parser.messageCount() > 0) return { status: "succeeded", error: null };
    const what = exit.exitCode === 0 && !f.isError ? "exited without a result or any message" : "ended without a result";
    return this.failed(`the agent ${what} (${how})${f.error ? `: ${f.error}` : ""}${this.tail()}`, f.error);
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

  /** "; output: a | b" from stderr and plain stdout lines, or "". */
  private tail(): string {
    const text = this.textTail.text();
    return text ? `; output: ${text.split("\n").join(" | ")}` : "";
  }

  private noteText(line: string): void {
    this.textTail.push(line);
    this.hint ??= classifyFailureText(line, Date.now());
  }

  /** Cursor prints no error category: its message decides, else a recognised line of its output. */
  private failed(error: string, cliError: string | null): RunVerdict {
    return failedVerdict(error, (cliError ? classifyFailureText(cliError, Date.now()) : null) ?? this.hint);
  }
}

function looksLikeEvent(line: string): boolean {
  if (!line.startsWith("{")) return false;
  try {
    return typeof asObject(JSON.parse(line))?.type === "string";
  } catch {
    return false;
  }
}
