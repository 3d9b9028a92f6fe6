import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { TempDirs } from "../workdir/test-repos";
import { bundleCacheDir, ensureBundles, SkillFetchError } from "./skill-cache";
import { FakeSkillsServer, RUNNER_TOKEN } from "./test-skills-server";

const dirs = new TempDirs();
const servers: FakeSkillsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await dirs.cleanup();
});

const REVIEW = { "SKILL.md": "---\nname: review\ndescription: Review code\n---\nLook closely.\n", "scripts/run.sh": "#!/bin/sh\necho hi\n", "references/a.md": "A\n" };
const LINT = { "SKILL.md": "---\nname: lint\ndescription: Lint\n---\nRun the linter.\n" };

async function setup() {
  const server = await FakeSkillsServer.start();
  servers.push(server);
  const dataDir = await dirs.make("multica-skills-cache-");
  const review = { name: "review", version: 3, hash: await server.addBundle("review", REVIEW) };
  const lint = { name: "lint", version: 1, hash: await server.addBundle("lint", LINT) };
  const source = { url: server.url, token: RUNNER_TOKEN, dataDir };
  const path = (hash: string) => `/api/v1/runner/skill-bundles/${hash}`;
  return { server, dataDir, review, lint, source, path };
}

describe("ensureBundles", () => {
  it("fetches missing bundles into <dataDir>/skills/<hash>/ and serves them from the cache afterwards", async () => {
    const { server, dataDir, review, lint, source, path } = await setup();
    const lines: string[] = [];
    const first = await ensureBundles([review, lint], { ...source, onProgress: (l) => lines.push(l) });
    expect(first.map((b) => [b.name, b.version, b.hash])).toEqual([["review", 3, review.hash], ["lint", 1, lint.hash]]);
    expect(first[0]?.dir).toBe(join(bundleCacheDir(dataDir, review.hash), "bundle"));
    expect(first[0]?.files).toEqual(["SKILL.md", "scripts/run.sh", "references/a.md"]);
    expect(await readFile(join(first[0]?.dir ?? "", "references/a.md"), "utf8")).toBe("A\n");
    // Scripts with a #! line come out executable; other files do not.
    expect((await stat(join(first[0]?.dir ?? "", "scripts/run.sh"))).mode & 0o111).not.toBe(0);
    expect((await stat(join(first[0]?.dir ?? "", "SKILL.md"))).mode & 0o111).toBe(0);
    expect(lines.sort()).toEqual(["skills: fetched skill lint v1 (1 file)", "skills: fetched skill review v3 (3 files)"]);

    const second = await ensureBundles([review, lint], source);
    expect(second).toEqual(first);
    expect(server.calls("GET", path(review.hash))).toBe(1);
    expect(server.calls("GET", path(lint.hash))).toBe(1);
  });

  it("fetches again a partial cache dir (no .complete) and a damaged one (a file changed on disk)", async () => {
    const { server, dataDir, review, lint, source, path } = await setup();
    const [cachedReview, cachedLint] = await ensureBundles([review, lint], source);
    await rm(join(bundleCacheDir(dataDir, review.hash), ".complete"));
    await writeFile(join(cachedLint?.dir ?? "", "SKILL.md"), "changed on disk\n");
    const again = await ensureBundles([review, lint], source);
    expect(server.calls("GET", path(review.hash))).toBe(2);
    expect(server.calls("GET", path(lint.hash))).toBe(2);
    expect(await readFile(join(again[1]?.dir ?? "", "SKILL.md"), "utf8")).toBe(LINT["SKILL.md"]);
    expect(cachedReview?.dir).toBe(again[0]?.dir);
  });

  it("rejects a fetched bundle whose files do not hash to what was assigned, and keeps nothing of it", async () => {
    const { server, dataDir, review, source } = await setup();
    server.tampered.add(review.hash);
    const err = await ensureBundles([review], source).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SkillFetchError);
    expect(err).toMatchObject({ kind: "failed", skill: "review" });
    expect((err as Error).message).toContain("skill review v3: the fetched bundle does not match");
    expect(await stat(bundleCacheDir(dataDir, review.hash)).catch(() => null)).toBeNull();
  });

  it("names the skill when the control plane has no such bundle (not_found) or cannot be reached (failed)", async () => {
    const { server, source } = await setup();
    const missing = { name: "gone", version: 2, hash: "a".repeat(64) };
    const notFound = await ensureBundles([missing], source).catch((e: unknown) => e);
    expect(notFound).toMatchObject({ kind: "not_found", skill: "gone" });
    expect((notFound as Error).message).toMatch(/^skill gone v2: the control plane has no bundle a{12}/);

    const unauthorized = await ensureBundles([missing], { ...source, token: "nope" }).catch((e: unknown) => e);
    expect(unauthorized).toMatchObject({ kind: "failed", skill: "gone" });
    expect((unauthorized as Error).message).toContain("invalid token");

    await server.close();
    servers.splice(0);
    const down = await ensureBundles([missing], source).catch((e: unknown) => e);
    expect(down).toMatchObject({ kind: "failed", skill: "gone" });
    expect((down as Error).message).toContain("cannot reach the control plane (ECONNREFUSED");
  });

  it("fetches many skills a few at a time and returns them in the order asked", async () => {
    const { server, source } = await setup();
    const skills = await Promise.all(
      Array.from({ length: 9 }, async (_, i) => {
        const name = `s${i}`;
        return { name, version: 1, hash: await server.addBundle(name, { "SKILL.md": `---\nname: ${name}\ndescription: d\n---\n` }) };
      }),
    );
    const got = await ensureBundles(skills, { ...source, concurrency: 3 });
    expect(got.map((b) => b.name)).toEqual(skills.map((s) => s.name));
  });
});
