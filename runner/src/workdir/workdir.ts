/**
 * The working directory of a task, ready for the agent: the entry point the job runner calls
 * before it starts an attempt. One directory per (agent, issue), so a follow-up run on the same
 * issue continues where the last one stopped:
 * - with a repository: a git worktree `<root>/worktrees/<agent>/<issue>` on the branch
 *   `multica/<agent>/<issue>`, made from the bare cache `<root>/repos/…` (repo-cache.ts,
 *   worktree.ts);
 * - without one: a plain directory `<root>/tasks/<agent>/<issue>`.
 * Either way the task context is written where the runtime's CLI reads it (context-files.ts).
 * Agent names and issue keys only ever reach the file system as slugs (paths.ts), so no name
 * can point outside the root. Failures are WorkdirError (kind `bad_config` or `git`).
 */
import { mkdir, stat } from "node:fs/promises";
import { writeContextFiles } from "./context-files";
import { DEFAULT_GIT_TIMEOUT_MS, WorkdirError } from "./git";
import { KeyedLock } from "./keyed-lock";
import { checkRoot, insideRoot, toSlug } from "./paths";
import { RUNNER_BRANCH_PREFIX, withRepoCache } from "./repo-cache";
import { ensureWorktree } from "./worktree";

export { WorkdirError } from "./git";

export interface WorkdirRequest {
  /** Runner-owned root, e.g. `<dataDir>/work`. */
  root: string;
  taskId: string;
  attempt: number;
  /** Runtime key, e.g. "claude", "codex", "command:lint". */
  runtime: string;
  agent: { id: string; name: string; instructions: string };
  issue: {
    id: string;
    key: string;
    title: string;
    body: string;
    comments: { author: string; body: string; createdAt: number }[];
  };
  /** The repository to work in; null for a task without one. */
  repository: { source: string; baseRef: string | null } | null;
}

export interface PreparedWorkdir {
  /** Absolute path the agent runs in. */
  dir: string;
  /** The worktree's branch; null without a repository. */
  branch: string | null;
  /** True when the directory was there from an earlier run (a follow-up), left as it was. */
  reused: boolean;
  /** Context files written, relative to `dir`. */
  contextFiles: string[];
  /** Text the caller puts before the prompt (the CLI has no context file left to read); else null. */
  promptPreamble: string | null;
  /** Things worth showing the user, e.g. skipped .worktreeinclude files. */
  notes: string[];
}

export interface WorkdirOptions {
  /** Limit for each git call (a clone or a fetch); default 10 minutes. */
  gitTimeoutMs?: number;
  signal?: AbortSignal;
  /** One-line progress messages ("cloning …", "fetching …", "creating worktree …"). */
  onProgress?: (line: string) => void;
}

/** Task directories (no repository) being prepared; worktrees are serialized by their cache's lock. */
const taskDirLocks = new KeyedLock();

/** File-system errors that no retry will fix: the root or a directory in it is not writable. */
const FS_CONFIG_ERRORS = new Set(["EACCES", "EPERM", "EROFS", "ENOTDIR"]);

/**
 * Prepares (or finds again) the task's working directory; see the module comment. Every
 * failure is a WorkdirError, file-system errors included.
 */
export async function prepareWorkdir(req: WorkdirRequest, opts: WorkdirOptions = {}): Promise<PreparedWorkdir> {
  try {
    return await prepare(req, opts);
  } catch (err) {
    if (err instanceof WorkdirError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "";
    const message = String((err as Error).message ?? err).split("\n")[0];
    throw new WorkdirError(FS_CONFIG_ERRORS.has(code) ? "bad_config" : "git", `cannot prepare the work directory: ${message}`);
  }
}

async function prepare(req: WorkdirRequest, opts: WorkdirOptions): Promise<PreparedWorkdir> {
  const root = checkRoot(req.root);
  const timeoutMs = opts.gitTimeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
  const agentSlug = toSlug(req.agent.name);
  const issueSlug = toSlug(req.issue.key);
  const context = (dir: string) =>
    writeContextFiles({ dir, runtime: req.runtime, agent: req.agent, issue: req.issue }, { timeoutMs, signal: opts.signal });

  if (req.repository === null) {
    const dir = insideRoot(root, "tasks", agentSlug, issueSlug);
    return taskDirLocks.run(dir, async () => {
      const reused = (await stat(dir).catch(() => null))?.isDirectory() ?? false;
      await mkdir(dir, { recursive: true });
      throwIfAborted(opts.signal);
      const written = await context(dir);
      return { dir, branch: null, reused, contextFiles: written.files, promptPreamble: written.promptPreamble, notes: written.notes };
    });
  }

  const repository = req.repository;
  const dir = insideRoot(root, "worktrees", agentSlug, issueSlug);
  const branch = `${RUNNER_BRANCH_PREFIX}${agentSlug}/${issueSlug}`;
  const cacheOptions = { root, timeoutMs, signal: opts.signal, onProgress: opts.onProgress };
  // The context files go into the cache's shared info/exclude: write them under the cache lock too.
  return withRepoCache(repository.source, cacheOptions, async (repo) => {
    const worktree = await ensureWorktree(
      { cacheDir: repo.dir, dir, branch, baseRef: repository.baseRef, label: repo.source.label, includeFrom: repo.source.workTree },
      cacheOptions,
    );
    throwIfAborted(opts.signal);
    const written = await context(dir);
    return {
      dir,
      branch,
      reused: worktree.reused,
      contextFiles: written.files,
      promptPreamble: written.promptPreamble,
      notes: [...worktree.notes, ...written.notes],
    };
  });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new WorkdirError("git", "preparing the work directory was cancelled");
}
