/**
 * Git helpers for skill-install.ts, in the manner of workdir/context-files.ts: find the work
 * directory's git dir and exclude file, ask git which skill folders it tracks, and list the
 * runner's skill folders in info/exclude so they never show in `git status` nor land in a
 * commit. The runner's skill entries live in their own block (apart from the context files'
 * block), anchored (`/.claude/skills/review/`), and are only ever added.
 *
 * Worktrees share info/exclude with their bare cache; workdir/git-exclude.ts serializes every
 * update of it (context files and skills alike) and writes it atomically.
 */
import { runGit } from "../workdir/git";
import { addExcludeEntries, type GitProbeOptions as GitCallOptions } from "../workdir/git-exclude";
export { gitRepoAt, type WorkRepo } from "../workdir/git-exclude";

const BEGIN = "# >>> multica-runner skills: skill folders the runner installs into worktrees (managed, do not edit)";
const END = "# <<< multica-runner skills";

export type { GitProbeOptions as GitCallOptions } from "../workdir/git-exclude";

/** Folders directly below `parents` that hold a file git tracks (`.claude/skills/review`). */
export async function trackedFolders(dir: string, parents: readonly string[], opts: GitCallOptions): Promise<Set<string>> {
  if (parents.length === 0) return new Set();
  const listed = await runGit(["ls-files", "-z", "--", ...parents.map((p) => `:(literal)${p}`)], {
    cwd: dir,
    what: `git ls-files in ${dir}`,
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
  });
  const out = new Set<string>();
  for (const file of listed.stdout.split("\0")) {
    for (const parent of parents) {
      if (!file.startsWith(`${parent}/`)) continue;
      const name = file.slice(parent.length + 1).split("/")[0];
      if (name) out.add(`${parent}/${name}`);
    }
  }
  return out;
}

/** Adds `/folder/` lines for `folders` to the runner's skills block of the exclude file. */
export function excludeFolders(excludeFile: string, folders: readonly string[]): Promise<void> {
  return addExcludeEntries(excludeFile, { begin: BEGIN, end: END }, folders.map((f) => `/${f}/`));
}
