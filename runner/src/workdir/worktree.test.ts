import { mkdir, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { withRepoCache } from "./repo-cache";
import { commitFiles, git, makeRepo, TempDirs, writeFiles } from "./test-repos";
import { ensureWorktree, type WorktreeSpec } from "./worktree";
import { MAX_INCLUDE_FILE_BYTES } from "./worktree-include";

const dirs = new TempDirs();
afterEach(() => dirs.cleanup());
const OPTS = { timeoutMs: 60_000 };

/** Runs `fn` with a fresh cache of `source` and a spec for one worktree in it. */
async function withWorktreeSpec<T>(root: string, source: string, fn: (spec: WorktreeSpec) => Promise<T>): Promise<T> {
  return withRepoCache(source, { root, ...OPTS }, (repo) =>
    fn({
      cacheDir: repo.dir,
      dir: join(root, "worktrees", "bot", "eng-1"),
      branch: "multica/bot/eng-1",
      baseRef: null,
      label: repo.source.label,
      includeFrom: repo.source.workTree,
    }),
  );
}

describe("ensureWorktree", () => {
  it("copies ignored files matched by .worktreeinclude, but not tracked or unmatched ones", async () => {
    const base = await dirs.make();
    const source = await makeRepo(join(base, "app"), {
      ".gitignore": ".env\n*.log\nlocal/\nbig.bin\n",
      ".worktreeinclude": "# local settings\n.env\nconfig.json\nlocal/\nnotes.txt\nbig.bin\n",
      "config.json": '{"committed":true}\n',
    });
    await writeFiles(source, {
      ".env": "SECRET=1\n",
      "config.json": '{"edited":true}\n',
      "debug.log": "noise\n",
      "local/settings.json": "{}\n",
      "notes.txt": "untracked but not ignored\n",
      "big.bin": "",
    });
    await truncate(join(source, "big.bin"), MAX_INCLUDE_FILE_BYTES + 1);
    const progress: string[] = [];
    const root = join(base, "work");
    const result = await withWorktreeSpec(root, source, (spec) => ensureWorktree(spec, { ...OPTS, onProgress: (l) => progress.push(l) }));
    const wt = join(root, "worktrees", "bot", "eng-1");

    expect(await readFile(join(wt, ".env"), "utf8")).toBe("SECRET=1\n");
    expect(await readFile(join(wt, "local/settings.json"), "utf8")).toBe("{}\n");
    expect(await readFile(join(wt, "config.json"), "utf8")).toBe('{"committed":true}\n');
    expect(await stat(join(wt, "debug.log")).catch(() => null)).toBeNull();
    expect(await stat(join(wt, "notes.txt")).catch(() => null)).toBeNull();
    expect(await stat(join(wt, "big.bin")).catch(() => null)).toBeNull();
    expect(progress).toContain("copied 2 files listed in .worktreeinclude");
    expect(result.notes).toEqual([expect.stringMatching(/^\.worktreeinclude: skipped big\.bin: 50\.0 MiB, over the 50 MiB limit$/)]);
    expect(await git(wt, "status", "--porcelain")).toBe("");
  });

  it("checks out the existing branch again when the worktree directory was removed", async () => {
    const base = await dirs.make();
    const source = await makeRepo(join(base, "app"));
    const root = join(base, "work");
    await withWorktreeSpec(root, source, async (spec) => {
      await ensureWorktree(spec, OPTS);
      await commitFiles(spec.dir, { "agent.txt": "work\n" }, "agent commit");
      await rm(spec.dir, { recursive: true, force: true });
      const again = await ensureWorktree(spec, OPTS);
      expect(again.reused).toBe(false);
      expect(await git(spec.dir, "branch", "--show-current")).toBe("multica/bot/eng-1");
      expect(await readFile(join(spec.dir, "agent.txt"), "utf8")).toBe("work\n");
    });
  });

  it("moves aside a directory that is not a worktree of this cache instead of deleting it", async () => {
    const base = await dirs.make();
    const source = await makeRepo(join(base, "app"));
    const root = join(base, "work");
    const stray = join(root, "worktrees", "bot", "eng-1");
    await mkdir(stray, { recursive: true });
    await writeFile(join(stray, "precious.txt"), "keep\n");
    const result = await withWorktreeSpec(root, source, (spec) => ensureWorktree(spec, OPTS));
    expect(result.reused).toBe(false);
    expect(result.notes[0]).toMatch(/was not a worktree of .*; moved it aside to .*eng-1\.stale-\d+$/);
    const entries = await readdir(join(root, "worktrees", "bot"));
    const aside = entries.find((e) => e.startsWith("eng-1.stale-"));
    expect(aside).toBeDefined();
    expect(await readFile(join(root, "worktrees", "bot", aside as string, "precious.txt"), "utf8")).toBe("keep\n");
    expect(await git(stray, "branch", "--show-current")).toBe("multica/bot/eng-1");
  });

  it("says so when the repository has no commit to branch from", async () => {
    const base = await dirs.make();
    const empty = join(base, "empty");
    await mkdir(empty);
    await git(empty, "init", "--quiet");
    const err = await withWorktreeSpec(join(base, "work"), empty, (spec) => ensureWorktree(spec, OPTS)).catch((e) => e);
    expect(err).toMatchObject({ kind: "bad_config", message: `${empty} has no commits to start branch multica/bot/eng-1 from` });
  });
});
