import { mkdir, readdir, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { WorkdirError } from "./git";
import { shortHash } from "./paths";
import { resolveSource, withRepoCache } from "./repo-cache";
import { commitFiles, git, makeRepo, TempDirs } from "./test-repos";

const dirs = new TempDirs();
afterEach(() => dirs.cleanup());
const CALL = { timeoutMs: 30_000 };

describe("resolveSource", () => {
  it("normalizes URL forms of one repository to one key and hides credentials", async () => {
    const forms = [
      "https://x-access-token:s3cret@GitHub.com/acme/app.git",
      "https://github.com/acme/app",
      "ssh://git@github.com/acme/app.git/",
      "git@github.com:acme/app.git",
    ];
    const sources = await Promise.all(forms.map((f) => resolveSource(f, CALL)));
    expect(new Set(sources.map((s) => s.key))).toEqual(new Set(["github.com/acme/app"]));
    expect(sources[0]?.label).toBe("https://github.com/acme/app.git");
    expect(sources[0]?.cloneFrom).toBe(forms[0]);
    expect(sources.every((s) => s.workTree === null)).toBe(true);
  });

  it.each([
    ["relative/path", "must be a git URL"],
    ["ftp://example.com/x.git", "uses ftp://"],
    ["ext::sh -c touch% /tmp/pwned", "is not a valid git URL"],
    ["--upload-pack=evil", "is not a valid git URL or path"],
    ["https://example.com/", "has no host or no repository path"],
  ])("rejects %s as bad_config", async (source, message) => {
    const err = await resolveSource(source, CALL).catch((e) => e);
    expect(err).toBeInstanceOf(WorkdirError);
    expect(err.kind).toBe("bad_config");
    expect(err.message).toContain(message);
  });

  it("accepts local repositories by path or file:// URL, and refuses a directory inside one", async () => {
    const base = await dirs.make();
    const repo = await makeRepo(join(base, "my repo"), { "sub/a.txt": "a\n" });
    expect(await resolveSource(repo, CALL)).toMatchObject({ key: repo, workTree: repo, cloneFrom: repo });
    expect(await resolveSource(pathToFileURL(repo).href, CALL)).toMatchObject({ key: repo, workTree: repo });
    await git(base, "clone", "--quiet", "--bare", repo, join(base, "bare.git"));
    expect(await resolveSource(join(base, "bare.git"), CALL)).toMatchObject({ workTree: null });
    const inside = await resolveSource(join(repo, "sub"), CALL).catch((e) => e);
    expect(inside).toMatchObject({ kind: "bad_config", message: `repository path ${join(repo, "sub")} is inside a git repository but is not its top` });
  });
});

describe("withRepoCache", () => {
  it("mirrors branches on fetch, prunes deleted ones, and never touches the runner's multica/ branches", async () => {
    const base = await dirs.make();
    const source = await makeRepo(join(base, "app"));
    await git(source, "branch", "feature");
    const root = join(base, "work");
    const cacheDir = await withRepoCache(source, { root, ...CALL }, async (repo) => {
      expect(repo.cloned).toBe(true);
      await git(repo.dir, "branch", "multica/bot/eng-1", "main");
      return repo.dir;
    });
    await git(source, "branch", "-D", "feature");
    await commitFiles(source, { "b.txt": "b\n" }, "second");
    // The source now has a branch of the same name: the fetch must neither fail nor take it.
    await git(source, "branch", "multica/bot/eng-1");
    await withRepoCache(source, { root, ...CALL }, async (repo) => {
      expect(repo.cloned).toBe(false);
      expect(repo.dir).toBe(cacheDir);
    });
    const branches = (await git(cacheDir, "branch", "--format=%(refname:short)")).split("\n").sort();
    expect(branches).toEqual(["main", "multica/bot/eng-1"]);
    expect(await git(cacheDir, "rev-parse", "main")).toBe(await git(source, "rev-parse", "main"));
    expect(await git(cacheDir, "rev-parse", "multica/bot/eng-1")).not.toBe(await git(source, "rev-parse", "main"));
  });

  it("clears leftovers of a crashed clone and sets aside a cache git no longer recognises", async () => {
    const base = await dirs.make();
    const source = await makeRepo(join(base, "app"));
    const root = join(base, "work");
    const name = `app-${shortHash(source)}`;
    await mkdir(join(root, "repos", `.tmp-${name}-dead`), { recursive: true });
    await mkdir(join(root, "repos", `${name}.git`), { recursive: true });
    await writeFile(join(root, "repos", `${name}.git`, "junk"), "x");
    const progress: string[] = [];
    await withRepoCache(source, { root, ...CALL, onProgress: (l) => progress.push(l) }, async (repo) => {
      expect(repo.cloned).toBe(true);
      expect(await git(repo.dir, "rev-parse", "--is-bare-repository")).toBe("true");
    });
    const entries = (await readdir(join(root, "repos"))).sort();
    expect(entries).toEqual([`${name}.git`, expect.stringMatching(new RegExp(`^${name}\\.git\\.broken-\\d+$`))]);
    expect(progress[0]).toMatch(/^moved an unusable repository cache aside to /);
  });

  it("reports an unreachable server as a git error naming the repository and git's last line", async () => {
    const root = join(await dirs.make(), "work");
    const err = await withRepoCache("https://127.0.0.1:1/acme/app.git", { root, ...CALL }, async () => null).catch((e) => e);
    expect(err).toBeInstanceOf(WorkdirError);
    expect(err.kind).toBe("git");
    expect(err.message).toMatch(/^git clone of https:\/\/127\.0\.0\.1:1\/acme\/app\.git failed: fatal: unable to access/);
    expect(err.message).not.toContain("\n");
    expect(await readdir(join(root, "repos"))).toEqual([]);
  });

  it("stops a clone that hangs after the timeout", async () => {
    const server: Server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const root = join(await dirs.make(), "work");
      const started = Date.now();
      const err = await withRepoCache(`http://127.0.0.1:${port}/app.git`, { root, timeoutMs: 500 }, async () => null).catch((e) => e);
      expect(err).toMatchObject({ kind: "git", message: `git clone of http://127.0.0.1:${port}/app.git timed out after 0.5s` });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      server.close();
    }
  });
});
