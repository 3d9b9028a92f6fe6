import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isStrictlyInside } from "./paths";
import { commitFiles, git, makeRepo, TempDirs } from "./test-repos";
import { prepareWorkdir, WorkdirError, type WorkdirRequest } from "./workdir";

const dirs = new TempDirs();
afterEach(() => dirs.cleanup());

const ISSUE = { id: "i1", key: "ENG-1", title: "Fix the login", body: "It fails on Safari.", comments: [] };

function request(root: string, over: Partial<WorkdirRequest> = {}): WorkdirRequest {
  return {
    root,
    taskId: "t1",
    attempt: 1,
    runtime: "claude",
    agent: { id: "a1", name: "Claude Bot", instructions: "Run the tests before you finish." },
    issue: ISSUE,
    repository: null,
    ...over,
  };
}

async function setup(files?: Record<string, string>) {
  const base = await dirs.make();
  const source = await makeRepo(join(base, "app"), files);
  return { base, source, root: join(base, "work") };
}

describe("prepareWorkdir with a repository", () => {
  it("clones into the cache once, fetches on later use, and a new source commit shows in a new worktree", async () => {
    const { source, root } = await setup();
    const progress: string[] = [];
    const first = await prepareWorkdir(request(root, { repository: { source, baseRef: null } }), { onProgress: (l) => progress.push(l) });
    expect(first.dir).toBe(join(root, "worktrees", "claude-bot", "eng-1"));
    expect(first.branch).toBe("multica/claude-bot/eng-1");
    expect(first.reused).toBe(false);
    expect(await git(first.dir, "branch", "--show-current")).toBe("multica/claude-bot/eng-1");
    expect(progress.filter((l) => l.startsWith("cloning"))).toHaveLength(1);
    expect(progress.some((l) => l.startsWith("creating a worktree on branch multica/claude-bot/eng-1"))).toBe(true);
    const repos = await readdir(join(root, "repos"));
    expect(repos).toEqual([expect.stringMatching(/^app-[0-9a-f]{12}\.git$/)]);

    await commitFiles(source, { "new.txt": "fresh\n" }, "second");
    progress.length = 0;
    const second = await prepareWorkdir(request(root, { issue: { ...ISSUE, key: "ENG-2" }, repository: { source, baseRef: null } }), {
      onProgress: (l) => progress.push(l),
    });
    expect(progress.some((l) => l.startsWith("fetching"))).toBe(true);
    expect(progress.some((l) => l.startsWith("cloning"))).toBe(false);
    expect(await readdir(join(root, "repos"))).toEqual(repos);
    expect(await readFile(join(second.dir, "new.txt"), "utf8")).toBe("fresh\n");
    expect(await stat(join(first.dir, "new.txt")).catch(() => null)).toBeNull();
  });

  it("reuses the worktree on a follow-up run, keeping uncommitted work and refreshing the context", async () => {
    const { source, root } = await setup();
    const req = request(root, { repository: { source, baseRef: null } });
    const first = await prepareWorkdir(req);
    await writeFile(join(first.dir, "wip.txt"), "half done\n");
    await writeFile(join(first.dir, "README.md"), "# edited by the agent\n");

    const comment = { author: "ana", body: "Also check Firefox.", createdAt: Date.UTC(2025, 0, 2) };
    const again = await prepareWorkdir({ ...req, attempt: 2, issue: { ...ISSUE, comments: [comment] } });
    expect(again).toMatchObject({ dir: first.dir, reused: true, branch: first.branch });
    expect(await readFile(join(again.dir, "wip.txt"), "utf8")).toBe("half done\n");
    expect(await readFile(join(again.dir, "README.md"), "utf8")).toBe("# edited by the agent\n");
    expect(await readFile(join(again.dir, "CLAUDE.md"), "utf8")).toContain("Also check Firefox.");
    const status = (await git(again.dir, "status", "--porcelain")).split("\n").map((l) => l.trim());
    expect(status.sort()).toEqual(["?? wip.txt", "M README.md"]);
  });

  it("starts a new branch from the requested base ref", async () => {
    const { source, root } = await setup();
    await git(source, "checkout", "--quiet", "-b", "release");
    await commitFiles(source, { "release.txt": "r\n" }, "release only");
    await git(source, "checkout", "--quiet", "main");
    const prepared = await prepareWorkdir(request(root, { repository: { source, baseRef: "origin/release" } }));
    expect(await readFile(join(prepared.dir, "release.txt"), "utf8")).toBe("r\n");

    const bad = await prepareWorkdir(request(root, { issue: { ...ISSUE, key: "ENG-9" }, repository: { source, baseRef: "nope" } })).catch((e) => e);
    expect(bad).toBeInstanceOf(WorkdirError);
    expect(bad).toMatchObject({ kind: "bad_config", message: expect.stringContaining('base ref "nope" was not found') });
  });

  it("delivers the context through CLAUDE.local.md when the repo has a CLAUDE.md, leaving it and git status clean", async () => {
    const theirs = "# House rules\nUse tabs.\n";
    const { source, root } = await setup({ "CLAUDE.md": theirs, "src/a.ts": "export {};\n" });
    const prepared = await prepareWorkdir(request(root, { repository: { source, baseRef: null } }));
    expect(await readFile(join(prepared.dir, "CLAUDE.md"), "utf8")).toBe(theirs);
    expect(prepared.contextFiles).toEqual([".multica/ISSUE.md", "CLAUDE.local.md"]);
    expect(prepared.promptPreamble).toBeNull();
    const ours = await readFile(join(prepared.dir, "CLAUDE.local.md"), "utf8");
    expect(ours).toContain("Run the tests before you finish.");
    expect(ours).toContain("# Issue ENG-1: Fix the login");
    expect(await git(prepared.dir, "status", "--porcelain", "--untracked-files=all")).toBe("");
  });

  it("fails with bad_config and a clear message for a missing repository path or a bad URL", async () => {
    const base = await dirs.make();
    const missing = join(base, "does-not-exist");
    const err = await prepareWorkdir(request(join(base, "work"), { repository: { source: missing, baseRef: null } })).catch((e) => e);
    expect(err).toBeInstanceOf(WorkdirError);
    expect(err.kind).toBe("bad_config");
    expect(err.message).toBe(`repository path ${missing} does not exist`);
    const notRepo = await prepareWorkdir(request(join(base, "work"), { repository: { source: base, baseRef: null } })).catch((e) => e);
    expect(notRepo).toMatchObject({ kind: "bad_config", message: `repository path ${base} is not a git repository` });
    const url = await prepareWorkdir(request(join(base, "work"), { repository: { source: "not a url", baseRef: null } })).catch((e) => e);
    expect(url).toMatchObject({ kind: "bad_config" });
    expect(url.message).toContain("not a url");
  });

  it("neutralizes path traversal in agent names and issue keys", async () => {
    const { base, source, root } = await setup();
    const evil = request(root, {
      agent: { id: "a", name: "../../../etc", instructions: "" },
      issue: { ...ISSUE, key: "../../x/..\0/passwd" },
      repository: { source, baseRef: null },
    });
    const prepared = await prepareWorkdir(evil);
    expect(isStrictlyInside(join(root, "worktrees"), prepared.dir)).toBe(true);
    expect(prepared.dir).toBe(join(root, "worktrees", "etc", "x-passwd"));
    expect(prepared.branch).toBe("multica/etc/x-passwd");
    const plain = await prepareWorkdir({ ...evil, repository: null, agent: { id: "b", name: "..", instructions: "" } });
    expect(isStrictlyInside(join(root, "tasks"), plain.dir)).toBe(true);
    expect((await readdir(base)).sort()).toEqual(["app", "work"]);
  });

  it("serves two concurrent first uses of the same repository with one clone", async () => {
    const { source, root } = await setup();
    const progress: string[] = [];
    const onProgress = (l: string) => progress.push(l);
    const [a, b] = await Promise.all([
      prepareWorkdir(request(root, { repository: { source, baseRef: null } }), { onProgress }),
      prepareWorkdir(request(root, { issue: { ...ISSUE, key: "ENG-2" }, repository: { source, baseRef: null } }), { onProgress }),
    ]);
    expect(a.branch).toBe("multica/claude-bot/eng-1");
    expect(b.branch).toBe("multica/claude-bot/eng-2");
    expect(progress.filter((l) => l.startsWith("cloning"))).toHaveLength(1);
    expect(progress.filter((l) => l.startsWith("fetching"))).toHaveLength(1);
    expect(await git(a.dir, "status", "--porcelain")).toBe("");
    expect(await git(b.dir, "status", "--porcelain")).toBe("");
  });
});

