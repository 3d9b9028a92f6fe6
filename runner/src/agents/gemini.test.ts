// Runs the real `gemini` binary (node_modules/.bin/gemini, @google/gemini-cli 0.61) through the
// Gemini adapter against the scripted Gemini API mock in runner/test/mock-models/gemini-api.ts.
// Nothing leaves 127.0.0.1: the API goes to the mock, telemetry and usage statistics are off.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MAX_EVENT_TEXT } from "@multica/shared";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { PATH_WITH_NODE, cancelWhen, cliBinary, closeAfterTest, collect, of, pidOf, runCleanups, startAttempt, tempDir, writeFakeCli } from "../../test/agent-harness";
import { type GeminiMock, MOCK_USAGE, type MockScript, startGeminiMock, toolNames } from "../../test/mock-models/gemini-api";
import { filterExtraArgs } from "./cli-adapter";
import { DEFAULT_GEMINI_MODEL, GEMINI_PROTOCOL_FLAGS, GeminiAdapter, type GeminiAdapterOptions, describeGeminiExit } from "./gemini";
import { isGroupAlive } from "./process-tree";

const GEMINI = cliBinary("gemini");
/** Hard wall-clock limit per attempt, enforced by the adapter (it kills the tree). */
const ATTEMPT_LIMIT_MS = 45_000;
const MODEL = "gemini-2.5-pro";

afterEach(runCleanups);

beforeAll(() => {
  if (!existsSync(GEMINI)) throw new Error(`the real gemini CLI is missing at ${GEMINI}: run npm install (@google/gemini-cli is a devDependency)`);
});

const mock = (script: MockScript): Promise<GeminiMock> => closeAfterTest(startGeminiMock(script));

/**
 * One isolated machine for the CLI: its own HOME (with the settings that select API-key auth and
 * turn telemetry off; without them the CLI exits 41) and TMPDIR, talking only to the mock.
 */
function sandbox(m: GeminiMock, extra: Partial<GeminiAdapterOptions> = {}, settings: Record<string, unknown> = {}) {
  const home = tempDir("multica-gemini-home-");
  mkdirSync(join(home, ".gemini"));
  const base = { security: { auth: { selectedType: "gemini-api-key" } }, privacy: { usageStatisticsEnabled: false }, telemetry: { enabled: false } };
  writeFileSync(join(home, ".gemini", "settings.json"), JSON.stringify({ ...base, ...settings }));
  const adapter = new GeminiAdapter({
    binary: GEMINI,
    baseEnv: { PATH: PATH_WITH_NODE },
    // GEMINI_CLI_TRUST_WORKSPACE is left out on purpose: the adapter sets it.
    env: { HOME: home, TMPDIR: tempDir("multica-gemini-tmp-"), GEMINI_API_KEY: "x", GOOGLE_GEMINI_BASE_URL: m.url },
    model: MODEL,
    cancelGraceMs: 500,
    timeoutMs: ATTEMPT_LIMIT_MS,
    ...extra,
  });
  return { adapter, home };
}

const usageOf = (n: number) => ({ inputTokens: n * MOCK_USAGE.promptTokenCount, outputTokens: n * MOCK_USAGE.candidatesTokenCount });

