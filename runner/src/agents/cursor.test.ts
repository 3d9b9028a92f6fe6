// The Cursor adapter against a stand-in process (runner/test/fixtures/bin/replay-agent.mjs) that
// replays the documented stream-json transcripts: Cursor Agent itself is not on npm and needs
// Cursor's servers, so it cannot be driven offline (see runner/test/fixtures/agent-transcripts/README.md).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { PATH_WITH_NODE, collect, of, pidOf, runCleanups, startAttempt, tempDir } from "../../test/agent-harness";
import { CursorAdapter, type CursorAdapterOptions } from "./cursor";
import { isGroupAlive } from "./process-tree";

const FIXTURES = join(import.meta.dirname, "../../test/fixtures");
const FAKE = join(FIXTURES, "bin/replay-agent.mjs");
const TRANSCRIPT = join(FIXTURES, "agent-transcripts/cursor-transcript.jsonl");
const SESSION = "4f0e2a4c-8d1b-4c55-9a7e-2f3b6c1d9e10";

afterEach(runCleanups);

/** An adapter whose binary is the stand-in, told what to do through its environment. */
function fake(env: Record<string, string>, extra: Partial<CursorAdapterOptions> = {}): CursorAdapter {
  const baseEnv = { PATH: PATH_WITH_NODE };
  return new CursorAdapter({ binary: FAKE, baseEnv, env, cancelGraceMs: 300, timeoutMs: 20_000, finishGraceMs: 300, ...extra });
}

function start(adapter: CursorAdapter, prompt = "Create hello.txt please.", resumeSessionId?: string) {
  const workDir = tempDir("multica-cursor-work-");
  return { run: startAttempt(adapter, workDir, prompt, resumeSessionId), workDir };
}

/** Gone or a zombie (nothing may reap orphans in a container). */
const isGone = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
};

describe("cursor command line", () => {
  it("builds headless stream-json with force, trust, model and resume, and drops overriding extra args", () => {
    const a = new CursorAdapter({
      baseEnv: {},
      cancelGraceMs: 1,
      timeoutMs: null,
      model: "sonnet-4",
      extraArgs: ["--output-format", "json", "--mode", "ask", "--resume=abc", "--yolo", "--workspace", "/x", "-H", "X-A: 1", "--stream-partial-output", "--model", "gpt-5"],
    });
    expect(a.buildArgs({ resumeSessionId: "chat-1" })).toEqual([
      "-p", "--output-format", "stream-json", "--force", "--trust", "--model", "sonnet-4", "--resume", "chat-1", "--mode", "ask", "-H", "X-A: 1",
    ]);
    expect(a.droppedArgs.map((d) => d.arg)).toEqual(["--output-format json", "--resume=abc", "--yolo", "--workspace /x", "--stream-partial-output", "--model gpt-5"]);
    expect(new CursorAdapter({ baseEnv: {}, cancelGraceMs: 1, timeoutMs: null, force: false, trust: false }).buildArgs({})).toEqual(["-p", "--output-format", "stream-json"]);
  });
});

