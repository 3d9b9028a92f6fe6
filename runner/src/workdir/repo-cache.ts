/**
 * The runner's cache of bare clones, one per repository, under
 * `<root>/repos/<name>-<sha256 of the normalized source>.git`. workdir.ts asks for a repository
 * through `withRepoCache`: the first use clones it (into a temporary directory, renamed into
 * place only once complete, so a crash never leaves a half-made cache that looks usable);
 * later uses fetch. The callback runs while the per-cache lock is held, so worktree.ts can add
 * worktrees without racing another task's fetch or `git worktree` call on the same cache.
 *
 * Branches are mirrored (`refs/heads/*` onto `refs/heads/*`, bare clones have no remote-tracking
 * refs) except our own namespace `multica/`: those branches live only in the cache, carry the
 * agents' commits and are checked out in worktrees. Without the negative refspec, `--prune`
 * would delete them and a same-named branch in the source would make git refuse the whole fetch
 * ("refusing to fetch into branch checked out at …"); both checked against git 2.39.
 */
import { randomBytes } from "node:crypto";
import { mkdir, readdir, realpath, rename, rm, stat } from "node:fs/promises";
import { basename, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runGit, type GitCall, WorkdirError } from "./git";
import { KeyedLock } from "./keyed-lock";
import { insideRoot, shortHash, toSlug } from "./paths";

/** Branches under this prefix belong to the runner's worktrees and are never fetched or pruned. */
export const RUNNER_BRANCH_PREFIX = "multica/";
const FETCH_REFSPECS = ["+refs/heads/*:refs/heads/*", `^refs/heads/${RUNNER_BRANCH_PREFIX}*`];

/** Git stderr that means the source itself is wrong (not a passing network or git failure). */
const SOURCE_ERRORS = new RegExp(
  [
    "not found",
    "does not exist",
    "does not appear to be a git repository",
    "not a git repository",
    "authentication failed",
    "permission denied",
    "could not read (username|password)",
    "terminal prompts disabled",
    "host key verification failed",
    "unable to find remote helper",
    "not allowed",
  ].join("|"),
  "i",
);

/** Schemes git can fetch from that the runner accepts in a URL source. */
const URL_SCHEMES = new Set(["https:", "http:", "ssh:", "git:", "git+ssh:", "ssh+git:"]);
/** `user@host:path` (scp-like ssh). The host part excludes `::` transports such as `ext::`. */
const SCP_LIKE = /^(?:[A-Za-z0-9._~-]+@)?([A-Za-z0-9.-]+):(?!\/\/|:)(.+)$/;

/** A repository source, checked. */
export interface RepoSource {
  /** What clone and fetch use (may hold credentials: never log it). */
  cloneFrom: string;
  /** Safe to show: credentials removed. */
  label: string;
  /** Identity of the repository: same key, same cache (`host/path` or a real local path). */
  key: string;
  /** Top of the working tree of a local, non-bare source; null for URLs and bare repositories. */
  workTree: string | null;
}

export interface CachedRepo {
  /** The bare clone. */
  dir: string;
  source: RepoSource;
  /** True when this call cloned it, false when it fetched. */
  cloned: boolean;
}

export interface RepoCacheOptions {
  /** The work root; the cache lives in `<root>/repos`. */
  root: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  onProgress?: ((line: string) => void) | undefined;
}

/** One lock per cache directory, for the whole process (see keyed-lock.ts). */
const cacheLocks = new KeyedLock();

/** Clones or fetches `source` into the cache, then runs `use` while holding that cache's lock. */
export async function withRepoCache<T>(source: string, opts: RepoCacheOptions, use: (repo: CachedRepo) => Promise<T>): Promise<T> {
  const repo = await resolveSource(source, opts);
  const reposDir = insideRoot(opts.root, "repos");
  const name = `${toSlug(basename(repo.key), 40)}-${shortHash(repo.key)}`;
  const dir = insideRoot(reposDir, `${name}.git`);
  return cacheLocks.run(dir, async () => {
    await mkdir(reposDir, { recursive: true });
    const call = (what: string): GitCall => ({ cwd: reposDir, what, timeoutMs: opts.timeoutMs, signal: opts.signal, configErrors: SOURCE_ERRORS });
    let cloned = false;
    if (!(await isBareRepo(dir, call("git rev-parse")))) {
      if (await exists(dir)) {
        // A cache that git no longer recognises may still hold agents' commits: keep it aside.
        const aside = `${dir}.broken-${Date.now()}`;
        await rename(dir, aside);
        opts.onProgress?.(`moved an unusable repository cache aside to ${aside}`);
      }
      opts.onProgress?.(`cloning ${repo.label} into the repository cache`);
      await cloneInto(repo, reposDir, name, dir, call(`git clone of ${repo.label}`));
      cloned = true;
    } else {
      opts.onProgress?.(`fetching ${repo.label}`);
      const fetch = call(`git fetch of ${repo.label}`);
      // The URL may have changed form or credentials since the clone (same key, new token).
      await runGit([`--git-dir=${dir}`, "remote", "set-url", "origin", repo.cloneFrom], fetch);
      // --tags: a base ref may name a tag made after the clone on an already fetched commit.
      await runGit([`--git-dir=${dir}`, "fetch", "--prune", "--tags", "--quiet", "origin", ...FETCH_REFSPECS], fetch);
    }
    return use({ dir, source: repo, cloned });
  });
}

