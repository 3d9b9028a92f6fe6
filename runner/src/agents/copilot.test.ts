// The Copilot adapter against a stand-in process (runner/test/fixtures/bin/replay-agent.mjs) that
// replays transcripts recorded from the real CLI; copilot-cli.test.ts runs the real binary.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PATH_WITH_NODE, collect, of, pidOf, runCleanups, startAttempt, tempDir } from "../../test/agent-harness";
import { CopilotAdapter, type CopilotAdapterOptions, classifyCopilotError } from "./copilot";
import { readUsageFile } from "./copilot-parser";
import { isGroupAlive } from "./process-tree";

const FIXTURES = join(import.meta.dirname, "../../test/fixtures");
const FAKE = join(FIXTURES, "bin/replay-agent.mjs");
const TX = (name: string) => join(FIXTURES, "agent-transcripts", name);
/** The session id recorded in copilot-transcript*.jsonl; the stand-in replaces it by the one it is given. */
const RECORDED = "af0f888a-0757-45a3-81c0-9e7b2bbd1d6c";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

afterEach(runCleanups);

interface Fake {
  adapter: CopilotAdapter;
  /** The stand-in's settings for the next attempt (FAKE_* variables, see replay-agent.mjs). */
  envFile: string;
  usageDir: string;
}

function fake(extra: Partial<CopilotAdapterOptions> = {}): Fake {
  const baseEnv = { PATH: PATH_WITH_NODE };
  const envFile = join(tempDir("multica-copilot-fake-"), "env.json");
  const usageDir = tempDir("multica-copilot-usage-");
  const env = { FAKE_ENV_FILE: envFile, FAKE_SESSION: RECORDED };
  const adapter = new CopilotAdapter({ binary: FAKE, baseEnv, env, cancelGraceMs: 300, timeoutMs: 20_000, finishGraceMs: 300, usageDir, ...extra });
  return { adapter, envFile, usageDir };
}

function start(f: Fake, env: Record<string, string>, prompt = "Create hello.txt please.", resumeSessionId?: string) {
  writeFileSync(f.envFile, JSON.stringify(env));
  const workDir = tempDir("multica-copilot-work-");
  return { run: startAttempt(f.adapter, workDir, prompt, resumeSessionId), workDir };
}

describe("copilot command line", () => {
  it("builds JSON output, full permissions, model, session and usage file, and drops overriding extra args", () => {
    const a = new CopilotAdapter({
      baseEnv: {},
      cancelGraceMs: 1,
      timeoutMs: null,
      model: "gpt-5.4",
      extraArgs: ["-p", "hi", "--output-format", "text", "--deny-tool", "shell(rm)", "--resume=abc", "--continue", "-C", "/x", "--model", "o", "--usage-output-file", "/f", "--no-custom-instructions"],
    });
    const run = { sessionId: "11111111-2222-4333-8444-555555555555", usageFile: "/tmp/u.json" };
    expect(a.buildArgs({}, run)).toEqual([
      "--output-format", "json", "--allow-all", "--no-ask-user", "--model", "gpt-5.4", "--session-id", run.sessionId, "--usage-output-file", "/tmp/u.json",
      "--deny-tool", "shell(rm)", "--no-custom-instructions",
    ]);
    expect(a.buildArgs({ resumeSessionId: "sess-1" }, run)).toEqual([
      "--output-format", "json", "--allow-all", "--no-ask-user", "--model", "gpt-5.4", "--resume", "sess-1", "--usage-output-file", "/tmp/u.json",
      "--deny-tool", "shell(rm)", "--no-custom-instructions",
    ]);
    expect(a.droppedArgs.map((d) => d.arg)).toEqual(["-p hi", "--output-format text", "--resume=abc", "--continue", "-C /x", "--model o", "--usage-output-file /f"]);
  });

  it("reads token totals from a usage report and classifies Copilot's error categories", () => {
    expect(readUsageFile(TX("copilot-transcript-usage.json"))).toEqual({ inputTokens: 200, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0 });
    expect(readUsageFile("/no/such/file.json")).toBeNull();
    const now = Date.parse("2026-11-24T12:00:00Z");
    expect(classifyCopilotError({ type: "authorization", message: "x", statusCode: 403 }, now)).toEqual({ kind: "bad_config" });
    expect(classifyCopilotError({ type: "quota", message: "Try again in 10 minutes", statusCode: 402 }, now)).toEqual({ kind: "rate_limit", retryAt: now + 600_000 });
    expect(classifyCopilotError({ type: "query", message: "Last error: 429 Too Many Requests", statusCode: 429 }, now)).toEqual({ kind: "rate_limit", retryAt: null });
    expect(classifyCopilotError({ type: "query", message: "500 Internal", statusCode: 500 }, now)).toBeNull();
  });
});

