/**
 * Writes the task context (context-document.ts) where the run's agent CLI reads it
 * (context-targets.ts decides which files), without touching the user's own files:
 * - a file is ours only if our manifest lists it and git does not track it; every other file
 *   that exists is the user's and is never written, replaced or deleted. The manifest lives in
 *   the worktree's own git dir (`<cache>/worktrees/<name>/multica-context.json`, invisible to
 *   git status), or in `.multica/manifest.json` for a work directory without git. It is updated
 *   before a file is created, so a crash never leaves a file of ours that looks like the user's;
 * - new files are created with O_EXCL; our own are replaced atomically (temp file + rename);
 *   nothing is written through a symlinked directory;
 * - every file we create is listed in the repository's info/exclude, so it never shows in
 *   `git status` nor lands in a commit. Worktrees share that file with their bare cache (`git
 *   rev-parse --git-path info/exclude` gives `<cache>/info/exclude`); the cache is the runner's,
 *   so that is fine. Entries are anchored (`/CLAUDE.md`) and only added;
 * - on a follow-up run our files are rewritten with the fresh content (new comments), and files
 *   we wrote for another CLI earlier are removed, so no stale copy of the issue stays behind.
 * workdir.ts calls `writeContextFiles` after the worktree (or task directory) is ready.
 */
import { randomBytes } from "node:crypto";
import { lstat, mkdir, readFile, realpath, rename, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { z } from "zod";
import { type ContextComment, renderContextDocument } from "./context-document";
import { CANDIDATE_PATHS, planContextFiles, WRITABLE_PATHS } from "./context-targets";
import { runGit } from "./git";
import { addExcludeEntries, gitRepoAt } from "./git-exclude";
import { realParentDirs } from "./paths";

export interface ContextRequest {
  /** The work directory (a worktree's top, or a plain directory). */
  dir: string;
  /** Runtime key of the run: `claude`, `codex`, …, or `command:<name>`. */
  runtime: string;
  agent: { name: string; instructions: string };
  issue: { key: string; title: string; body: string; comments: ContextComment[] };
}

export interface ContextResult {
  /** Files written, relative to the work directory. */
  files: string[];
  /** Text to put before the prompt when the CLI has no file left to read it from; else null. */
  promptPreamble: string | null;
  notes: string[];
}

export interface ContextOptions {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

const Manifest = z.object({ version: z.literal(1), files: z.array(z.string()).max(100) });
const EXCLUDE_BLOCK = {
  begin: "# >>> multica-runner: files the runner writes into worktrees (managed, do not edit)",
  end: "# <<< multica-runner",
};
/** A user file merged into ours (AGENTS.md for Codex) is read only up to this size. */
const MAX_MERGED_USER_FILE = 1024 * 1024;

type PathState = "absent" | "file" | "other" | "unsafe";

/** Writes the context files for one run; see the module comment. */
export async function writeContextFiles(req: ContextRequest, opts: ContextOptions): Promise<ContextResult> {
  const dir = await realpath(req.dir);
  const repo = await gitRepoAt(dir, opts);
  const manifestPath = repo ? join(repo.gitDir, "multica-context.json") : join(dir, ".multica", "manifest.json");
  const ours = await readManifest(manifestPath);
  const tracked = repo ? await trackedAmong(dir, opts) : new Set<string>();
  const states = new Map<string, PathState>();
  for (const path of CANDIDATE_PATHS) states.set(path, await pathState(dir, path));
  const isUsers = (path: string) => {
    const state = states.get(path) ?? "absent";
    return tracked.has(path) || state === "unsafe" || state === "other" || (state === "file" && !ours.has(path));
  };
  const texts = new Map<string, string>();
  if (isUsers("AGENTS.md") && states.get("AGENTS.md") === "file") {
    const text = await readSmall(join(dir, "AGENTS.md"));
    if (text !== null) texts.set("AGENTS.md", text);
  }

  const doc = renderContextDocument(req);
  const plan = planContextFiles(req.runtime, doc.text, { isUsers, userText: (p) => texts.get(p) ?? null });
  const notes = [...plan.notes];
  if (doc.omittedComments > 0) notes.push(`${doc.omittedComments} older comments were left out of the context files (size limit)`);
  const planned = plan.files.map((f) => f.path);
  const keep = [...ours].filter((p) => !tracked.has(p));
  await writeManifest(manifestPath, [...new Set([...keep, ...planned])]);

  const written: string[] = [];
  for (const file of plan.files) {
    const target = join(dir, file.path);
    if (!(await realParentDirs(dir, file.path, true))) {
      notes.push(`${file.path}: a directory on its path is a symlink or a file; not written`);
      continue;
    }
    if (states.get(file.path) === "file") {
      const tmp = `${target}.multica-${randomBytes(4).toString("hex")}`;
      await writeFile(tmp, file.content, { flag: "wx" });
      await rename(tmp, target);
    } else {
      try {
        await writeFile(target, file.content, { flag: "wx" });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        notes.push(`${file.path} appeared while the runner was writing; left alone`);
        continue;
      }
    }
    written.push(file.path);
  }
  const writable = new Set<string>(WRITABLE_PATHS);
  for (const path of keep) {
    if (planned.includes(path) || !writable.has(path) || states.get(path) !== "file") continue;
    await unlink(join(dir, path)).catch(() => undefined);
  }
  await writeManifest(manifestPath, written);
  if (repo) await addExcludeEntries(repo.excludeFile, EXCLUDE_BLOCK, written.map((f) => `/${f}`));
  return { files: written, promptPreamble: plan.promptPreamble, notes };
}

/** Which candidate paths git tracks (a tracked directory of that name counts too). */
async function trackedAmong(dir: string, opts: ContextOptions): Promise<Set<string>> {
  const literal = CANDIDATE_PATHS.map((p) => `:(literal)${p}`);
  const call = { cwd: dir, what: `git ls-files in ${dir}`, timeoutMs: opts.timeoutMs, signal: opts.signal };
  const listed = await runGit(["ls-files", "-z", "--", ...literal], call);
  const files = listed.stdout.split("\0").filter((p) => p !== "");
  return new Set(CANDIDATE_PATHS.filter((p) => files.some((f) => f === p || f.startsWith(`${p}/`))));
}

async function pathState(dir: string, path: string): Promise<PathState> {
  if (!(await realParentDirs(dir, path, false))) return "unsafe";
  const info = await lstat(join(dir, path)).catch(() => null);
  if (info === null) return "absent";
  return info.isFile() ? "file" : "other";
}

async function readSmall(path: string): Promise<string | null> {
  const info = await lstat(path).catch(() => null);
  if (!info?.isFile() || info.size > MAX_MERGED_USER_FILE) return null;
  return readFile(path, "utf8").catch(() => null);
}

async function readManifest(path: string): Promise<Set<string>> {
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return new Set();
  try {
    const parsed = Manifest.safeParse(JSON.parse(text));
    return new Set(parsed.success ? parsed.data.files : []);
  } catch {
    // Unreadable: claim nothing, so at worst we skip a file of ours, never take a user's.
    return new Set();
  }
}

async function writeManifest(path: string, files: string[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ version: 1, files }, null, 2)}\n`);
  await rename(tmp, path);
}

