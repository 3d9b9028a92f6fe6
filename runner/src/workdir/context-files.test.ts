import { readFile, stat, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type ContextRequest, writeContextFiles } from "./context-files";
import { git, makeRepo, TempDirs, writeFiles } from "./test-repos";

const dirs = new TempDirs();
afterEach(() => dirs.cleanup());
const OPTS = { timeoutMs: 30_000 };

const COMMENTS = [
  { author: "ana", body: "First: it only fails on Safari.", createdAt: Date.UTC(2025, 0, 1) },
  { author: "bo", body: "Second: also on iOS.", createdAt: Date.UTC(2025, 0, 2) },
];

function request(dir: string, runtime: string, comments = COMMENTS): ContextRequest {
  return {
    dir,
    runtime,
    agent: { name: "Claude Bot", instructions: "Run the tests before you finish." },
    issue: { key: "ENG-7", title: "Fix the login", body: "Login fails.", comments },
  };
}

/** A clean worktree (of a normal repository) whose main branch holds `files`. */
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

describe("writeContextFiles", () => {
  it("creates CLAUDE.md and .multica/ISSUE.md in a clean worktree and keeps git status empty", async () => {
    const wt = await worktree();
    const result = await writeContextFiles(request(wt, "claude"), OPTS);
    expect(result).toEqual({ files: [".multica/ISSUE.md", "CLAUDE.md"], promptPreamble: null, notes: [] });
    const doc = await read(wt, "CLAUDE.md");
    expect(doc).toBe(await read(wt, ".multica/ISSUE.md"));
    const order = [
      "Run the tests before you finish.",
      "# Issue ENG-7: Fix the login",
      "Login fails.",
      "### ana (2025-01-01T00:00:00.000Z)",
      "Second: also on iOS.",
    ];
    const positions = order.map((s) => doc.indexOf(s));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(await status(wt)).toBe("");
  });

  it("leaves the user's CLAUDE.md and CLAUDE.local.md alone and falls back to .claude/rules", async () => {
    const theirs = "# Team rules\n";
    const wt = await worktree({ "CLAUDE.md": theirs, ".gitignore": "CLAUDE.local.md\n" });
    await writeFile(join(wt, "CLAUDE.local.md"), "my own notes\n");
    const result = await writeContextFiles(request(wt, "claude"), OPTS);
    expect(result.files).toEqual([".multica/ISSUE.md", ".claude/rules/multica-task.md"]);
    expect(await read(wt, "CLAUDE.md")).toBe(theirs);
    expect(await read(wt, "CLAUDE.local.md")).toBe("my own notes\n");
    expect(await read(wt, ".claude/rules/multica-task.md")).toContain("Fix the login");
    expect(await status(wt)).toBe("");
  });

  it("gives Codex an AGENTS.override.md with the user's AGENTS.md first, leaving AGENTS.md byte-equal", async () => {
    const theirs = "# Agents\n\nUse pnpm.\n";
    const wt = await worktree({ "AGENTS.md": theirs });
    const result = await writeContextFiles(request(wt, "codex"), OPTS);
    expect(result.files).toEqual([".multica/ISSUE.md", "AGENTS.override.md"]);
    expect(await read(wt, "AGENTS.md")).toBe(theirs);
    const override = await read(wt, "AGENTS.override.md");
    expect(override.startsWith("# Agents\n\nUse pnpm.\n\n<!-- Written by multica-runner")).toBe(true);
    expect(override).toContain("Second: also on iOS.");
    expect(await status(wt)).toBe("");
  });

  it("returns a prompt preamble when the user owns every file the CLI reads", async () => {
    const codex = await worktree({ "AGENTS.override.md": "mine\n" });
    const a = await writeContextFiles(request(codex, "codex"), OPTS);
    expect(a.files).toEqual([".multica/ISSUE.md"]);
    expect(a.promptPreamble).toContain("# Issue ENG-7: Fix the login");
    const copilot = await worktree({ "AGENTS.md": "a\n", ".github/copilot-instructions.md": "b\n" });
    const b = await writeContextFiles(request(copilot, "copilot"), OPTS);
    expect(b.files).toEqual([".multica/ISSUE.md"]);
    expect(b.promptPreamble).toBe(await read(copilot, ".multica/ISSUE.md"));
  });

  it("adds the issue file for Gemini through .gemini/settings.json when the repo has a GEMINI.md", async () => {
    const wt = await worktree({ "GEMINI.md": "gemini rules\n" });
    const result = await writeContextFiles(request(wt, "gemini"), OPTS);
    expect(result.files).toEqual([".multica/ISSUE.md", ".gemini/settings.json"]);
    expect(JSON.parse(await read(wt, ".gemini/settings.json"))).toEqual({ context: { fileName: ["GEMINI.md", ".multica/ISSUE.md"] } });
    expect(await read(wt, "GEMINI.md")).toBe("gemini rules\n");
    expect(await status(wt)).toBe("");
  });

  it("does not hide a user's CLAUDE.md from OpenCode behind a new AGENTS.md", async () => {
    const wt = await worktree({ "CLAUDE.md": "claude rules\n" });
    const result = await writeContextFiles(request(wt, "opencode"), OPTS);
    expect(result.files).toEqual([".multica/ISSUE.md", "opencode.json"]);
    expect(await exists(wt, "AGENTS.md")).toBe(false);
    expect(JSON.parse(await read(wt, "opencode.json")).instructions).toEqual([".multica/ISSUE.md"]);
    expect(await status(wt)).toBe("");
  });

  it("rewrites its own files on a follow-up run and removes those the new runtime does not read", async () => {
    const wt = await worktree();
    await writeContextFiles(request(wt, "claude", COMMENTS.slice(0, 1)), OPTS);
    expect(await read(wt, "CLAUDE.md")).not.toContain("Second: also on iOS.");
    const again = await writeContextFiles(request(wt, "claude"), OPTS);
    expect(again.files).toEqual([".multica/ISSUE.md", "CLAUDE.md"]);
    expect(await read(wt, "CLAUDE.md")).toContain("Second: also on iOS.");
    const codex = await writeContextFiles(request(wt, "codex"), OPTS);
    expect(codex.files).toEqual([".multica/ISSUE.md", "AGENTS.md"]);
    expect(await exists(wt, "CLAUDE.md")).toBe(false);
    expect(await status(wt)).toBe("");
  });

  it("never takes a user's untracked file, even one that looks like ours", async () => {
    const wt = await worktree();
    await writeFile(join(wt, "CLAUDE.md"), "written by the user\n");
    const result = await writeContextFiles(request(wt, "claude"), OPTS);
    expect(result.files).toEqual([".multica/ISSUE.md", "CLAUDE.local.md"]);
    expect(await read(wt, "CLAUDE.md")).toBe("written by the user\n");
  });

  it("does not write through a symlinked directory the repository contains", async () => {
    const outside = await dirs.make();
    const wt = await worktree({ "AGENTS.md": "a\n" });
    await symlink(outside, join(wt, ".github"));
    const result = await writeContextFiles(request(wt, "copilot"), OPTS);
    expect(result.files).toEqual([".multica/ISSUE.md"]);
    expect(result.promptPreamble).not.toBeNull();
    expect(await exists(outside, "copilot-instructions.md")).toBe(false);
  });

  it("works in a plain directory, keeping its manifest in .multica/", async () => {
    const dir = await dirs.make();
    await writeFiles(dir, { "GEMINI.md": "user file\n" });
    const gem = await writeContextFiles(request(dir, "gemini"), OPTS);
    expect(gem.files).toEqual([".multica/ISSUE.md", ".gemini/settings.json"]);
    expect(await read(dir, "GEMINI.md")).toBe("user file\n");
    expect(JSON.parse(await read(dir, ".multica/manifest.json"))).toEqual({ version: 1, files: gem.files });
    const cmd = await writeContextFiles(request(dir, "command:lint"), OPTS);
    expect(cmd).toEqual({ files: [".multica/ISSUE.md"], promptPreamble: null, notes: [] });
    expect(await exists(dir, ".gemini/settings.json")).toBe(false);
    const unknown = await writeContextFiles(request(dir, "aider"), OPTS);
    expect(unknown.promptPreamble).toBe(await read(dir, ".multica/ISSUE.md"));
  });
});
