/**
 * Puts a task's skills into its work directory, in the folder the run's agent CLI reads project
 * skills from (skill-targets.ts), and records what was there before the agent starts, for
 * skill-harvest.ts. The rules are those of workdir/context-files.ts:
 * - a skill folder is ours only if our manifest lists it and git tracks nothing in it; any
 *   other folder of that name is the user's and is never written, replaced or deleted (the
 *   workspace's skill is skipped with a note, unless the folder already holds exactly it). The
 *   manifest lives in the worktree's own git dir (`multica-skills.json`) or in
 *   `.multica/skills-manifest.json` without git, and is written before a folder is created;
 * - nothing is written through a symlinked directory, nothing outside the work directory;
 * - every folder we create is listed in info/exclude (git-hide.ts): never in `git status`, never
 *   committed;
 * - on a follow-up run our folders are written afresh, and ours that the task no longer has
 *   (a skill detached since, or installed for another CLI) are removed.
 * The job runner calls `installSkills` after the work directory is ready and the bundles are in
 * the cache (skill-cache.ts). Nothing in the user's home is touched.
 */
import { cp, lstat, mkdir, readFile, realpath, rename, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { z } from "zod";
import { realParentDirs } from "../workdir/paths";
import { excludeFolders, gitRepoAt, trackedFolders } from "./git-hide";
import type { CachedBundle } from "./skill-cache";
import { listSkillFolders, readSkillFolder } from "./skill-files";
import { INSTALL_DIRS, skillDirsFor } from "./skill-targets";

export interface InstalledSkill {
  name: string;
  version: number;
  /** The bundle hash the folder was written from. */
  hash: string;
  /** Relative to the work directory: `.claude/skills/review`. */
  path: string;
}

/** What a run starts with; skill-harvest.ts compares the work directory with it afterwards. */
export interface InstalledSkills {
  /** The work directory (real path). */
  dir: string;
  runtime: string;
  /** The project skill folders of the runtime, install folder first (empty: none known). */
  skillDirs: readonly string[];
  installed: InstalledSkill[];
  /** Every skill folder in `skillDirs` before the agent ran: path → bundle hash (null: over the limits). */
  baseline: Map<string, string | null>;
  notes: string[];
}

export interface InstallOptions {
  /** Limit for each git call; default 60 s. */
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
}

const Manifest = z.object({ version: z.literal(1), folders: z.array(z.string()).max(1000) });
const SKILL_FOLDER = /^\.[a-z]+\/skills?\/[a-z0-9]+(-[a-z0-9]+)*$/;

/** Installs `bundles` for `runtime` in `dir`; see the module comment. */
export async function installSkills(workDir: string, runtime: string, bundles: readonly CachedBundle[], opts: InstallOptions = {}): Promise<InstalledSkills> {
  const dir = await realpath(workDir);
  const skillDirs = skillDirsFor(runtime);
  const result: InstalledSkills = { dir, runtime, skillDirs, installed: [], baseline: new Map(), notes: [] };
  const installDir = skillDirs[0];
  if (installDir === undefined) {
    if (bundles.length > 0) result.notes.push(`skills: runtime ${runtime} has no known skills folder; ${bundles.length} skill(s) not installed`);
    return result;
  }
  const call = { timeoutMs: opts.timeoutMs ?? 60_000, signal: opts.signal };
  const repo = await gitRepoAt(dir, call);
  const manifestPath = repo ? join(repo.gitDir, "multica-skills.json") : join(dir, ".multica", "skills-manifest.json");
  const tracked = repo ? await trackedFolders(dir, [...new Set([...INSTALL_DIRS, ...skillDirs])], call) : new Set<string>();
  const keep = [...(await readManifest(manifestPath))].filter((f) => SKILL_FOLDER.test(f) && !tracked.has(f));
  const ours = new Set(keep);

  const plan: { bundle: CachedBundle; path: string; replace: boolean }[] = [];
  if (bundles.length > 0 && !(await realParentDirs(dir, `${installDir}/x`, true))) {
    result.notes.push(`skills: a directory on the way to ${installDir} is a symlink or a file; no skills installed`);
  } else {
    for (const bundle of bundles) {
      const path = `${installDir}/${bundle.name}`;
      const info = await lstat(join(dir, path)).catch(() => null);
      if (info === null || (info.isDirectory() && ours.has(path))) {
        plan.push({ bundle, path, replace: info !== null });
        continue;
      }
      const theirs = info.isDirectory() ? await readSkillFolder(join(dir, path)) : null;
      if (theirs?.ok && theirs.hash === bundle.hash) {
        result.installed.push({ name: bundle.name, version: bundle.version, hash: bundle.hash, path });
      } else {
        result.notes.push(`skills: ${path} belongs to the repository; the workspace's skill ${bundle.name} v${bundle.version} was not installed over it`);
      }
    }
  }

  const planned = plan.map((p) => p.path);
  await writeManifest(manifestPath, [...new Set([...keep, ...planned])]);
  for (const { bundle, path, replace } of plan) {
    if (replace) await rm(join(dir, path), { recursive: true, force: true });
    await cp(bundle.dir, join(dir, path), { recursive: true, errorOnExist: true, force: false });
    result.installed.push({ name: bundle.name, version: bundle.version, hash: bundle.hash, path });
  }
  for (const path of keep) {
    if (planned.includes(path) || !(await realParentDirs(dir, path, false))) continue;
    const info = await lstat(join(dir, path)).catch(() => null);
    if (info?.isDirectory()) await rm(join(dir, path), { recursive: true, force: true });
  }
  await writeManifest(manifestPath, planned);
  if (repo) await excludeFolders(repo.excludeFile, planned);

  for (const folder of await listSkillFolders(dir, skillDirs)) {
    const read = await readSkillFolder(join(dir, folder.rel));
    result.baseline.set(folder.rel, read.ok ? read.hash : null);
  }
  return result;
}

async function readManifest(path: string): Promise<Set<string>> {
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return new Set();
  try {
    const parsed = Manifest.safeParse(JSON.parse(text));
    return new Set(parsed.success ? parsed.data.folders : []);
  } catch {
    // Unreadable: claim nothing, so at worst we skip a folder of ours, never take a user's.
    return new Set();
  }
}

async function writeManifest(path: string, folders: string[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ version: 1, folders }, null, 2)}\n`);
  await rename(tmp, path);
}