describe("cursor adapter with a stand-in process", () => {
  it("passes the prompt on stdin and maps the replayed run to a success with its session", async () => {
    const report = join(tempDir("multica-cursor-report-"), "report.json");
    const prompt = "line one\n-p 'two' $HOME";
    const adapter = fake({ FAKE_TRANSCRIPT: TRANSCRIPT, FAKE_REPORT: report, FAKE_REPORT_ENV: "EXTRA", EXTRA: "1" }, { model: "auto" });
    const { run, workDir } = start(adapter, prompt, "chat-7");
    const { events, outcome } = await collect(run);
    expect(outcome).toMatchObject({ status: "succeeded", sessionId: SESSION, usage: null, failure: null, exit: { exitCode: 0, error: null } });
    expect(JSON.parse(readFileSync(report, "utf8"))).toEqual({
      argv: ["-p", "--output-format", "stream-json", "--force", "--trust", "--model", "auto", "--resume", "chat-7"],
      stdin: prompt,
      cwd: workDir,
      pwd: workDir,
      env: { EXTRA: "1" },
    });
    expect(of(events, "tool_call").map((e) => e.name)).toEqual(["write", "shell"]);
    expect(of(events, "result")).toEqual([expect.objectContaining({ isError: false, summary: "Created hello.txt.", durationMs: 5234 })]);
    expect(events.at(-1)).toMatchObject({ kind: "lifecycle", phase: "exited", detail: "exit code 0" });
  });

  it("stops a process that prints its result but never exits, and the result decides", async () => {
    const started = Date.now();
    const { run } = start(fake({ FAKE_TRANSCRIPT: TRANSCRIPT, FAKE_END: "hang" }));
    const { events, outcome } = await collect(run);
    expect(outcome).toMatchObject({ status: "succeeded", sessionId: SESSION, exit: { signal: "SIGTERM", error: null } });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(isGroupAlive(pidOf(events))).toBe(false);
  });

  it("judges a run that exits without a result by its exit code: 0 after a message succeeds", async () => {
    const { run } = start(fake({ FAKE_TRANSCRIPT: TRANSCRIPT, FAKE_SKIP_TYPE: "result" }));
    const { events, outcome } = await collect(run);
    expect(outcome).toMatchObject({ status: "succeeded", sessionId: SESSION, failure: null });
    expect(of(events, "result")).toEqual([]);
    expect(of(events, "message").at(-1)?.text).toBe("Created hello.txt.");
  });

  it("fails a run that exits 0 with neither a result nor a message", async () => {
    const { run } = start(fake({ FAKE_STDERR: "something odd" }));
    const { outcome } = await collect(run);
    expect(outcome).toMatchObject({ status: "failed", failure: { kind: "agent_error" } });
    expect(outcome.exit.error).toBe("the agent exited without a result or any message (exit code 0); output: something odd");
  });

  it("fails a run that exits non-zero without a result, classifying usage limits and login errors", async () => {
    const before = Date.now();
    const limited = await collect(start(fake({ FAKE_STDERR: "Error: You've hit your usage limit. Try again in 5 minutes.", FAKE_END: "exit:1" })).run);
    expect(limited.outcome).toMatchObject({ status: "failed", failure: { kind: "rate_limit" }, exit: { exitCode: 1 } });
    expect(limited.outcome.exit.error).toMatch(
      /^rate limited by the model provider; resets at \S+ — the agent ended without a result \(exit code 1\); output: Error: You've hit your usage limit\. Try again in 5 minutes\.$/,
    );
    expect(limited.outcome.failure?.retryAt).toBeGreaterThanOrEqual(before + 300_000);
    expect(limited.outcome.failure?.retryAt).toBeLessThanOrEqual(Date.now() + 300_000);

    const unauthenticated = await collect(start(fake({ FAKE_STDERR: "Not logged in. Run cursor-agent login.", FAKE_END: "exit:1" })).run);
    expect(unauthenticated.outcome).toMatchObject({ status: "failed", failure: { kind: "bad_config", retryAt: null } });
  });

  it("fails a run whose result is an error, with the result's text", async () => {
    const transcript = join(tempDir("multica-cursor-tx-"), "error.jsonl");
    const lines = [
      { type: "system", subtype: "init", session_id: "s-err", model: "auto" },
      { type: "result", subtype: "error", is_error: true, result: "The model returned an error", session_id: "s-err" },
    ];
    writeFileSync(transcript, lines.map((l) => JSON.stringify(l)).join("\n"));
    const { outcome } = await collect(start(fake({ FAKE_TRANSCRIPT: transcript })).run);
    expect(outcome).toMatchObject({
      status: "failed",
      sessionId: "s-err",
      failure: { kind: "agent_error" },
      exit: { error: "cursor-agent reported an error: The model returned an error" },
    });
  });

  it("cancel stops the whole tree, including a child that ignores SIGTERM", async () => {
    const { run } = start(fake({ FAKE_TRANSCRIPT: TRANSCRIPT, FAKE_SKIP_TYPE: "result", FAKE_END: "hang-tree" }));
    let child = 0;
    const { events, outcome } = await collect(run, (e) => {
      if (e.kind === "raw" && e.type === "fake.child") {
        child = (JSON.parse(e.json) as { pid: number }).pid;
        run.cancel("user asked");
      }
    });
    expect(events).toContainEqual({ kind: "lifecycle", phase: "cancelling", detail: "user asked" });
    expect(outcome).toMatchObject({ status: "cancelled", sessionId: SESSION, exit: { error: "cancelled: user asked" } });
    expect(child).toBeGreaterThan(0);
    expect(isGroupAlive(pidOf(events))).toBe(false);
    expect(isGone(child)).toBe(true);
  });
});
