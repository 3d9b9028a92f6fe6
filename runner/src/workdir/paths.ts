/**
 * Names and places under the runner-owned work root: slugs made from user-chosen text (agent
 * names, issue keys, repository names) and the containment checks that keep every path the
 * workdir modules build or write inside that root (no `..`, no writing through a symlinked
 * directory a repository may contain). Used by every module of this folder.
 */
import { createHash } from "node:crypto";
import { lstat, mkdir } from "node:fs/promises";
import { isAbsolute, join, normalize, relative, resolve, sep } from "node:path";
import { WorkdirError } from "./git";

/** Slugs longer than this are cut; they become directory and branch name parts. */
export const MAX_SLUG_LENGTH = 48;

/**
 * Lowercase `[a-z0-9-]`, no leading/trailing/double dashes, at most `maxLength` characters and
 * never empty: text with nothing usable (all punctuation, other scripts) becomes `x-<hash>`, so
 * two such names still differ. Never `.` or `..`, so a slug can never climb out of a directory.
 */
export function toSlug(text: string, maxLength = MAX_SLUG_LENGTH): string {
  const ascii = text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  const slug = ascii
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, maxLength)
    .replace(/^-+|-+$/g, "");
  return slug === "" ? `x-${shortHash(text, 8)}` : slug;
}

/** The first `length` hex digits of the SHA-256 of `text`. */
export function shortHash(text: string, length = 12): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** The root as an absolute, normalized path; a relative root or one with NUL is a config error. */
export function checkRoot(root: string): string {
  if (root.includes("\0") || !isAbsolute(root)) {
    throw new WorkdirError("bad_config", `the work root must be an absolute path (got ${JSON.stringify(root)})`);
  }
  return resolve(root);
}

/**
 * `root` joined with `parts`, each a single plain path component (no separator, not `.` or
 * `..`), refusing anything that would land outside `root` (or on it). The parts are slugs
 * already; this is the second line of defence should that ever change.
 */
export function insideRoot(root: string, ...parts: string[]): string {
  for (const part of parts) {
    if (part === "" || part === "." || part === ".." || /[/\\\0]/.test(part)) {
      throw new WorkdirError("bad_config", `refusing path part ${JSON.stringify(part)} under ${root}`);
    }
  }
  const full = resolve(root, ...parts);
  if (!isStrictlyInside(root, full)) {
    throw new WorkdirError("bad_config", `refusing a path outside the work root: ${full}`);
  }
  return full;
}

/** Whether `child` is a path below `parent` (both absolute). */
export function isStrictlyInside(parent: string, child: string): boolean {
  const rel = relative(resolve(parent), resolve(child));
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * Whether `rel` is a plain relative file path (no `..`, not absolute, no NUL), as git prints
 * them; returns it normalized, or null.
 */
export function safeRelative(rel: string): string | null {
  if (rel === "" || rel.includes("\0") || isAbsolute(rel)) return null;
  const norm = normalize(rel);
  if (norm === "." || norm === ".." || norm.startsWith(`..${sep}`) || norm.endsWith(sep)) return null;
  return norm;
}

/**
 * Checks (and with `create`, makes) the directories of `rel` below `base`, one component at a
 * time. False when one of them is a symlink or not a directory: a repository can track a
 * symlink such as `.github -> /etc`, and writing through it would leave the worktree.
 */
export async function realParentDirs(base: string, rel: string, create: boolean): Promise<boolean> {
  const parts = rel.split(sep).slice(0, -1);
  let dir = base;
  for (const part of parts) {
    dir = join(dir, part);
    let info = await lstat(dir).catch(() => null);
    if (info === null) {
      if (!create) continue;
      await mkdir(dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "EEXIST") throw err;
      });
      info = await lstat(dir);
    }
    if (info.isSymbolicLink() || !info.isDirectory()) return false;
  }
  return true;
}