describe("gemini adapter with the real CLI", () => {
  it("writes hello.txt through write_file, then resumes the session", async () => {
    const workDir = tempDir("multica-gemini-work-");
    // Longer than MAX_EVENT_TEXT, so the tool_use JSON line must be read whole to parse.
    const content = `hello from mock\n${"0123456789".repeat(2500)}\n`;
    let offered: string[] = [];
    const m = await mock(({ step, prompt, body }) => {
      if (prompt.includes("what did you do")) return { kind: "text", text: "I wrote hello.txt earlier." };
      if (step > 0) return { kind: "text", text: "Created hello.txt." };
      // The file tool and its argument names come from what the CLI offers, not from a guess.
      offered = toolNames(body);
      const decl = body.tools?.flatMap((t) => t.functionDeclarations ?? []).find((d) => d.name === "write_file");
      const schema = JSON.stringify(decl?.parametersJsonSchema ?? decl?.parameters ?? {});
      if (!schema.includes("file_path") || !schema.includes("content")) return { kind: "text", text: `no write_file tool in ${offered.join(",")}` };
      return { kind: "function_call", name: "write_file", args: { file_path: join(workDir, "hello.txt"), content }, text: "I'll create the file." };
    });
    const { adapter } = sandbox(m);
    const prompt = "Create hello.txt please.\nKeep 'quotes', \"double\" and $HOME as they are.";

    const first = await collect(startAttempt(adapter, workDir, prompt));
    console.info(`gemini first run: first event after ${first.firstEventMs} ms, run ${first.totalMs} ms`);
    const { events, outcome } = first;
    expect(outcome.exit.error).toBeNull();
    expect(outcome.status).toBe("succeeded");
    expect(offered).toContain("write_file");
    expect(readFileSync(join(workDir, "hello.txt"), "utf8")).toBe(content);

    const [session] = of(events, "session");
    expect(session?.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const sessionId = session?.sessionId ?? "";
    const [call] = of(events, "tool_call");
    expect(call).toMatchObject({ name: "write_file", input: expect.stringMatching(/^\{"file_path":/) });
    expect(call?.input.length).toBe(MAX_EVENT_TEXT);
    expect(of(events, "tool_result")).toEqual([expect.objectContaining({ callId: call?.callId, isError: false })]);
    expect(of(events, "message").map((e) => e.text)).toEqual(["I'll create the file.", "Created hello.txt."]);
    expect(of(events, "usage")).toEqual([{ kind: "usage", ...usageOf(2), cacheReadTokens: 0 }]);
    const [result] = of(events, "result");
    expect(result).toMatchObject({ isError: false, summary: "Created hello.txt.", sessionId });
    expect(outcome).toMatchObject({ sessionId, usage: usageOf(2), exit: { exitCode: 0 } });
    expect(events.at(-1)).toMatchObject({ kind: "lifecycle", phase: "exited" });
    expect(isGroupAlive(pidOf(events))).toBe(false);
    // The prompt went over stdin byte for byte; the model named by -m was called, nothing else.
    expect(m.agentRequests()).toHaveLength(2);
    expect(JSON.stringify(m.agentRequests()[0]?.body?.contents)).toContain(JSON.stringify(prompt).slice(1, -1));
    expect(m.agentRequests().every((r) => r.url.startsWith(`/v1beta/models/${MODEL}:streamGenerateContent`))).toBe(true);
    expect(m.unknownRequests()).toEqual([]);

    const seenBefore = m.requests.length;
    const second = await collect(startAttempt(adapter, workDir, "what did you do?", sessionId));
    console.info(`gemini resumed run: first event after ${second.firstEventMs} ms, run ${second.totalMs} ms`);
    // Usage is per invocation on resume, not for the whole session.
    expect(second.outcome).toMatchObject({ status: "succeeded", sessionId, usage: usageOf(1) });
    expect(of(second.events, "message").map((e) => e.text)).toEqual(["I wrote hello.txt earlier."]);
    const resumed = m.agentRequests().filter((r) => m.requests.indexOf(r) >= seenBefore);
    expect(resumed).toHaveLength(1);
    // The earlier conversation (first prompt, the write_file call and its result) went back to the model.
    const history = resumed[0]?.body?.contents ?? [];
    expect(JSON.stringify(history)).toContain("Create hello.txt please.");
    expect(history.some((c) => c.parts?.some((p) => p.functionCall?.name === "write_file"))).toBe(true);
    expect(history.some((c) => c.parts?.some((p) => p.functionResponse !== undefined))).toBe(true);
    expect(JSON.stringify(history.at(-1))).toContain("what did you do?");
  });

  it("fails with the API error and the exit code's meaning when the model server answers 500", async () => {
    const m = await mock([{ kind: "http_error", status: 500, message: "mock overloaded" }]);
    // The CLI retries 5xx up to 10 times with 5–30 s backoff; general.maxAttempts bounds that.
    const { adapter } = sandbox(m, {}, { general: { maxAttempts: 1 } });
    const { events, outcome, totalMs } = await collect(startAttempt(adapter, tempDir("multica-gemini-work-"), "hi"));
    expect(outcome.status).toBe("failed");
    expect(outcome.exit.error).toMatch(/^gemini reported an error: .*mock overloaded.* \(exit code 244: the model API answered HTTP 500\)$/);
    expect(of(events, "result")).toEqual([expect.objectContaining({ isError: true })]);
    expect(m.agentRequests()).toHaveLength(1);
    expect(totalMs).toBeLessThan(20_000);
  });

  it("passes a prompt longer than one argv string may be (128 KiB on Linux) whole over stdin", async () => {
    const m = await mock([{ kind: "text", text: "read it" }]);
    const prompt = `start ${"x".repeat(300 * 1024)} end`;
    const { outcome } = await collect(startAttempt(sandbox(m).adapter, tempDir("multica-gemini-work-"), prompt));
    expect(outcome).toMatchObject({ status: "succeeded", exit: { error: null } });
    const sent = m.agentRequests()[0]?.body?.contents?.flatMap((c) => c.parts ?? []).map((p) => p.text ?? "") ?? [];
    expect(sent).toContain(prompt);
  });

  it("cancel stops a run waiting on the model and leaves no process behind", async () => {
    const m = await mock([{ kind: "hang" }]);
    const run = startAttempt(sandbox(m, { cancelGraceMs: 1000 }).adapter, tempDir("multica-gemini-work-"), "hi");
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
    expect(await sandbox(m).adapter.detect()).toEqual({ key: "gemini", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(await sandbox(m, { binary: "/no/such/gemini" }).adapter.detect()).toBeNull();
  });
});

describe("gemini adapter with a stand-in process", () => {
  /** A tiny executable that prints `lines` as the CLI would, then exits with `code` or lingers. */
  function fakeGemini(lines: unknown[], then: { exit: number } | "linger"): string {
    const body = lines.map((l) => `console.log(${JSON.stringify(JSON.stringify(l))});`).join("\n");
    const end = then === "linger" ? "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000);" : `process.exit(${then.exit});`;
    return writeFakeCli("gemini", `${body}\n${end}`);
  }
  const fakeAdapter = (binary: string) => new GeminiAdapter({ binary, baseEnv: { PATH: process.env.PATH ?? "" }, cancelGraceMs: 200, timeoutMs: 20_000 });
  const init = { type: "init", session_id: "s-1", model: MODEL };
  const result = { type: "result", status: "success", stats: { input_tokens: 1, output_tokens: 2, cached: 0, duration_ms: 5 } };

  it("ends the run after the result event even when the process lingers, with the held text as a message", async () => {
    const delta = { type: "message", role: "assistant", content: "done", delta: true };
    const run = startAttempt(fakeAdapter(fakeGemini([init, delta, result], "linger")), tempDir("multica-gemini-work-"), "hi");
    const { events, outcome } = await collect(run);
    expect(outcome).toMatchObject({ status: "succeeded", sessionId: "s-1", usage: { inputTokens: 1, outputTokens: 2 }, exit: { signal: "SIGKILL" } });
    expect(of(events, "message").map((e) => e.text)).toEqual(["done"]);
    expect(of(events, "result")[0]).toMatchObject({ summary: "done", durationMs: 5 });
    expect(isGroupAlive(pidOf(events))).toBe(false);
  });

  it("passes the prompt on stdin, then closes it; sets PWD, trust and the adapter env", async () => {
    const report = [
      "let input = '';",
      "process.stdin.on('data', (d) => (input += d));",
      "process.stdin.on('end', () => {",
      "  const seen = { input, argv: process.argv.slice(2), pwd: process.env.PWD, trust: process.env.GEMINI_CLI_TRUST_WORKSPACE, extra: process.env.EXTRA };",
      "  console.log(JSON.stringify({ type: 'message', role: 'assistant', content: JSON.stringify(seen), delta: true }));",
      "  console.log(JSON.stringify({ type: 'result', status: 'success', stats: {} }));",
      "});",
    ].join("\n");
    const path = writeFakeCli("gemini", report);
    const workDir = tempDir("multica-gemini-work-");
    const a = new GeminiAdapter({ binary: path, baseEnv: { PATH: process.env.PATH ?? "" }, env: { EXTRA: "1" }, cancelGraceMs: 200, timeoutMs: 20_000 });
    const { events, outcome } = await collect(startAttempt(a, workDir, "line one\n-p 'two' $HOME", "sess-9"));
    expect(outcome.status).toBe("succeeded");
    expect(JSON.parse(of(events, "result")[0]?.summary ?? "{}")).toEqual({
      input: "line one\n-p 'two' $HOME",
      argv: ["-p", "", "--output-format", "stream-json", "--approval-mode", "yolo", "-m", DEFAULT_GEMINI_MODEL, "--resume", "sess-9"],
      pwd: workDir,
      trust: "true",
      extra: "1",
    });
  });

  it("explains a run that ends without a result by its exit code", async () => {
    const { outcome } = await collect(startAttempt(fakeAdapter(fakeGemini([init], { exit: 41 })), tempDir("multica-gemini-work-"), "hi"));
    expect(outcome).toMatchObject({ status: "failed", sessionId: "s-1", exit: { exitCode: 41 } });
    expect(outcome.exit.error).toBe(
      "the agent ended without a result (exit code 41: authentication failed: check GEMINI_API_KEY and security.auth.selectedType in ~/.gemini/settings.json)",
    );
  });

  it("fails a result whose status is not success, with the CLI's message", async () => {
    const failed = { type: "result", status: "error", error: { type: "FatalTurnLimitedError", message: "Reached max session turns" }, stats: {} };
    const { outcome } = await collect(startAttempt(fakeAdapter(fakeGemini([init, failed], { exit: 53 })), tempDir("multica-gemini-work-"), "hi"));
    expect(outcome).toMatchObject({
      status: "failed",
      exit: { exitCode: 53, error: "gemini reported an error: Reached max session turns (exit code 53: the session reached its turn limit (maxSessionTurns))" },
    });
  });
});

describe("gemini command line", () => {
  it("builds the protocol flags, model and resume, and drops overriding extra args", () => {
    const a = new GeminiAdapter({
      baseEnv: {},
      cancelGraceMs: 1,
      timeoutMs: null,
      model: "gemini-2.5-flash",
      extraArgs: ["--output-format", "json", "--include-directories", "/x", "-p", "hi", "--resume=abc", "-y", "--sandbox", "-m", "other", "-r", "latest"],
    });
    expect(a.buildArgs({ resumeSessionId: "sess-1" })).toEqual([
      "-p", "", "--output-format", "stream-json", "--approval-mode", "yolo", "-m", "gemini-2.5-flash", "--resume", "sess-1",
      "--include-directories", "/x", "--sandbox",
    ]);
    expect(a.droppedArgs.map((d) => d.arg)).toEqual(["--output-format json", "-p hi", "--resume=abc", "-y", "-m other", "-r latest"]);
    expect(new GeminiAdapter({ baseEnv: {}, cancelGraceMs: 1, timeoutMs: null, model: null, approvalMode: "auto_edit" }).buildArgs({})).toEqual([
      "-p", "", "--output-format", "stream-json", "--approval-mode", "auto_edit", "-m", DEFAULT_GEMINI_MODEL,
    ]);
    expect(filterExtraArgs(["-o"], GEMINI_PROTOCOL_FLAGS).dropped).toEqual([{ arg: "-o", reason: "the runner parses stream-json output" }]);
  });

  it("names Gemini's exit codes", () => {
    expect(describeGeminiExit({ exitCode: 42, signal: null })).toMatch(/^exit code 42: invalid input/);
    expect(describeGeminiExit({ exitCode: 173, signal: null })).toBe("exit code 173: the model API answered HTTP 429 (rate limited or out of quota)");
    expect(describeGeminiExit({ exitCode: 1, signal: null })).toBe("exit code 1");
    expect(describeGeminiExit({ exitCode: null, signal: "SIGKILL" })).toBe("signal SIGKILL");
  });
});
