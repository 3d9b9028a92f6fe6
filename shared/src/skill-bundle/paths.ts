/**
 * Which paths a skill may hold. A skill's files are written into agents' work dirs on any OS, so a
 * path must stay inside the skill folder and mean the same file on Linux, macOS and Windows. Used by
 * validateSkillFiles (every API way in) and the zip reader.
 */
import { SKILL_LIMITS } from "../skills";

// https://learn.microsoft.com/windows/win32/fileio/naming-a-file#naming-conventions
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;
const WINDOWS_FORBIDDEN = /[<>:"|?*]/;
// Control characters, DEL included: they break terminals, logs and some file systems.
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Why `path` may not name a file in a skill, or null when it may. Paths are relative to the skill
 * folder and `/`-separated: `SKILL.md`, `scripts/run.sh`. `maxLength` defaults to the limit on paths.
 */
export function checkSkillPath(path: string, maxLength: number = SKILL_LIMITS.maxPathLength): string | null {
  if (path.length === 0) return "the path is empty";
  if (path.length > maxLength) return `the path is ${path.length} characters long; a path may be at most ${maxLength}`;
  if (CONTROL.test(path)) return "the path contains a control character (NUL, tab, newline, …)";
  if (path.startsWith("/") || path.startsWith("\\")) return "the path is absolute; give it relative to the skill folder";
  if (/^[A-Za-z]:/.test(path)) return "the path starts with a drive letter; give it relative to the skill folder";
  if (path.includes("\\")) return "the path contains a backslash; separate folders with /";
  for (const segment of path.split("/")) {
    const problem = checkSegment(segment);
    if (problem) return problem;
  }
  return null;
}

function checkSegment(segment: string): string | null {
  if (segment === "") return "the path has an empty folder name (// or a trailing /)";
  if (segment === "..") return "the path climbs out of the skill folder (..)";
  if (segment === ".") return "the path has a . segment; write it without";
  if (/[. ]$/.test(segment)) return `"${segment}" ends with a dot or a space, which Windows drops`;
  if (WINDOWS_FORBIDDEN.test(segment)) return `"${segment}" contains one of < > : " | ? *, which Windows does not allow in names`;
  // CON, con.txt and Com1.tar.gz all name the device on Windows: the part before the first dot counts.
  const stem = segment.split(".")[0] ?? segment;
  if (WINDOWS_RESERVED.test(stem.trimEnd())) return `"${segment}" is a device name reserved on Windows`;
  return null;
}

/** How a file system that ignores case and Unicode normalization (macOS, Windows) sees a path. */
function foldPath(path: string): string {
  return path.normalize("NFC").toLowerCase();
}

/**
 * Paths that would clash once written to disk: exact duplicates, paths that differ only in letter
 * case or Unicode normalization (one file on macOS and Windows), and a file that is also used as a
 * folder (`scripts` and `scripts/run.sh`). Each clash is reported once, on the later path.
 */
export function findPathCollisions(paths: readonly string[]): { path: string; message: string }[] {
  const files = new Map<string, string>();
  const folders = new Map<string, string>();
  const problems: { path: string; message: string }[] = [];
  for (const path of paths) {
    const folded = foldPath(path);
    const twin = files.get(folded);
    if (twin !== undefined) {
      problems.push({
        path,
        message: twin === path ? "the file appears twice" : `the path differs from ${twin} only in letter case; the two would be one file on macOS and Windows`,
      });
      continue;
    }
    const asFolder = folders.get(folded);
    if (asFolder !== undefined) {
      problems.push({ path, message: `the path is a file but ${asFolder} uses it as a folder` });
      continue;
    }
    const parents = ancestors(folded);
    const clash = parents.find((p) => files.has(p));
    if (clash !== undefined) {
      problems.push({ path, message: `the path uses ${files.get(clash)} as a folder, but it is a file` });
      continue;
    }
    files.set(folded, path);
    for (const p of parents) if (!folders.has(p)) folders.set(p, path);
  }
  return problems;
}

/** `a/b/c` → [`a`, `a/b`]. */
function ancestors(path: string): string[] {
  const parts = path.split("/");
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join("/"));
}