describe("prepareWorkdir without a repository", () => {
  it("turns file-system failures into a WorkdirError", async () => {
    const base = await dirs.make();
    await writeFile(join(base, "file"), "not a directory\n");
    const err = await prepareWorkdir(request(join(base, "file", "work"))).catch((e) => e);
    expect(err).toBeInstanceOf(WorkdirError);
    expect(err.kind).toBe("bad_config");
    expect(err.message).toMatch(/^cannot prepare the work directory: ENOTDIR/);
  });

  it("makes <root>/tasks/<agent>/<issue>, writes the context there and reuses it later", async () => {
    const root = join(await dirs.make(), "work");
    const first = await prepareWorkdir(request(root, { runtime: "codex" }));
    expect(first).toMatchObject({ dir: join(root, "tasks", "claude-bot", "eng-1"), branch: null, reused: false });
    expect(first.contextFiles).toEqual([".multica/ISSUE.md", "AGENTS.md"]);
    expect(await readFile(join(first.dir, "AGENTS.md"), "utf8")).toContain("It fails on Safari.");
    await writeFile(join(first.dir, "notes.txt"), "keep me\n");
    const again = await prepareWorkdir(request(root, { runtime: "codex" }));
    expect(again.reused).toBe(true);
    expect(await readFile(join(again.dir, "notes.txt"), "utf8")).toBe("keep me\n");
  });
});
