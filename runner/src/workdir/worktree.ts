/**
 * One git worktree per (agent, issue), on the branch `multica/<agent>/<issue>`, made from the
 * runner's bare cache (repo-cache.ts). workdir.ts calls `ensureWorktree` while it holds the
 * cache's lock. A follow-up run on the same issue finds the worktree in place and reuses it
 * exactly as the agent left it (uncommitted work included); nothing is reset. Otherwise stale
 * worktree metadata is pruned and the worktree is added: on the existing branch when the cache
 * has it (an earlier worktree was removed), else on a new branch from the base ref.
 */
import { mkdir, readdir, realpath, rename, rmdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { type GitCall, runGit, WorkdirError } from "./git";
import { copyWorktreeIncludes } from "./worktree-include";

export interface WorktreeSpec {
  /** The bare clone. */
  cacheDir: string;
  /** Where the worktree lives: `<root>/worktrees/<agent>/<issue>`. */
  dir: string;
  branch: string;
  /** Branch, tag or commit to start a new branch from; null for the cache's HEAD (the default branch). */
  baseRef: string | null;
  /** The repository, for messages. */
  label: string;
  /** Working tree of a local source to copy `.worktreeinclude` files from; null for none. */
  includeFrom: string | null;
}

export interface WorktreeOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  onProgress?: ((line: string) => void) | undefined;
}

export interface WorktreeResult {
  reused: boolean;
  /** Things worth telling the user (a stale directory moved aside, files skipped, …). */
  notes: string[];
}

/** Makes sure `spec.dir` is a worktree of `spec.cacheDir`; see the module comment. */
export async function ensureWorktree(spec: WorktreeSpec, opts: WorktreeOptions): Promise<WorktreeResult> {
  const notes: string[] = [];
  const git = (args: string[], what: string, extra: Partial<GitCall> = {}) =>
    runGit([`--git-dir=${spec.cacheDir}`, ...args], {
      cwd: spec.cacheDir,
      what: `${what} in the cache of ${spec.label}`,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      ...extra,
    });

  const existing = await stat(spec.dir).catch(() => null);
  if (existing) {
    if (await isWorktreeOf(spec.dir, spec.cacheDir, opts)) {
      opts.onProgress?.(`reusing the worktree ${spec.dir}`);
      return { reused: true, notes };
    }
    if (existing.isDirectory() && (await readdir(spec.dir)).length === 0) {
      await rmdir(spec.dir);
    } else {
      // Not ours to delete: it may hold work of an earlier run whose cache was lost or replaced.
      const aside = `${spec.dir}.stale-${Date.now()}`;
      await rename(spec.dir, aside);
      notes.push(`${spec.dir} was not a worktree of ${spec.label}; moved it aside to ${aside}`);
    }
  }

  await git(["worktree", "prune"], "git worktree prune");
  await mkdir(dirname(spec.dir), { recursive: true });
  const hasBranch = (await git(["show-ref", "--verify", "--quiet", `refs/heads/${spec.branch}`], "git show-ref", { allowFailure: true })).ok;
  if (hasBranch) {
    opts.onProgress?.(`creating a worktree on the existing branch ${spec.branch}`);
    await git(["worktree", "add", "--quiet", spec.dir, spec.branch], "git worktree add");
  } else {
    const { commit, name } = await resolveBase(spec, git);
    opts.onProgress?.(`creating a worktree on branch ${spec.branch} from ${name}`);
    // --no-track: the branch is the agent's own; it should not follow the base branch upstream.
    await git(["worktree", "add", "--quiet", "--no-track", "-b", spec.branch, spec.dir, commit], "git worktree add");
  }

  if (spec.includeFrom) {
    const included = await copyWorktreeIncludes(spec.includeFrom, spec.dir, opts);
    if (included.copied.length > 0) {
      const n = included.copied.length;
      opts.onProgress?.(`copied ${n} file${n === 1 ? "" : "s"} listed in .worktreeinclude`);
    }
    for (const skipped of included.skipped) notes.push(`.worktreeinclude: skipped ${skipped}`);
  }
  return { reused: false, notes };
}

type CacheGit = (args: string[], what: string, extra?: Partial<GitCall>) => ReturnType<typeof runGit>;

/**
 * The commit a new branch starts from. A base ref may name a branch (`main`, also written
 * `origin/main` or `refs/heads/main`), a tag or a commit; the cache mirrors the source's
 * branches as its own, so `origin/…` is looked up without the prefix.
 */
async function resolveBase(spec: WorktreeSpec, git: CacheGit): Promise<{ commit: string; name: string }> {
  const ref = spec.baseRef?.trim() || null;
  if (ref !== null && (ref.startsWith("-") || ref.includes("\0"))) {
    throw new WorkdirError("bad_config", `base ref ${JSON.stringify(ref)} is not a valid git ref`);
  }
  const tries = ref === null ? ["HEAD"] : [ref, `refs/heads/${ref}`, ...(ref.startsWith("origin/") ? [`refs/heads/${ref.slice(7)}`] : [])];
  for (const name of tries) {
    const found = await git(["rev-parse", "--verify", "--quiet", "--end-of-options", `${name}^{commit}`], "git rev-parse", { allowFailure: true });
    if (found.ok && found.stdout.trim() !== "") return { commit: found.stdout.trim(), name: ref ?? "the default branch" };
  }
  if (ref === null) throw new WorkdirError("bad_config", `${spec.label} has no commits to start branch ${spec.branch} from`);
  throw new WorkdirError("bad_config", `base ref ${JSON.stringify(ref)} was not found in ${spec.label}`);
}

/** Whether `dir` is the top of a working tree whose repository is `cacheDir`. */
async function isWorktreeOf(dir: string, cacheDir: string, opts: WorktreeOptions): Promise<boolean> {
  const probe = await runGit(["rev-parse", "--path-format=absolute", "--git-common-dir", "--show-toplevel"], {
    cwd: dir,
    what: `git rev-parse in ${dir}`,
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    allowFailure: true,
  });
  if (!probe.ok) return false;
  const [common, top] = probe.stdout.trim().split("\n");
  if (!common || !top) return false;
  const [realCommon, realTop, realCache, realDir] = await Promise.all([common, top, cacheDir, dir].map((p) => realpath(p).catch(() => p)));
  return realCommon === realCache && realTop === realDir;
}
