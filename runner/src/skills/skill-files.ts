/**
 * Skill folders on disk, for the runner's skills modules (cache, install, harvest, `skills push`):
 * reading one within SKILL_LIMITS, finding them in a work directory, and their bundle hash, the
 * identity the control plane gives a version (file hash = hex SHA-256 of the bytes; bundle hash =
 * hex SHA-256 of the `path\0fileHash\n` listing sorted by path; computed by the skill-bundle
 * module of @multica/shared, the same code as the control plane's).
 */
import { lstat, readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { hashListing, SKILL_LIMITS, type SkillFileInput, sha256Hex } from "@multica/shared";
import { realParentDirs } from "../workdir/paths";

/** The file every skill folder has at its top. */
export const SKILL_FILE = "SKILL.md";

/** The bundle hash of files given as `{ path, bytes }`, in any order. */
export async function bundleHash(files: readonly { path: string; bytes: Uint8Array }[]): Promise<string> {
  return hashListing(await Promise.all(files.map(async (f) => ({ path: f.path, hash: await sha256Hex(f.bytes) }))));
}

/** The bytes of a file as it travels. */
export function decodeFile(file: SkillFileInput): Buffer {
  return file.encoding === "base64" ? Buffer.from(file.content, "base64") : Buffer.from(file.content, "utf8");
}

export type SkillFolder =
  | { ok: true; files: { path: string; bytes: Buffer }[]; hash: string; size: number }
  | { ok: false; reason: string };

/**
 * Reads a skill folder: every regular file below it, with `/`-separated relative paths. Symbolic
 * links and special files are left out (a link could point anywhere on the machine); `.git`
 * directories too. Stops early, with the reason, once the folder is over SKILL_LIMITS.
 */
export async function readSkillFolder(dir: string): Promise<SkillFolder> {
  const files: { path: string; bytes: Buffer }[] = [];
  let size = 0;
  const walk = async (rel: string): Promise<string | null> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name === ".git") continue;
        const why = await walk(path);
        if (why !== null) return why;
        continue;
      }
      if (!entry.isFile()) continue;
      if (path.length > SKILL_LIMITS.maxPathLength) return `${path}: the path is longer than ${SKILL_LIMITS.maxPathLength} characters`;
      if (files.length >= SKILL_LIMITS.maxFiles) return `more than ${SKILL_LIMITS.maxFiles} files`;
      const info = await lstat(join(dir, path));
      if (info.size > SKILL_LIMITS.maxFileBytes) return `${path} is ${info.size} bytes (at most ${SKILL_LIMITS.maxFileBytes})`;
      size += info.size;
      if (size > SKILL_LIMITS.maxBundleBytes) return `over ${SKILL_LIMITS.maxBundleBytes} bytes in all`;
      files.push({ path, bytes: await readFile(join(dir, path)) });
    }
    return null;
  };
  const why = await walk("");
  if (why !== null) return { ok: false, reason: why };
  return { ok: true, files, hash: await bundleHash(files), size };
}

/** Whether `dir` holds a `SKILL.md` that is a regular file (not a link). */
export async function hasSkillFile(dir: string): Promise<boolean> {
  const info = await lstat(join(dir, SKILL_FILE)).catch(() => null);
  return info?.isFile() ?? false;
}

/** A skill folder found in a work directory. */
export interface FoundSkillFolder {
  /** Relative to the work directory, `/`-separated: `.claude/skills/review`. */
  rel: string;
  name: string;
}

/**
 * The folders with a `SKILL.md` directly below each of `parents` (relative to `base`), in order.
 * Parents reached through a symlinked directory are left out, and so are symlinked skill folders:
 * nothing outside the work directory is ever read.
 */
export async function listSkillFolders(base: string, parents: readonly string[]): Promise<FoundSkillFolder[]> {
  const found: FoundSkillFolder[] = [];
  for (const parent of parents) {
    if (!(await realParentDirs(base, `${parent}/x`, false))) continue;
    const entries = await readdir(join(base, parent), { withFileTypes: true }).catch(() => []);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      const rel = `${parent}/${entry.name}`;
      if (await hasSkillFile(join(base, rel))) found.push({ rel, name: entry.name });
    }
  }
  return found;
}
