// Runs the real `claude` binary (node_modules/.bin/claude) through the Claude adapter against the
// scripted Anthropic mock in runner/test/mock-models/anthropic.ts. Nothing leaves 127.0.0.1.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_EVENT_TEXT } from "@multica/shared";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { PATH_WITH_NODE, cancelWhen, cliBinary, closeAfterTest, collect, of, pidOf, runCleanups, startAttempt, tempDir, writeFakeCli } from "../../test/agent-harness";
import { type AnthropicMock, type MockScript, startAnthropicMock } from "../../test/mock-models/anthropic";
import { startMockServer } from "../../test/mock-models/server";
import { CLAUDE_PROTOCOL_FLAGS, ClaudeAdapter, type ClaudeAdapterOptions } from "./claude";
import { filterExtraArgs } from "./cli-adapter";
import { isGroupAlive } from "./process-tree";

const CLAUDE = cliBinary("claude");
/** Hard wall-clock limit per attempt, enforced by the adapter (it kills the tree). */
const ATTEMPT_LIMIT_MS = 45_000;

afterEach(runCleanups);

beforeAll(() => {
  if (!existsSync(CLAUDE)) throw new Error(`the real claude CLI is missing at ${CLAUDE}: run npm install (@anthropic-ai/claude-code is a devDependency)`);
});

const mock = (script: MockScript): Promise<AnthropicMock> => closeAfterTest(startAnthropicMock(script));

/** One isolated machine for the CLI: its own HOME and TMPDIR, talking only to the mock. */
function sandbox(m: AnthropicMock, extra: Partial<ClaudeAdapterOptions> = {}) {
  const home = tempDir("multica-claude-home-");
  const tmp = tempDir("multica-claude-tmp-");
  const adapter = new ClaudeAdapter({
    binary: CLAUDE,
    baseEnv: { PATH: PATH_WITH_NODE },
    env: {
      HOME: home,
      TMPDIR: tmp,
      ANTHROPIC_BASE_URL: m.url,
      ANTHROPIC_API_KEY: "x",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_ERROR_REPORTING: "1",
      CLAUDE_CODE_MAX_RETRIES: "0",
    },
    cancelGraceMs: 500,
    timeoutMs: ATTEMPT_LIMIT_MS,
    ...extra,
  });
  return { adapter, home };
}

