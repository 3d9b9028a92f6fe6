// `multica-runner skills …` against a fake control plane over real HTTP: in process through
// runSkillsCli, and once through the bundled CLI on the machine's plain Node, as users run it.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TempDirs, writeFiles } from "../workdir/test-repos";
import { runSkillsCli, SkillsExit } from "./skills-cli";
import { FakeSkillsServer, MEMBER_TOKEN, RUNNER_TOKEN } from "./test-skills-server";

const dirs = new TempDirs();
const servers: FakeSkillsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await dirs.cleanup();
});

const skillMd = (name: string, body = "Do it.\n") => `---\nname: ${name}\ndescription: about ${name}\n---\n${body}`;

async function setup() {
  const server = await FakeSkillsServer.start();
  servers.push(server);
  const home = await dirs.make("multica-skills-home-");
  const run = async (args: string[], token = MEMBER_TOKEN, url = server.url.href) => {
    let stdout = "";
    let stderr = "";
    const code = await runSkillsCli(args, {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: { HOME: home, MULTICA_URL: url, MULTICA_TOKEN: token },
      cwd: home,
    });
    return { code, stdout, stderr };
  };
  return { server, home, run };
}

describe("multica-runner skills", () => {
  it("push uploads every skill folder of a directory through the runner API, then finds them unchanged", async () => {
    const { server, home, run } = await setup();
    await writeFiles(home, {
      "skills/review/SKILL.md": skillMd("review"),
      "skills/review/scripts/run.sh": "#!/bin/sh\n",
      "skills/lint/SKILL.md": skillMd("lint"),
      "skills/notes/README.md": "not a skill\n",
    });
    expect(await run(["push", "skills"], RUNNER_TOKEN)).toEqual({ code: 0, stdout: "lint: created v1\nreview: created v1\n", stderr: "" });
    expect(server.calls("POST", "/api/v1/runner/skills")).toBe(2);
    expect(await run(["push", "skills"], RUNNER_TOKEN)).toMatchObject({ code: 0, stdout: "lint: unchanged\nreview: unchanged\n" });

    await writeFiles(home, { "skills/lint/SKILL.md": skillMd("lint", "Stricter.\n") });
    const json = await run(["push", join(home, "skills/lint"), "--json"], RUNNER_TOKEN);
    expect(json.code).toBe(0);
    const lint = server.library.get("lint")?.versions[1];
    expect(JSON.parse(json.stdout)).toEqual({ results: [{ folder: join(home, "skills/lint"), name: "lint", status: "created", version: 2, hash: lint?.hash }] });
  });

  it("exits 3 for a refused token, 4 for what does not exist, 5 when the control plane is down, with --json errors", async () => {
    const { server, run, home } = await setup();
    await writeFiles(home, { "one/SKILL.md": skillMd("one") });
    const refused = await run(["push", "one"], "wrong-token");
    expect(refused.code).toBe(SkillsExit.auth);
    expect(refused.stderr).toContain("POST /api/v1/runner/skills: invalid token");

    const runnerAsMember = await run(["list"], RUNNER_TOKEN);
    expect(runnerAsMember).toMatchObject({ code: 3, stderr: "multica-runner skills list: this command needs a member token; the token given is a runner token\n" });

    const missing = await run(["show", "nope", "--json"]);
    expect(missing.code).toBe(SkillsExit.notFound);
    expect(JSON.parse(missing.stdout)).toEqual({ error: { code: "not_found", message: `GET /api/v1/workspaces/ws_test/skills/nope: skill nope not found`, exitCode: 4 } });

    const url = server.url.href;
    await server.close();
    servers.splice(0);
    const down = await run(["list", "--json"], MEMBER_TOKEN, url);
    expect(down.code).toBe(SkillsExit.unavailable);
    expect(JSON.parse(down.stdout).error).toMatchObject({ code: "network", exitCode: 5 });
    expect(down.stderr).toContain("GET /api/v1/whoami: cannot reach the control plane (");
  });

  it("lists, shows, diffs, archives, attaches and detaches with a member token", async () => {
    const { server, run } = await setup();
    await server.addBundle("review", { "SKILL.md": skillMd("review") }, 1);
    await server.addBundle("review", { "SKILL.md": skillMd("review", "Closer.\n") }, 2);

    const list = await run(["list", "--query", "rev", "--limit", "5"]);
    expect(list.stdout).toBe("NAME    LATEST  RUNS  SUCCESS  DESCRIPTION\nreview  v2      4     75%      about review\n");
    expect(server.requests.at(-1)?.path).toBe("/api/v1/workspaces/ws_test/skills?q=rev&limit=5");
    expect(JSON.parse((await run(["list", "--json"])).stdout).skills[0]).toMatchObject({ name: "review", latestVersion: 2 });

    const show = await run(["show", "review"]);
    expect(show.stdout).toMatch(/^review v2\nabout review\nruns: 4, success: 75%\n\nVERSION {2}HASH {10}CREATED {19}AUTHOR {6}FILES\nv1 {7}[0-9a-f]{12} {2}\S{24} {2}user usr_1 {2}1 file\n/);
    const version = await run(["show", "review", "--version", "1"]);
    expect(version.stdout).toContain("--- SKILL.md ---\n---\nname: review\n");

    expect((await run(["diff", "review", "1", "2"])).stdout).toBe("--- a/SKILL.md\n+++ b/SKILL.md\n-old\n+new\n");
    expect(server.requests.at(-1)?.path).toBe("/api/v1/workspaces/ws_test/skills/review/diff?from=1&to=2");

    expect(await run(["attach", "agt_1", "review", "--version", "2", "--disable"])).toMatchObject({ code: 0, stdout: "attached review to agent agt_1 (pinned to v2, disabled)\n" });
    expect(server.attachments.get("agt_1/review")).toEqual({ version: 2, enabled: false });
    expect(await run(["attach", "agt_1", "review"])).toMatchObject({ stdout: "attached review to agent agt_1 (following the latest version)\n" });
    expect(server.attachments.get("agt_1/review")).toEqual({ version: null, enabled: true });
    expect(await run(["detach", "agt_1", "review"])).toMatchObject({ code: 0, stdout: "detached review from agent agt_1\n" });
    expect((await run(["detach", "agt_1", "review"])).code).toBe(4);

    expect(await run(["archive", "review"])).toMatchObject({ code: 0, stdout: "archived review\n" });
    expect(server.library.get("review")?.archived).toBe(true);
  });

  it("imports a skill folder as JSON files and a zip as its raw bytes", async () => {
    const { server, run, home } = await setup();
    await writeFiles(home, { "mine/SKILL.md": skillMd("mine"), "mine/assets/logo.bin": "\u0000\u00ff" });
    writeFileSync(join(home, "skill.zip"), Buffer.from([0x50, 0x4b, 3, 4, 1, 2, 3]));
    expect(await run(["import", "mine"])).toMatchObject({ code: 0, stdout: "mine: created v1\n" });
    const sent = server.requests.find((r) => r.method === "POST" && r.path === "/api/v1/workspaces/ws_test/skills")?.body as { files: { path: string; encoding: string }[] };
    expect(sent.files.map((f) => [f.path, f.encoding])).toEqual([["SKILL.md", "utf8"], ["assets/logo.bin", "base64"]]);
    expect(await run(["import", "skill.zip"])).toMatchObject({ code: 0, stdout: "from-zip: created v1\n" });
    expect([...(server.zips[0] ?? [])]).toEqual([0x50, 0x4b, 3, 4, 1, 2, 3]);
  });

  it("exits 2 for bad usage and explains what is missing", async () => {
    const { run, home } = await setup();
    expect((await run(["frobnicate"])).stderr).toContain('unknown command "frobnicate" (commands: push, list, show, diff, import, archive, attach, detach)');
    expect(await run(["show"])).toMatchObject({ code: 2, stderr: "multica-runner skills show: expected: multica-runner skills show <name> [--version <n>]\n" });
    expect((await run(["diff", "review", "1", "two"])).stderr).toContain('<to> must be a positive integer (got "two")');
    expect((await run(["list", "--bogus"])).code).toBe(2);
    expect((await run(["push", "nowhere"])).stderr).toContain(`${join(home, "nowhere")} is not a directory`);
    const noToken = await runSkillsCli(["list"], { env: { HOME: home }, cwd: home, stdout: () => {}, stderr: () => {} });
    expect(noToken).toBe(2);
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("multica-runner skills <command> [arguments] [flags]");
  });

  it("reads the URL and token from the config file, like the runner", async () => {
    const { server, home } = await setup();
    await server.addBundle("review", { "SKILL.md": skillMd("review") }, 1);
    const config = join(home, "runner.json");
    writeFileSync(config, JSON.stringify({ url: server.url.href, token: MEMBER_TOKEN }));
    let out = "";
    const code = await runSkillsCli(["list", "--config", config], { env: { HOME: home }, cwd: home, stdout: (t) => (out += t), stderr: () => {} });
    expect(code).toBe(0);
    expect(out).toContain("review  v1");
  });
});

