/**
 * Running git for the work directory modules (repo-cache.ts, worktree.ts,
 * worktree-include.ts, context-files.ts), and `WorkdirError`, the one error type of this
 * folder. Git never asks for input: GIT_TERMINAL_PROMPT=0 stops its own credential prompts, and
 * every git runs in a new session (detached, so without a controlling terminal), so ssh cannot
 * prompt for a passphrase or a host key on the runner's terminal either; it fails instead. Each
 * call has a timeout and honours an AbortSignal; both kill git's whole process group (git
 * starts ssh and remote helpers as children).
 */
import { execa } from "execa";
import { signalGroup } from "../agents/process-tree";

/** `bad_config`: the request cannot work as given (bad URL, missing repo, unknown ref); `git`: git failed. */
export type WorkdirErrorKind = "bad_config" | "git";

/** Why a work directory could not be prepared. The message is one line, names the repository, never holds a stack. */
export class WorkdirError extends Error {
  readonly kind: WorkdirErrorKind;
  constructor(kind: WorkdirErrorKind, message: string) {
    super(message);
    this.name = "WorkdirError";
    this.kind = kind;
  }
}

/** Default limit for one git call (a clone of a big repository can take minutes). */
export const DEFAULT_GIT_TIMEOUT_MS = 10 * 60_000;

/** How one git call runs. */
export interface GitCall {
  cwd: string;
  /** Names the operation in errors, e.g. "git fetch of https://github.com/acme/app". */
  what: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Written to stdin (e.g. `check-ignore --stdin`); stdin is closed otherwise. */
  input?: string;
  /** Return a failed result instead of throwing (for probes like `show-ref --verify`). */
  allowFailure?: boolean;
  /** When git's stderr matches, the failure is the request's fault: kind `bad_config`. */
  configErrors?: RegExp;
  /** Largest stdout/stderr kept; more fails the call. Default 16 MiB. */
  maxBuffer?: number;
}

export interface GitResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/**
 * Environment added to the runner's own (execa extends process.env). Only prompts are turned
 * off: credential helpers and ssh settings of the user keep working.
 */
const GIT_ENV = { GIT_TERMINAL_PROMPT: "0" };

/** Runs `git <args>`; throws WorkdirError on failure, timeout or abort (unless `allowFailure`). */
export async function runGit(args: string[], call: GitCall): Promise<GitResult> {
  if (call.signal?.aborted) throw new WorkdirError("git", `${call.what} was cancelled`);
  const subprocess = execa("git", args, {
    cwd: call.cwd,
    env: GIT_ENV,
    ...(call.input === undefined ? { stdin: "ignore" as const } : { input: call.input }),
    detached: true,
    // Our timer and abort handler kill the whole group; execa's cleanup would only kill git.
    cleanup: false,
    reject: false,
    stripFinalNewline: false,
    maxBuffer: call.maxBuffer ?? 16 * 1024 * 1024,
  });
  let stopped: "timeout" | "abort" | null = null;
  const stop = (why: "timeout" | "abort") => {
    stopped ??= why;
    if (subprocess.pid !== undefined) signalGroup(subprocess.pid, "SIGKILL");
  };
  const timer = setTimeout(() => stop("timeout"), call.timeoutMs);
  const onAbort = () => stop("abort");
  call.signal?.addEventListener("abort", onAbort, { once: true });
  const result = await subprocess;
  clearTimeout(timer);
  call.signal?.removeEventListener("abort", onAbort);

  const stdout = String(result.stdout ?? "");
  const stderr = String(result.stderr ?? "");
  if (stopped === "timeout") throw new WorkdirError("git", `${call.what} timed out after ${seconds(call.timeoutMs)}s`);
  if (stopped === "abort") throw new WorkdirError("git", `${call.what} was cancelled`);
  if (!result.failed) return { ok: true, stdout, stderr };
  if ((result as { code?: string }).code === "ENOENT") {
    throw new WorkdirError("bad_config", "git is not installed (no `git` on PATH)");
  }
  if (result.isMaxBuffer) throw new WorkdirError("git", `${call.what} printed more output than the runner keeps`);
  if (call.allowFailure) return { ok: false, stdout, stderr };
  const kind = call.configErrors?.test(stderr) ? "bad_config" : "git";
  const exit = result.exitCode === undefined ? (result.signal ?? "failed") : `exit code ${result.exitCode}`;
  throw new WorkdirError(kind, `${call.what} failed: ${lastErrorLine(stderr) ?? exit}`);
}

/**
 * The line of git's stderr that says what went wrong: the last `fatal:`/`error:` line, else the
 * last non-empty one. Credentials in URLs are masked; cut to 300 characters.
 */
export function lastErrorLine(stderr: string): string | null {
  const lines = stderr
    .split(/\r?\n|\r/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const line = [...lines].reverse().find((l) => /^(fatal|error):/i.test(l)) ?? lines.at(-1);
  return line === undefined ? null : redactCredentials(line).slice(0, 300);
}

/** Masks passwords and tokens in URLs: `https://user:tok@host` → `https://***@host`. */
export function redactCredentials(text: string): string {
  return text
    .replace(/\b(https?:\/\/)[^\s/@]+@/gi, "$1***@")
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]+):[^\s/@]+@/gi, "$1:***@");
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1);
}
