import { mkdir, readdir, readFile, stat, symlink } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { git, makeRepo, TempDirs, writeFiles } from "../workdir/test-repos";
import { type CachedBundle, ensureBundles } from "./skill-cache";
import { installSkills } from "./skill-install";
import { FakeSkillsServer, RUNNER_TOKEN } from "./test-skills-server";

const dirs = new TempDirs();
const servers: FakeSkillsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await dirs.cleanup();
});

const REVIEW = { "SKILL.md": "---\nname: review\ndescription: Review code\n---\nLook closely.\n", "scripts/run.sh": "#!/bin/sh\necho hi\n" };
const LINT = { "SKILL.md": "---\nname: lint\ndescription: Lint\n---\nRun the linter.\n" };

/** The review and lint bundles, in a fresh cache. */
async function bundles(): Promise<{ review: CachedBundle; lint: CachedBundle }> {
  const server = await FakeSkillsServer.start();
  servers.push(server);
  const skills = [
    { name: "review", version: 3, hash: await server.addBundle("review", REVIEW) },
    { name: "lint", version: 1, hash: await server.addBundle("lint", LINT) },
  ];
  const [review, lint] = await ensureBundles(skills, { url: server.url, token: RUNNER_TOKEN, dataDir: await dirs.make("multica-skills-data-") });
  if (!review || !lint) throw new Error("bundles missing");
  return { review, lint };
}

/** A worktree (of a normal repository) whose main branch holds `files`. */
async function worktree(files: Record<string, string> = {}): Promise<string> {
  const base = await dirs.make();
  const repo = await makeRepo(join(base, "repo"), { "README.md": "# r\n", ...files });
  const wt = join(base, "wt");
  await git(repo, "worktree", "add", "--quiet", "-b", "multica/bot/eng-7", wt);
  return wt;
}

const read = (dir: string, path: string) => readFile(join(dir, path), "utf8");
const exists = async (dir: string, path: string) => (await stat(join(dir, path)).catch(() => null)) !== null;
const status = (dir: string) => git(dir, "status", "--porcelain", "--untracked-files=all", "--ignored=no");