describe("the bundled multica-runner", () => {
  const runnerDir = join(import.meta.dirname, "../..");
  const cli = join(runnerDir, "dist", `cli-skills-test-${process.pid}.js`);
  beforeAll(async () => {
    await build({
      entryPoints: [join(runnerDir, "src/cli.ts")],
      outfile: cli,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      // As scripts/build-runner.mjs: the runner's dependencies stay external.
      external: Object.keys((JSON.parse(readFileSync(join(runnerDir, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies),
      define: { RUNNER_VERSION: JSON.stringify("9.9.9-test") },
      logLevel: "warning",
    });
  });
  afterAll(() => rmSync(cli, { force: true }));

  it("hands `skills` to the skills commands (help and push) on plain Node", async () => {
    const { home } = await setup();
    const server = servers[0];
    await writeFiles(home, { "s/a/SKILL.md": skillMd("a") });
    const node = process.platform === "linux" ? "/usr/bin/node" : process.execPath;
    const env = { PATH: process.env.PATH ?? "", HOME: home, MULTICA_URL: server?.url.href ?? "", MULTICA_TOKEN: RUNNER_TOKEN };
    const help = await execa(node, [cli, "skills", "--help"], { reject: false, env, extendEnv: false });
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain("push <dir>");
    const push = await execa(node, [cli, "skills", "push", "s"], { reject: false, env, extendEnv: false, cwd: home });
    expect({ code: push.exitCode, out: push.stdout, err: push.stderr }).toEqual({ code: 0, out: "a: created v1", err: "" });
    const main = await execa(node, [cli, "--help"], { reject: false, env, extendEnv: false });
    expect(main.stdout).toContain("multica-runner skills <command>");
  });
});
