/**
 * Test helpers for the workdir tests: temporary directories and small real git repositories
 * (plain /usr/bin/git, no mocks). Commits get a fixed identity and `main` as the first branch,
 * whatever the machine's git config says. Not used by the runner itself.
 */
import { mkdtemp, mkdir, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";

const TEST_ENV = {
  GIT_AUTHOR_NAME: "Multica Test",
  GIT_AUTHOR_EMAIL: "test@multica.invalid",
  GIT_COMMITTER_NAME: "Multica Test",
  GIT_COMMITTER_EMAIL: "test@multica.invalid",
  GIT_TERMINAL_PROMPT: "0",
};

/** Runs git in `cwd` and returns its stdout (trimmed); throws on failure. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const result = await execa("git", ["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", ...args], { cwd, env: TEST_ENV });
  return String(result.stdout).trim();
}

/** Temporary directories under os.tmpdir(), removed by `cleanup()` (call it in afterEach). */
export class TempDirs {
  private readonly dirs: string[] = [];

  async make(prefix = "multica-workdir-"): Promise<string> {
    const dir = await realpath(await mkdtemp(join(tmpdir(), prefix)));
    this.dirs.push(dir);
    return dir;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }
}

/** Writes `files` (path → content) under `dir`, making directories as needed. */
export async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

/** Writes `files`, stages everything and commits. */
export async function commitFiles(dir: string, files: Record<string, string>, message = "change"): Promise<void> {
  await writeFiles(dir, files);
  await git(dir, "add", "-A");
  await git(dir, "commit", "--quiet", "--allow-empty", "-m", message);
}

/** A new repository at `dir` (created) on branch main with one commit holding `files`. */
export async function makeRepo(dir: string, files: Record<string, string> = { "README.md": "# test\n" }): Promise<string> {
  await mkdir(dir, { recursive: true });
  await git(dir, "init", "--quiet");
  await commitFiles(dir, files, "initial");
  return dir;
}