async function cloneInto(repo: RepoSource, reposDir: string, name: string, dir: string, call: GitCall): Promise<void> {
  // Leftovers of a clone that crashed half-way: nobody else uses them (we hold the lock).
  for (const entry of await readdir(reposDir)) {
    if (entry.startsWith(`.tmp-${name}-`)) await rm(join(reposDir, entry), { recursive: true, force: true });
  }
  const tmp = insideRoot(reposDir, `.tmp-${name}-${randomBytes(4).toString("hex")}`);
  try {
    await runGit(["clone", "--bare", "--quiet", "--", repo.cloneFrom, tmp], call);
    await runGit([`--git-dir=${tmp}`, "config", "--replace-all", "remote.origin.fetch", FETCH_REFSPECS[0] as string], call);
    await runGit([`--git-dir=${tmp}`, "config", "--add", "remote.origin.fetch", FETCH_REFSPECS[1] as string], call);
    await rename(tmp, dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function isBareRepo(dir: string, call: GitCall): Promise<boolean> {
  if (!(await exists(dir))) return false;
  // --git-dir: never walk up to a repository that happens to contain the work root.
  const probe = await runGit([`--git-dir=${dir}`, "rev-parse", "--is-bare-repository"], { ...call, allowFailure: true });
  return probe.ok && probe.stdout.trim() === "true";
}

/** Parses and checks a source: a git URL (https, ssh, git@host:path, file://) or an absolute local path. */
export async function resolveSource(source: string, call: Pick<GitCall, "timeoutMs" | "signal">): Promise<RepoSource> {
  const text = source.trim();
  const bad = (why: string) => new WorkdirError("bad_config", `repository ${JSON.stringify(redactForLabel(text))} ${why}`);
  if (text === "" || text.includes("\0") || text.startsWith("-")) throw bad("is not a valid git URL or path");
  if (text.startsWith("file://")) {
    let path: string;
    try {
      path = fileURLToPath(text);
    } catch {
      throw bad("is not a valid file:// URL");
    }
    return resolveLocal(path, call);
  }
  if (isAbsolute(text)) return resolveLocal(text, call);
  // Paths may hold spaces; URLs and scp-like addresses may not (git would split them anyway).
  if (/\s/.test(text)) throw bad("is not a valid git URL");
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw bad("is not a valid URL");
    }
    if (!URL_SCHEMES.has(url.protocol)) throw bad(`uses ${url.protocol}// (use https://, ssh://, git@host:path, file:// or a path)`);
    const path = trimRepoPath(decodeURIComponent(url.pathname));
    if (url.hostname === "" || path === "") throw bad("has no host or no repository path");
    const key = `${url.hostname.toLowerCase()}${url.port ? `:${url.port}` : ""}/${path}`;
    return { cloneFrom: text, label: redactForLabel(text), key, workTree: null };
  }
  const scp = SCP_LIKE.exec(text);
  if (scp) {
    const path = trimRepoPath(scp[2] ?? "");
    if (path === "") throw bad("has no repository path");
    return { cloneFrom: text, label: text, key: `${(scp[1] ?? "").toLowerCase()}/${path}`, workTree: null };
  }
  throw bad("must be a git URL (https://, ssh://, git@host:path, file://) or an absolute path");
}

async function resolveLocal(path: string, call: Pick<GitCall, "timeoutMs" | "signal">): Promise<RepoSource> {
  const bad = (why: string) => new WorkdirError("bad_config", `repository path ${path} ${why}`);
  const info = await stat(path).catch(() => null);
  if (!info) throw bad("does not exist");
  if (!info.isDirectory()) throw bad("is not a directory");
  const real = await realpath(path);
  const probeCall = { cwd: real, what: `git rev-parse in ${path}`, timeoutMs: call.timeoutMs, signal: call.signal, allowFailure: true };
  const probe = await runGit(["rev-parse", "--is-bare-repository", "--absolute-git-dir"], probeCall);
  if (!probe.ok) throw bad("is not a git repository");
  const [bare, gitDir] = probe.stdout.trim().split("\n");
  let workTree: string | null = null;
  if (bare === "true") {
    if (gitDir === undefined || (await realpath(gitDir)) !== real) throw bad("is inside a git repository but is not its top");
  } else {
    const top = await runGit(["rev-parse", "--show-toplevel"], probeCall);
    if (!top.ok || (await realpath(top.stdout.trim())) !== real) throw bad("is inside a git repository but is not its top");
    workTree = real;
  }
  return { cloneFrom: real, label: path, key: real, workTree };
}

/** `/acme/app.git/` → `acme/app`. */
function trimRepoPath(path: string): string {
  return path.replace(/^[/~]+/, "").replace(/\/+$/, "").replace(/\.git$/, "");
}

/** A URL without its password or token (http tokens often sit in the user part). */
function redactForLabel(text: string): string {
  try {
    const url = new URL(text);
    if (url.password === "" && (url.username === "" || !url.protocol.startsWith("http"))) return text;
    url.password = "";
    if (url.protocol.startsWith("http")) url.username = "";
    return url.href;
  } catch {
    return text;
  }
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}
