/**
 * Copies a repository's `.worktreeinclude` files into a new worktree, as Claude Code's desktop
 * app does: `.worktreeinclude` sits at the root of the source working tree and holds
 * gitignore-style patterns; a file is copied when a pattern matches it AND git ignores it
 * (a `.env`, a local config). Tracked files are never copied: the worktree has them already.
 * The same rule is used by ccmanager and git-worktreeinclude (ccmanager PR #330).
 *
 * Git does the matching, so the semantics are git's own: `ls-files --others --ignored
 * --exclude-from=.worktreeinclude` lists untracked files the patterns match, and
 * `check-ignore --stdin` keeps those the repository's ignore rules really ignore.
 * worktree.ts calls this once, right after `git worktree add`, for local-path sources only
 * (a URL source has no working tree to copy from).
 */
import { constants } from "node:fs";
import { copyFile, lstat } from "node:fs/promises";
import { join } from "node:path";
import { runGit, WorkdirError } from "./git";
import { realParentDirs, safeRelative } from "./paths";

/** Files bigger than this are skipped (and reported). */
export const MAX_INCLUDE_FILE_BYTES = 50 * 1024 * 1024;
/** At most this many files are copied into one worktree; the rest are reported as skipped. */
export const MAX_INCLUDE_FILES = 1000;

export interface IncludeResult {
  /** Paths copied, relative to the repository root. */
  copied: string[];
  /** `path: reason` for each file that matched but was not copied. */
  skipped: string[];
}

export interface IncludeCall {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** Copies the files `.worktreeinclude` selects from `sourceTop` into `worktreeDir`. */
export async function copyWorktreeIncludes(sourceTop: string, worktreeDir: string, call: IncludeCall): Promise<IncludeResult> {
  const result: IncludeResult = { copied: [], skipped: [] };
  const includeFile = join(sourceTop, ".worktreeinclude");
  const info = await lstat(includeFile).catch(() => null);
  if (!info?.isFile()) return result;

  const git = { cwd: sourceTop, timeoutMs: call.timeoutMs, signal: call.signal };
  const matched = await runGit(["ls-files", "-z", "--others", "--ignored", `--exclude-from=${includeFile}`], {
    ...git,
    what: `git ls-files for .worktreeinclude in ${sourceTop}`,
  });
  const candidates = splitNul(matched.stdout);
  if (candidates.length === 0) return result;
  // Exit code 1 means "none of them is ignored"; only a message on stderr is a real failure.
  const ignored = await runGit(["check-ignore", "-z", "--stdin"], {
    ...git,
    what: `git check-ignore for .worktreeinclude in ${sourceTop}`,
    input: `${candidates.join("\0")}\0`,
    allowFailure: true,
  });
  if (!ignored.ok && ignored.stderr.trim() !== "") {
    throw new WorkdirError("git", `git check-ignore for .worktreeinclude in ${sourceTop} failed: ${ignored.stderr.trim().split("\n").at(-1)}`);
  }

  const files = splitNul(ignored.stdout).sort();
  for (const [i, file] of files.entries()) {
    if (i >= MAX_INCLUDE_FILES) {
      result.skipped.push(`${file}: more than ${MAX_INCLUDE_FILES} files matched`);
      continue;
    }
    const reason = await copyOne(sourceTop, worktreeDir, file);
    if (reason === null) result.copied.push(file);
    else result.skipped.push(`${file}: ${reason}`);
  }
  return result;
}

/** Copies one file; returns why it was not copied, or null. Never overwrites. */
async function copyOne(sourceTop: string, worktreeDir: string, file: string): Promise<string | null> {
  const rel = safeRelative(file);
  if (rel === null) return "not a plain relative path";
  const src = join(sourceTop, rel);
  const info = await lstat(src).catch(() => null);
  // Only regular files: a symlink could point anywhere, including out of the source.
  if (!info?.isFile()) return "not a regular file";
  if (info.size > MAX_INCLUDE_FILE_BYTES) return `${mib(info.size).toFixed(1)} MiB, over the ${mib(MAX_INCLUDE_FILE_BYTES)} MiB limit`;
  if (!(await realParentDirs(worktreeDir, rel, true))) return "a directory on its path is a symlink or a file in the worktree";
  try {
    await copyFile(src, join(worktreeDir, rel), constants.COPYFILE_EXCL);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return "already exists in the worktree";
    return `copy failed (${code ?? String(err)})`;
  }
  return null;
}

function splitNul(text: string): string[] {
  return text.split("\0").filter((p) => p !== "");
}

function mib(bytes: number): number {
  return bytes / (1024 * 1024);
}
