// The bundled CLI as users run it: help, exit codes, signals. Bundles src/cli.ts like
// scripts/build-runner.mjs does, to its own file in runner/dist so a parallel build is untouched.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { execa, type ResultPromise } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FakeControlPlane } from "../test/fake-control-plane";
import { isProcessAlive } from "./agents/process-tree";

const RUNNER = join(import.meta.dirname, "..");
const CLI = join(RUNNER, "dist", `cli-test-${process.pid}.js`);
const FIXTURES = join(RUNNER, "test/fixtures");
/** The plain Node 20 of the machine when there is one: the bundle must run there too. */
const NODE = existsSync("/usr/bin/node") ? "/usr/bin/node" : process.execPath;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  await build({
    entryPoints: [join(RUNNER, "src/cli.ts")],
    outfile: CLI,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Like scripts/build-runner.mjs: the runner's runtime dependencies stay external.
    external: Object.keys((JSON.parse(readFileSync(join(RUNNER, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies),
    define: { RUNNER_VERSION: JSON.stringify("9.9.9-test") },
    banner: { js: "#!/usr/bin/env node" },
    logLevel: "warning",
  });
});
afterAll(() => rmSync(CLI, { force: true }));
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function cli(args: string[], env: Record<string, string> = {}): ResultPromise<{ reject: false; env: Record<string, string>; extendEnv: false }> {
  return execa(NODE, [CLI, ...args], { reject: false, env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent", ...env }, extendEnv: false });
}

describe("multica-runner CLI", () => {
  it("--help documents every flag with its variable, the config file and the exit codes", async () => {
    const r = await cli(["--help"]);
    expect(r.exitCode).toBe(0);
    for (const s of ["--url", "MULTICA_URL", "--token", "MULTICA_TOKEN", "--name", "MULTICA_NAME", "--concurrency", "MULTICA_CONCURRENCY", "--config", "MULTICA_CONFIG", "--data-dir", "MULTICA_DATA_DIR", "--cancel-grace", "MULTICA_CANCEL_GRACE_MS", '"commands"', "{prompt}", "Exit codes", "Examples"]) {
      expect(r.stdout).toContain(s);
    }
    expect((await cli(["--version"])).stdout).toBe("9.9.9-test");
  });

  it("exits 2 with one clear line on bad input", async () => {
    const r = await cli(["--concurrency", "abc", "--url", "http://x", "--token", "t"]);
    expect([r.exitCode, r.stderr]).toEqual([2, 'multica-runner: --concurrency must be an integer from 1 to 64 (got "abc")']);
    const missing = await cli([]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr.split("\n")).toHaveLength(1);
    expect(missing.stderr).toMatch(/runner token/);
  });

  it("exits 3 when the control plane rejects the token", async () => {
    const cp = await FakeControlPlane.start({ token: "right" });
    cleanups.push(() => cp.close());
    const dataDir = mkdtempSync(join(tmpdir(), "multica-cli-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const r = await cli([], { MULTICA_URL: cp.url, MULTICA_TOKEN: "wrong", MULTICA_DATA_DIR: dataDir });
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/rejected the token \(HTTP 401\)/);
  });

  it("stops gracefully on SIGTERM, refuses a second process on the same data dir, and dies at once on a second signal", async () => {
    const cp = await FakeControlPlane.start();
    cleanups.push(() => cp.close());
    const dataDir = mkdtempSync(join(tmpdir(), "multica-cli-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const config = join(dataDir, "runner.json");
    writeFileSync(config, JSON.stringify({ commands: { stubborn: { command: process.execPath, args: [join(FIXTURES, "ignore-term.mjs")] } } }));
    const env = { MULTICA_URL: cp.url, MULTICA_TOKEN: "tok", MULTICA_DATA_DIR: dataDir, MULTICA_CONFIG: config, MULTICA_CANCEL_GRACE_MS: "300" };

    const first = cli([], env);
    await cp.waitFor(() => cp.of("hello").length === 1);
    const second = await cli([], env);
    expect(second.exitCode).toBe(2);
    expect(second.stderr).toMatch(/another multica-runner \(pid \d+\) is using/);

    const assign = (n: number) => ({
      type: "task.assign" as const,
      taskId: `tsk_cli0000${n}`,
      attempt: 1,
      runtime: "command:stubborn",
      sentAt: Date.now(),
      issue: { id: "iss_cli00001", key: "MUL-1", title: "t", body: "", comments: [] },
      agent: { id: "agt_cli00001", name: "a", instructions: "" },
      prompt: "p",
      repository: null,
      limits: { idleTimeoutMs: null, timeoutMs: null },
      resume: null,
      skills: [],
      agentToken: null,
    });
    cp.send(assign(1));
    await cp.waitFor(() => cp.of("task.started").length === 1);
    first.kill("SIGTERM");
    const r = await first;
    expect(r.exitCode).toBe(0);
    expect(cp.of("task.report")[0]).toMatchObject({ status: "cancelled", exit: { error: "cancelled: runner stopping" } });
    expect(r.stderr).toMatch(/stopping gracefully/);

    const third = cli([], env);
    await cp.waitFor(() => cp.of("hello").length === 2);
    cp.send(assign(2));
    await cp.waitFor(() => cp.of("task.events").some((f) => f.taskId === "tsk_cli00002" && f.events.some((e) => e.event.kind === "output")));
    const pidLine = cp.of("task.events").flatMap((f) => f.events).find((e) => e.event.kind === "output" && e.event.text.startsWith("pid "));
    const agentPid = Number(pidLine?.event.kind === "output" ? pidLine.event.text.slice(4) : 0);
    expect(isProcessAlive(agentPid)).toBe(true);
    third.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 50));
    third.kill("SIGINT");
    const t = await third;
    expect(t.exitCode).toBe(130);
    expect(isProcessAlive(agentPid)).toBe(false);
  });
});