describe("copilot adapter with a stand-in process", () => {
  it("runs with the prompt on stdin and a new session id, reports this run's usage, and resumes with only the tokens it added", async () => {
    const f = fake({ model: "claude-sonnet-4.5" });
    const report = join(tempDir("multica-copilot-report-"), "report.json");
    const prompt = "Create hello.txt please.\n-p 'x' $HOME";
    const first = start(f, { FAKE_TRANSCRIPT: TX("copilot-transcript.jsonl"), FAKE_USAGE: TX("copilot-transcript-usage.json"), FAKE_REPORT: report }, prompt);
    const { events, outcome } = await collect(first.run);
    const seen = JSON.parse(readFileSync(report, "utf8")) as { argv: string[]; stdin: string; cwd: string; pwd: string };
    const sessionId = seen.argv[seen.argv.indexOf("--session-id") + 1] ?? "";
    expect(sessionId).toMatch(UUID);
    expect(seen).toMatchObject({ stdin: prompt, cwd: first.workDir, pwd: first.workDir });
    expect(seen.argv).not.toContain("-p");
    expect(seen.argv.slice(0, 6)).toEqual(["--output-format", "json", "--allow-all", "--no-ask-user", "--model", "claude-sonnet-4.5"]);
    const usage = { inputTokens: 200, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0 };
    expect(outcome).toMatchObject({ status: "succeeded", sessionId, usage, failure: null, exit: { exitCode: 0, error: null } });
    expect(events.find((e) => e.kind !== "lifecycle")).toEqual({ kind: "session", sessionId });
    expect(of(events, "usage")).toEqual([{ kind: "usage", ...usage }]);
    expect(of(events, "result")).toEqual([{ kind: "result", isError: false, summary: "Created hello.txt.", sessionId, durationMs: 326, turns: 2, usage }]);
    expect(of(events, "tool_call").map((e) => e.name)).toEqual(["create"]);

    const second = start(f, { FAKE_TRANSCRIPT: TX("copilot-transcript-resume.jsonl"), FAKE_USAGE: TX("copilot-transcript-resume-usage.json"), FAKE_REPORT: report }, "what did you do?", sessionId);
    const resumed = await collect(second.run);
    expect((JSON.parse(readFileSync(report, "utf8")) as { argv: string[] }).argv).toEqual(expect.arrayContaining(["--resume", sessionId]));
    expect(resumed.outcome).toMatchObject({ status: "succeeded", sessionId, usage: { inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0 } });
    // The usage files were temporary.
    expect(readdirSync(f.usageDir)).toEqual([]);
  });

  it("stops a process that prints its result but never exits, and the result decides", async () => {
    const { run } = start(fake(), { FAKE_TRANSCRIPT: TX("copilot-transcript.jsonl"), FAKE_END: "hang" });
    const { events, outcome } = await collect(run);
    expect(outcome).toMatchObject({ status: "succeeded", exit: { signal: "SIGTERM", error: null } });
    expect(outcome.sessionId).toMatch(UUID);
    expect(isGroupAlive(pidOf(events))).toBe(false);
  });

  it("fails a run that ends without a result, reports no session, and classifies a login error on stderr", async () => {
    const stderr = "Error: No authentication information found.\n\nCopilot can be authenticated with GitHub using an OAuth Token.\nTo authenticate:\n  • a\n  • b\n  • c";
    const { run } = start(fake(), { FAKE_STDERR: stderr, FAKE_END: "exit:1" });
    const { outcome } = await collect(run);
    expect(outcome).toMatchObject({ status: "failed", sessionId: null, usage: null, failure: { kind: "bad_config", retryAt: null }, exit: { exitCode: 1 } });
    expect(outcome.exit.error).toMatch(/^the agent ended without a result \(exit code 1\); stderr: .*• c$/);
  });

  it("fails with the CLI's error: authentication is a setup error, a rate limit is retryable", async () => {
    const auth = await collect(start(fake(), { FAKE_TRANSCRIPT: TX("copilot-transcript-auth-error.jsonl"), FAKE_END: "exit:1" }).run);
    expect(auth.outcome).toMatchObject({ status: "failed", failure: { kind: "bad_config", retryAt: null } });
    expect(auth.outcome.exit.error).toMatch(/^copilot reported an error: Authentication failed with provider at http:\/\/127\.0\.0\.1:\d+ \(HTTP 401\)/);
    expect(auth.outcome.sessionId).toMatch(UUID);

    const limited = await collect(start(fake(), { FAKE_TRANSCRIPT: TX("copilot-transcript-rate-limit.jsonl"), FAKE_END: "exit:1" }).run);
    expect(limited.outcome).toMatchObject({ status: "failed", usage: null, failure: { kind: "rate_limit", retryAt: null } });
    expect(limited.outcome.exit.error).toMatch(
      /^rate limited by the model provider; it did not say when it resets — copilot reported an error: Failed to get response from the AI model; retried 5 times/,
    );
  });

  it("cancel stops the whole tree and keeps the session it started", async () => {
    const { run } = start(fake(), { FAKE_TRANSCRIPT: TX("copilot-transcript.jsonl"), FAKE_SKIP_TYPE: "result", FAKE_END: "hang-tree" });
    const { events, outcome } = await collect(run, (e) => {
      if (e.kind === "raw" && e.type === "fake.child") run.cancel("user asked");
    });
    expect(outcome).toMatchObject({ status: "cancelled", exit: { error: "cancelled: user asked" } });
    expect(outcome.sessionId).toMatch(UUID);
    expect(of(events, "session")).toEqual([{ kind: "session", sessionId: outcome.sessionId }]);
    expect(isGroupAlive(pidOf(events))).toBe(false);
  });
});
