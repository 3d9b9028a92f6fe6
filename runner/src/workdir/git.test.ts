import { afterEach, describe, expect, it } from "vitest";
import { lastErrorLine, redactCredentials, runGit, WorkdirError } from "./git";
import { TempDirs } from "./test-repos";

const dirs = new TempDirs();
afterEach(() => dirs.cleanup());

describe("lastErrorLine", () => {
  it("picks the last fatal/error line, else the last line, with credentials masked", () => {
    const stderr = "Cloning into bare repository 'x'...\nfatal: unable to access 'https://u:tok@h/r.git/': 403\nhint: try again\n";
    expect(lastErrorLine(stderr)).toBe("fatal: unable to access 'https://***@h/r.git/': 403");
    expect(lastErrorLine("warning: something\n\n")).toBe("warning: something");
    expect(lastErrorLine("  \n")).toBeNull();
    expect(redactCredentials("ssh://git:pw@host/x and https://token@github.com/y")).toBe("ssh://git:***@host/x and https://***@github.com/y");
  });
});

describe("runGit", () => {
  it("throws a one-line WorkdirError naming the operation and git's message", async () => {
    const dir = await dirs.make();
    const err = await runGit(["rev-parse", "--verify", "nope"], { cwd: dir, what: "git rev-parse of test", timeoutMs: 10_000 }).catch((e) => e);
    expect(err).toBeInstanceOf(WorkdirError);
    expect(err).toMatchObject({ kind: "git", message: "git rev-parse of test failed: fatal: not a git repository (or any of the parent directories): .git" });
    const probeCall = { cwd: dir, what: "probe", timeoutMs: 10_000 };
    const config = await runGit(["rev-parse", "--verify", "nope"], { ...probeCall, configErrors: /not a git repository/ }).catch((e) => e);
    expect(config.kind).toBe("bad_config");
    const probe = await runGit(["rev-parse", "--verify", "nope"], { ...probeCall, allowFailure: true });
    expect(probe.ok).toBe(false);
  });

  it("stops at once when the signal is aborted", async () => {
    const dir = await dirs.make();
    const controller = new AbortController();
    controller.abort();
    const err = await runGit(["--version"], { cwd: dir, what: "git --version", timeoutMs: 10_000, signal: controller.signal }).catch((e) => e);
    expect(err).toMatchObject({ kind: "git", message: "git --version was cancelled" });
    const ok = await runGit(["--version"], { cwd: dir, what: "git --version", timeoutMs: 10_000 });
    expect(ok.stdout).toMatch(/^git version /);
  });
});