describe("claude adapter with the real CLI", () => {
  it("writes hello.txt through the Write tool, then resumes the session", async () => {
    const workDir = tempDir("multica-claude-work-");
    // Longer than MAX_EVENT_TEXT, so the tool call's JSON line must be read whole to parse.
    const content = `hello from mock\n${"0123456789".repeat(2500)}\n`;
    const m = await mock(({ step, prompt }) => {
      if (prompt.includes("what did you do")) return { kind: "text", text: "I wrote hello.txt earlier." };
      if (step === 0) return { kind: "tool_use", name: "Write", input: { file_path: join(workDir, "hello.txt"), content }, text: "I'll create the file." };
      return { kind: "text", text: "Created hello.txt." };
    });
    const { adapter } = sandbox(m);

    const first = await collect(startAttempt(adapter, workDir, "Create hello.txt please"));
    console.info(`claude first run: first event after ${first.firstEventMs} ms, run ${first.totalMs} ms`);
    const { events, outcome } = first;
    expect(outcome.exit.error).toBeNull();
    expect(outcome.status).toBe("succeeded");
    expect(readFileSync(join(workDir, "hello.txt"), "utf8")).toBe(content);

    const [session] = of(events, "session");
    expect(session?.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const sessionId = session?.sessionId ?? "";
    const [call] = of(events, "tool_call");
    expect(call).toMatchObject({ name: "Write", input: expect.stringMatching(/^\{"file_path":/) });
    expect(call?.input.length).toBe(MAX_EVENT_TEXT);
    expect(of(events, "tool_result")).toEqual([
      expect.objectContaining({ callId: call?.callId, isError: false, output: expect.stringContaining("hello.txt") }),
    ]);
    expect(of(events, "message").map((e) => e.text)).toEqual(["I'll create the file.", "Created hello.txt."]);
    const [result] = of(events, "result");
    expect(result).toMatchObject({ isError: false, summary: "Created hello.txt.", sessionId, turns: 2 });
    expect(result?.usage).toMatchObject({ inputTokens: 200, outputTokens: 40 });
    expect(outcome).toMatchObject({ sessionId, usage: { inputTokens: 200, outputTokens: 40 }, exit: { exitCode: 0 } });
    expect(events.at(-1)).toMatchObject({ kind: "lifecycle", phase: "exited" });
    expect(m.agentRequests()).toHaveLength(2);
    expect(m.agentRequests()[0]?.body?.tools?.map((t) => t.name)).toContain("Write");

    const seenBefore = m.requests.length;
    const second = await collect(startAttempt(adapter, workDir, "what did you do?", sessionId));
    console.info(`claude resumed run: first event after ${second.firstEventMs} ms, run ${second.totalMs} ms`);
    expect(second.outcome).toMatchObject({ status: "succeeded", sessionId, usage: { inputTokens: 100, outputTokens: 20 } });
    expect(of(second.events, "message").map((e) => e.text)).toEqual(["I wrote hello.txt earlier."]);
    const resumed = m.agentRequests().filter((r) => m.requests.indexOf(r) >= seenBefore);
    expect(resumed).toHaveLength(1);
    // The earlier conversation (first prompt, the Write call and its result) went back to the model.
    const history = JSON.stringify(resumed[0]?.body?.messages);
    expect(history).toContain("Create hello.txt please");
    expect(history).toContain(call?.callId);
    expect(history).toContain("what did you do?");
  });

  it("fails with the API error when the model server answers 500", async () => {
    const m = await mock([{ kind: "http_error", status: 500, message: "mock overloaded" }]);
    const { events, outcome } = await collect(startAttempt(sandbox(m).adapter, tempDir("multica-claude-work-"), "hi"));
    expect(outcome.status).toBe("failed");
    expect(outcome.exit.error).toMatch(/^claude reported an error: .*500/);
    expect(of(events, "result")).toEqual([expect.objectContaining({ isError: true })]);
  });

  it("cancel stops a run waiting on the model and leaves no process behind", async () => {
    const m = await mock([{ kind: "hang" }]);
    const run = startAttempt(sandbox(m, { cancelGraceMs: 1000 }).adapter, tempDir("multica-claude-work-"), "hi");
    cancelWhen(run, () => m.agentRequests().length > 0);
    const { events, outcome } = await collect(run);
    expect(events).toContainEqual({ kind: "lifecycle", phase: "cancelling", detail: "user asked" });
    expect(outcome).toMatchObject({ status: "cancelled", exit: { error: "cancelled: user asked" } });
    expect(outcome.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const pid = pidOf(events);
    expect(pid).toBeGreaterThan(0);
    expect(isGroupAlive(pid)).toBe(false);
  });

  it("reports the CLI's version", async () => {
    const m = await mock([]);
    expect(await sandbox(m).adapter.detect()).toEqual({ key: "claude", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(await sandbox(m, { binary: "/no/such/claude" }).adapter.detect()).toBeNull();
  });
});

describe("claude adapter with a stand-in process", () => {
  /** A tiny executable that prints `lines` as the CLI would, then exits or lingers. */
  function fakeClaude(lines: unknown[], then: "exit" | "linger"): string {
    const body = lines.map((l) => `console.log(${JSON.stringify(JSON.stringify(l))});`).join("\n");
    const end = then === "exit" ? "process.exit(0);" : "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);";
    return writeFakeCli("claude", `${body}\n${end}`);
  }
  const fakeAdapter = (binary: string) =>
    new ClaudeAdapter({ binary, baseEnv: { PATH: process.env.PATH ?? "" }, cancelGraceMs: 200, timeoutMs: 20_000 });
  const result = { type: "result", subtype: "success", is_error: false, result: "done", session_id: "s-1", usage: { input_tokens: 1, output_tokens: 2 } };

  it("ends the run after the result event even when the process lingers", async () => {
    const run = startAttempt(fakeAdapter(fakeClaude([{ type: "system", subtype: "init", session_id: "s-1" }, result], "linger")), tempDir("multica-claude-work-"), "hi");
    const { events, outcome } = await collect(run);
    expect(outcome).toMatchObject({ status: "succeeded", sessionId: "s-1", usage: { inputTokens: 1, outputTokens: 2 }, exit: { signal: "SIGKILL" } });
    expect(isGroupAlive(pidOf(events))).toBe(false);
  });

  it("passes the prompt on stdin, then closes it; sets PWD, the adapter env and IS_SANDBOX only as root", async () => {
    const report = [
      "let input = '';",
      "process.stdin.on('data', (d) => (input += d));",
      "process.stdin.on('end', () => {",
      "  const seen = { input, argv: process.argv.slice(2), pwd: process.env.PWD, sandbox: process.env.IS_SANDBOX ?? null, extra: process.env.EXTRA };",
      "  console.log(JSON.stringify({ type: 'result', is_error: false, result: JSON.stringify(seen) }));",
      "});",
    ].join("\n");
    const path = writeFakeCli("claude", report);
    const workDir = tempDir("multica-claude-work-");
    for (const runningAsRoot of [true, false]) {
      const a = new ClaudeAdapter({ binary: path, baseEnv: { PATH: process.env.PATH ?? "" }, env: { EXTRA: "1" }, cancelGraceMs: 200, timeoutMs: 20_000, runningAsRoot });
      const { events, outcome } = await collect(startAttempt(a, workDir, "line one\nline 'two' $HOME", "sess-9"));
      expect(outcome.status).toBe("succeeded");
      const summary = of(events, "result")[0]?.summary ?? "{}";
      expect(JSON.parse(summary)).toEqual({
        input: "line one\nline 'two' $HOME",
        argv: ["-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "bypassPermissions", "--resume", "sess-9"],
        pwd: workDir,
        sandbox: runningAsRoot ? "1" : null,
        extra: "1",
      });
    }
  });

  it("fails a run that exits 0 without a result", async () => {
    const { outcome } = await collect(startAttempt(fakeAdapter(fakeClaude([{ type: "system", subtype: "init", session_id: "s-2" }], "exit")), tempDir("multica-claude-work-"), "hi"));
    expect(outcome).toMatchObject({ status: "failed", sessionId: "s-2", exit: { exitCode: 0, error: "the agent ended without a result (exit code 0)" } });
  });
});

describe("claude command line", () => {
  it("builds the protocol flags, resume, model and MCP config, and drops overriding extra args", () => {
    const a = new ClaudeAdapter({
      baseEnv: {},
      cancelGraceMs: 1,
      timeoutMs: null,
      model: "opus",
      mcpConfigPath: "/etc/mcp.json",
      extraArgs: ["--output-format", "json", "--max-turns", "5", "-p", "--resume=abc", "--verbose", "--add-dir", "/x", "-r", "zzz"],
    });
    expect(a.buildArgs({ resumeSessionId: "sess-1" })).toEqual([
      "-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "bypassPermissions",
      "--model", "opus", "--mcp-config", "/etc/mcp.json", "--resume", "sess-1", "--max-turns", "5", "--add-dir", "/x",
    ]);
    expect(a.droppedArgs.map((d) => d.arg)).toEqual(["--output-format json", "-p", "--resume=abc", "--verbose", "-r zzz"]);
    expect(new ClaudeAdapter({ baseEnv: {}, cancelGraceMs: 1, timeoutMs: null, permissionMode: "acceptEdits" }).buildArgs({})).toEqual([
      "-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "acceptEdits",
    ]);
    expect(filterExtraArgs(["--output-format"], CLAUDE_PROTOCOL_FLAGS).dropped).toEqual([{ arg: "--output-format", reason: "the runner parses stream-json output" }]);
  });

  it("takes the agent's model and extra args (set in the workspace) over the runtime's, refusing protocol flags there too", () => {
    const a = new ClaudeAdapter({ baseEnv: {}, cancelGraceMs: 1, timeoutMs: null, model: "opus", extraArgs: ["--max-turns", "5"] });
    const agent = { model: "sonnet", extraArgs: ["--add-dir", "/srv", "--output-format", "json", "--verbose"] };
    expect(a.buildArgs({ agent })).toEqual([
      "-p", "--output-format", "stream-json", "--verbose", "--permission-mode", "bypassPermissions", "--model", "sonnet", "--max-turns", "5", "--add-dir", "/srv",
    ]);
  });
});

describe("claude adapter watchdogs", () => {
  it("a model that never answers: the agent's idle limit stops the CLI and says which watchdog fired", async () => {
    // Accepts the request and never replies: Claude Code waits silently after its init line.
    const silent = await closeAfterTest(startMockServer(() => {}));
    const { adapter } = sandbox({ url: silent.origin } as AnthropicMock, { timeoutMs: 60_000 });
    const t0 = Date.now();
    const run = startAttempt(adapter, tempDir("multica-claude-work-"), "hello?", undefined, { limits: { idleTimeoutMs: 2000, timeoutMs: null } });
    const { outcome, events } = await collect(run);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(outcome).toMatchObject({ status: "failed", failure: { kind: "timeout", message: expect.stringMatching(/^idle watchdog: no output for 2s/) } });
    expect(events).toContainEqual({ kind: "error", message: expect.stringMatching(/^idle watchdog/) });
  });
});
