/**
 * Hiding what the runner writes into a worktree from git: finding a work dir's git dir and
 * exclude file, and adding lines to a managed block of that exclude file. Worktrees of one cache
 * share its info/exclude, and two attempts may add entries at once (context files and skills), so
 * every update goes through one per-file lock in this process and is written atomically.
 */
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readFile, realpath, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { runGit } from "./git";
import { KeyedLock } from "./keyed-lock";

export interface WorkRepo {
  /** The worktree's own git dir (`<cache>/worktrees/<name>`), where the runner keeps manifests. */
  gitDir: string;
  excludeFile: string;
}

export interface GitProbeOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** A managed block of the exclude file, between two marker lines. */
export interface ExcludeBlock {
  begin: string;
  end: string;
}

const locks = new KeyedLock();

/** The git dir and exclude file when `dir` (a real path) is the top of a working tree; null otherwise. */
export async function gitRepoAt(dir: string, opts: GitProbeOptions): Promise<WorkRepo | null> {
  // The top of a working tree has a .git entry (a file in a worktree): without one, no git to ask.
  // Plain task dirs are the common case, and a git process costs milliseconds on the dispatch path.
  if (!(await lstat(join(dir, ".git")).catch(() => null))) return null;
  const probe = await runGit(["rev-parse", "--path-format=absolute", "--absolute-git-dir", "--show-toplevel", "--git-path", "info/exclude"], {
    cwd: dir,
    what: `git rev-parse in ${dir}`,
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    allowFailure: true,
  });
  const [gitDir, top, excludeFile] = probe.stdout.trim().split("\n");
  if (!probe.ok || !gitDir || !top || !excludeFile) return null;
  // A task directory inside some other repository is not a worktree of ours.
  return (await realpath(top).catch(() => top)) === dir ? { gitDir, excludeFile } : null;
}

/** Adds `entries` to `block` of the exclude file, keeping everything else in it. */
export function addExcludeEntries(excludeFile: string, block: ExcludeBlock, entries: readonly string[]): Promise<void> {
  if (entries.length === 0) return Promise.resolve();
  return locks.run(excludeFile, async () => {
    await mkdir(dirname(excludeFile), { recursive: true });
    const text = (await readFile(excludeFile, "utf8").catch(() => "")).replace(/\r\n/g, "\n");
    const next = withEntries(text, block, entries);
    if (next === null) return;
    const tmp = `${excludeFile}.${randomBytes(4).toString("hex")}.tmp`;
    await writeFile(tmp, next);
    await rename(tmp, excludeFile);
  });
}

/** The exclude file's text with `entries` in the block; null when they are all there already. */
function withEntries(text: string, { begin: BEGIN, end: END }: ExcludeBlock, entries: readonly string[]): string | null {
  const lines = text.split("\n");
  const begin = lines.indexOf(BEGIN);
  const end = begin >= 0 ? lines.indexOf(END, begin) : -1;
  const found = begin >= 0 && end > begin;
  const block = found ? lines.slice(begin + 1, end).filter((l) => l.trim() !== "") : [];
  const merged = [...new Set([...block, ...entries])];
  if (merged.length === block.length) return null;
  const outside = found ? [...lines.slice(0, begin), ...lines.slice(end + 1)] : lines;
  const head = outside.join("\n").trimEnd();
  return `${head === "" ? "" : `${head}\n`}${[BEGIN, ...merged, END].join("\n")}\n`;
}
