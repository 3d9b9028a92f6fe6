// Config reading: precedence flags > env > file > defaults, and one-line errors.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, type ConfigSystem, parseCli, type RunnerConfig } from "./config";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function home(): string {
  const d = mkdtempSync(join(tmpdir(), "multica-config-"));
  dirs.push(d);
  return d;
}

function system(env: Record<string, string>, cwd = "/"): Partial<ConfigSystem> {
  return { env, homedir: () => "/nonexistent", hostname: () => "box.local", cwd: () => cwd };
}

function run(argv: string[], env: Record<string, string>): RunnerConfig {
  const r = parseCli(argv, system(env));
  if (r.kind !== "run") throw new Error(`expected run, got ${r.kind}`);
  return r.config;
}

function errorOf(argv: string[], env: Record<string, string>): string {
  try {
    parseCli(argv, system(env));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
}

function writeDefaultConfig(h: string, content: unknown): string {
  mkdirSync(join(h, ".config", "multica"), { recursive: true });
  const path = join(h, ".config", "multica", "runner.json");
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

describe("parseCli", () => {
  it("uses the defaults when only url and token are given, and keeps the token from agents", () => {
    const h = home();
    const c = run([], { HOME: h, MULTICA_URL: "https://m.example.com", MULTICA_TOKEN: "tok_x", PATH: "/bin" });
    expect(c).toMatchObject({ name: "box.local", concurrency: 2, cancelGraceMs: 5000, configPath: null, commands: [] });
    expect(c.url.href).toBe("https://m.example.com/");
    expect(c.dataDir).toBe(join(h, ".local", "share", "multica-runner", "box.local"));
    expect(c.childEnv).toEqual({ HOME: h, MULTICA_URL: "https://m.example.com", PATH: "/bin" });
  });

  it("takes flags over env over the config file over defaults", () => {
    const h = home();
    writeDefaultConfig(h, { url: "http://file", token: "file-token", name: "file-name", concurrency: 3, cancelGraceMs: 100 });
    const env = { HOME: h, MULTICA_CONCURRENCY: "4", MULTICA_NAME: "env-name" };
    expect(run([], { HOME: h })).toMatchObject({ name: "file-name", concurrency: 3, token: "file-token", cancelGraceMs: 100 });
    expect(run([], env)).toMatchObject({ name: "env-name", concurrency: 4, token: "file-token" });
    const c = run(["--concurrency", "5", "--name=flag-name", "--token", "flag-token", "--cancel-grace", "0"], env);
    expect(c).toMatchObject({ name: "flag-name", concurrency: 5, token: "flag-token", cancelGraceMs: 0 });
    expect(c.dataDir).toBe(join(h, ".local", "share", "multica-runner", "flag-name"));
  });

  it("follows XDG_CONFIG_HOME and XDG_DATA_HOME, and an explicit --config / --data-dir", () => {
    const h = home();
    mkdirSync(join(h, "xdg", "multica"), { recursive: true });
    writeFileSync(join(h, "xdg", "multica", "runner.json"), JSON.stringify({ url: "http://x", token: "t", dataDir: "data" }));
    const c = run([], { HOME: h, XDG_CONFIG_HOME: join(h, "xdg"), XDG_DATA_HOME: "/ignored" });
    expect(c.configPath).toBe(join(h, "xdg", "multica", "runner.json"));
    expect(c.dataDir).toBe(join(h, "xdg", "multica", "data")); // relative to the config file
    writeFileSync(join(h, "other.json"), JSON.stringify({ url: "http://x", token: "t" }));
    const d = parseCli(["--config", "other.json", "--data-dir", "d"], system({ HOME: h, XDG_DATA_HOME: "/xd" }, h));
    expect(d.kind === "run" && [d.config.configPath, d.config.dataDir]).toEqual([join(h, "other.json"), join(h, "d")]);
    const e = run(["--url", "http://x", "--token", "t", "--name", "a/b c"], { HOME: h, XDG_DATA_HOME: "/xd" });
    expect(e.dataDir).toBe("/xd/multica-runner/a_b_c");
  });

  it("turns configured commands into command runtimes", () => {
    const h = home();
    writeDefaultConfig(h, {
      url: "http://x",
      token: "t",
      commands: { echo: { command: "node", args: ["s.js", "{prompt}"], env: { A: "1" }, timeoutSeconds: 60, idleTimeoutSeconds: 30 }, bare: { command: "true" } },
    });
    expect(run([], { HOME: h }).commands).toEqual([
      { name: "echo", command: "node", args: ["s.js", "{prompt}"], env: { A: "1" }, timeoutSeconds: 60, idleTimeoutSeconds: 30 },
      { name: "bare", command: "true", args: [], env: {}, timeoutSeconds: null, idleTimeoutSeconds: null },
    ]);
  });

  it("reads per agent CLI settings, and refuses unknown CLIs or keys", () => {
    const h = home();
    const base = { HOME: h, MULTICA_URL: "http://x", MULTICA_TOKEN: "t" };
    writeDefaultConfig(h, { agents: { claude: { model: "sonnet", extraArgs: ["--add-dir", "/srv"], env: { K: "v" }, timeoutSeconds: 600 } } });
    expect(run([], base).agentClis).toEqual({ claude: { model: "sonnet", extraArgs: ["--add-dir", "/srv"], env: { K: "v" }, timeoutSeconds: 600 } });
    writeDefaultConfig(h, { agents: { vim: {} } });
    expect(errorOf([], base)).toMatch(/agents/);
    writeDefaultConfig(h, { agents: { claude: { modle: "x" } } });
    expect(errorOf([], base)).toMatch(/modle/);
  });

  it("reports bad values in one line naming where they came from", () => {
    const h = home();
    const base = { HOME: h, MULTICA_URL: "http://x", MULTICA_TOKEN: "t" };
    expect(errorOf(["--concurrency", "abc"], base)).toBe('--concurrency must be an integer from 1 to 64 (got "abc")');
    expect(errorOf([], { ...base, MULTICA_CONCURRENCY: "65" })).toBe('MULTICA_CONCURRENCY must be an integer from 1 to 64 (got "65")');
    expect(errorOf([], { ...base, MULTICA_CANCEL_GRACE_MS: "1.5" })).toMatch(/^MULTICA_CANCEL_GRACE_MS must be an integer from 0 to 600000/);
    expect(errorOf(["--url", "nope"], base)).toMatch(/^--url must be a URL/);
    expect(errorOf(["--bogus"], base)).toBe("unknown flag --bogus (see --help)");
    const path = writeDefaultConfig(h, { concurrency: 0 });
    expect(errorOf([], base)).toBe(`"concurrency" in ${path} must be an integer from 1 to 64 (got "0")`);
  });

  it("rejects a broken or misspelled config file, and a missing explicit one", () => {
    const h = home();
    const base = { HOME: h, MULTICA_URL: "http://x", MULTICA_TOKEN: "t" };
    const path = writeDefaultConfig(h, "{ not json");
    expect(errorOf([], base)).toMatch(new RegExp(`^config file ${path} is not valid JSON`));
    writeDefaultConfig(h, { concurency: 2 });
    expect(errorOf([], base)).toMatch(/concurency/);
    writeDefaultConfig(h, { commands: { "bad name": { command: "x" } } });
    expect(errorOf([], base)).toMatch(/command names may only hold/);
    writeDefaultConfig(h, { commands: { ok: { args: [] } } });
    expect(errorOf([], base)).toMatch(/commands\.ok\.command/);
    expect(errorOf(["--config", "/nonexistent/runner.json"], base)).toBe("config file /nonexistent/runner.json does not exist");
  });

  it("explains how to get a url and a token when they are missing", () => {
    const msg = errorOf([], { HOME: home() });
    expect(msg).toMatch(/control plane URL and a runner token are required/);
    expect(msg).toMatch(/MULTICA_TOKEN/);
    expect(errorOf(["--url", "http://x"], { HOME: home() })).toMatch(/^a runner token is required/);
  });

  it("answers --help and --version before looking at anything else", () => {
    expect(parseCli(["--help"], system({})).kind).toBe("help");
    expect(parseCli(["-v", "--concurrency", "abc"], system({})).kind).toBe("version");
  });
});