describe("installSkills", () => {
  it.each([
    ["claude", ".claude/skills"],
    ["codex", ".agents/skills"],
    ["copilot", ".github/skills"],
    ["opencode", ".opencode/skills"],
    ["gemini", ".gemini/skills"],
    ["cursor-agent", ".cursor/skills"],
    ["command:lint", ".multica/skills"],
  ])("puts the skills of a %s run in %s", async (runtime, folder) => {
    const { review, lint } = await bundles();
    const dir = await dirs.make();
    const result = await installSkills(dir, runtime, [review, lint]);
    expect(result.installed).toEqual([
      { name: "review", version: 3, hash: review.hash, path: `${folder}/review` },
      { name: "lint", version: 1, hash: lint.hash, path: `${folder}/lint` },
    ]);
    expect(result.notes).toEqual([]);
    expect(await read(dir, `${folder}/review/scripts/run.sh`)).toBe(REVIEW["scripts/run.sh"]);
    expect((await stat(join(dir, folder, "review/scripts/run.sh"))).mode & 0o111).not.toBe(0);
    expect(await read(dir, `${folder}/lint/SKILL.md`)).toBe(LINT["SKILL.md"]);
    expect(result.baseline.get(`${folder}/review`)).toBe(review.hash);
  });

  it("installs nothing for a runtime without a known skills folder, and says so", async () => {
    const { review } = await bundles();
    const dir = await dirs.make();
    const result = await installSkills(dir, "mystery", [review]);
    expect(result).toMatchObject({ installed: [], skillDirs: [], notes: ["skills: runtime mystery has no known skills folder; 1 skill(s) not installed"] });
    expect(await readdir(dir)).toEqual([]);
  });

  it("hides installed skills from git in a worktree, keeping the manifest in the worktree's git dir", async () => {
    const { review, lint } = await bundles();
    const wt = await worktree();
    await installSkills(wt, "claude", [review, lint]);
    expect(await status(wt)).toBe("");
    const exclude = await readFile(await git(wt, "rev-parse", "--path-format=absolute", "--git-path", "info/exclude"), "utf8");
    expect(exclude).toContain("/.claude/skills/review/\n/.claude/skills/lint/\n");
    const gitDir = await git(wt, "rev-parse", "--absolute-git-dir");
    expect(JSON.parse(await read(gitDir, "multica-skills.json"))).toEqual({ version: 1, folders: [".claude/skills/review", ".claude/skills/lint"] });
    // A file the agent adds inside an installed skill stays hidden too.
    await writeFiles(wt, { ".claude/skills/review/notes.md": "more\n" });
    expect(await status(wt)).toBe("");
  });

  it("leaves a repository's own skill of the same name alone, takes an identical one as installed, and records both", async () => {
    const { review, lint } = await bundles();
    const theirs = "---\nname: review\ndescription: Our own review\n---\n";
    const wt = await worktree({ ".claude/skills/review/SKILL.md": theirs, ".claude/skills/lint/SKILL.md": LINT["SKILL.md"] });
    const result = await installSkills(wt, "claude", [review, lint]);
    expect(result.notes).toEqual(["skills: .claude/skills/review belongs to the repository; the workspace's skill review v3 was not installed over it"]);
    expect(result.installed).toEqual([{ name: "lint", version: 1, hash: lint.hash, path: ".claude/skills/lint" }]);
    expect(await read(wt, ".claude/skills/review/SKILL.md")).toBe(theirs);
    expect(await exists(wt, ".claude/skills/review/scripts")).toBe(false);
    expect([...result.baseline.keys()]).toEqual([".claude/skills/lint", ".claude/skills/review"]);
    expect(await status(wt)).toBe("");
  });

  it("never takes a folder git tracks, even when its manifest claims it", async () => {
    const { review } = await bundles();
    const theirs = "---\nname: review\ndescription: committed since\n---\n";
    const wt = await worktree({ ".claude/skills/review/SKILL.md": theirs });
    const gitDir = await git(wt, "rev-parse", "--absolute-git-dir");
    await writeFiles(gitDir, { "multica-skills.json": JSON.stringify({ version: 1, folders: [".claude/skills/review"] }) });
    const result = await installSkills(wt, "claude", [review]);
    expect(result.installed).toEqual([]);
    expect(await read(wt, ".claude/skills/review/SKILL.md")).toBe(theirs);
    expect(JSON.parse(await read(gitDir, "multica-skills.json")).folders).toEqual([]);
  });

  it("on a follow-up rewrites its own skills and removes those the task no longer has, never the user's", async () => {
    const { review, lint } = await bundles();
    const wt = await worktree({ ".agents/skills/theirs/SKILL.md": "---\nname: theirs\ndescription: t\n---\n" });
    await installSkills(wt, "claude", [review, lint]);
    await writeFiles(wt, { ".claude/skills/lint/SKILL.md": "edited by the agent\n" });
    const again = await installSkills(wt, "codex", [lint]);
    expect(again.installed.map((s) => s.path)).toEqual([".agents/skills/lint"]);
    expect(await exists(wt, ".claude/skills/review")).toBe(false);
    expect(await exists(wt, ".claude/skills/lint")).toBe(false);
    expect(await read(wt, ".agents/skills/lint/SKILL.md")).toBe(LINT["SKILL.md"]);
    expect(await exists(wt, ".agents/skills/theirs/SKILL.md")).toBe(true);
    expect(await status(wt)).toBe("");

    const third = await installSkills(wt, "codex", [lint]);
    expect(third.installed.map((s) => s.path)).toEqual([".agents/skills/lint"]);
    expect([...third.baseline.keys()]).toEqual([".agents/skills/lint", ".agents/skills/theirs"]);
  });

  it("writes nothing through a symlinked skills directory", async () => {
    const { review } = await bundles();
    const dir = await dirs.make();
    const outside = await dirs.make();
    await symlink(outside, join(dir, ".claude"));
    const result = await installSkills(dir, "claude", [review]);
    expect(result.installed).toEqual([]);
    expect(result.notes).toEqual(["skills: a directory on the way to .claude/skills is a symlink or a file; no skills installed"]);
    expect(await readdir(outside)).toEqual([]);
  });

  it("keeps its manifest in .multica/ in a directory without git", async () => {
    const { lint } = await bundles();
    const dir = await dirs.make();
    await mkdir(join(dir, ".multica"), { recursive: true });
    await installSkills(dir, "command:x", [lint]);
    expect(JSON.parse(await read(dir, ".multica/skills-manifest.json"))).toEqual({ version: 1, folders: [".multica/skills/lint"] });
  });
});
