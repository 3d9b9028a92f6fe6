// Runs the real `copilot` binary (node_modules/.bin/copilot, @github/copilot 1.0.102) through the
// Copilot adapter against the scripted Anthropic Messages mock in runner/test/mock-models/anthropic.ts.
// Copilot's BYOK mode makes that possible offline: COPILOT_PROVIDER_TYPE=anthropic and
// COPILOT_PROVIDER_BASE_URL point it at the mock, and COPILOT_OFFLINE=true turns off GitHub
// authentication, telemetry and updates (`copilot help providers`, `copilot help environment`).
// Nothing leaves 127.0.0.1.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PATH_WITH_NODE, cancelWhen, cliBinary, closeAfterTest, collect, of, pidOf, runCleanups, startAttempt, tempDir } from "../../test/agent-harness";
import { type AnthropicMock, type MockScript, startAnthropicMock } from "../../test/mock-models/anthropic";
import { CopilotAdapter, type CopilotAdapterOptions } from "./copilot";
import { isGroupAlive } from "./process-tree";

const COPILOT = cliBinary("copilot");
const MODEL = "claude-sonnet-4.5";
/** Hard wall-clock limit per attempt, enforced by the adapter (it kills the tree). */
const ATTEMPT_LIMIT_MS = 45_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** One mock call's usage as anthropic.ts reports it (message_start input, message_delta output). */
const CALL = { inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0 };
const calls = (n: number) => ({ inputTokens: n * 100, outputTokens: n * 20, cacheReadTokens: 0, cacheWriteTokens: 0 });

afterEach(runCleanups);

/** The native binary unpacks ~235 MB into $XDG_CACHE_HOME/copilot on first run: once per file, not per test. */
let cacheDir = "";
beforeAll(() => {
  if (!existsSync(COPILOT)) throw new Error(`the real copilot CLI is missing at ${COPILOT}: run npm install (@github/copilot is a devDependency)`);
  cacheDir = mkdtempSync(join(tmpdir(), "multica-copilot-cache-"));
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

const mock = (script: MockScript): Promise<AnthropicMock> => closeAfterTest(startAnthropicMock(script));

/** An isolated machine for the CLI: its own HOME (sessions live in ~/.copilot), talking only to the mock. */
function sandbox(m: AnthropicMock, extra: Partial<CopilotAdapterOptions> = {}): CopilotAdapter {
  return new CopilotAdapter({
    binary: COPILOT,
    baseEnv: { PATH: PATH_WITH_NODE },
    env: {
      HOME: tempDir("multica-copilot-home-"),
      XDG_CACHE_HOME: cacheDir,
      COPILOT_OFFLINE: "true",
      COPILOT_AUTO_UPDATE: "false",
      COPILOT_PROVIDER_TYPE: "anthropic",
      COPILOT_PROVIDER_BASE_URL: m.url,
    },
    model: MODEL,
    cancelGraceMs: 1000,
    timeoutMs: ATTEMPT_LIMIT_MS,
    ...extra,
  });
}

const userText = (m: AnthropicMock, i: number) => JSON.stringify(m.agentRequests()[i]?.body?.messages ?? []);

describe("copilot adapter with the real CLI", () => {
  it("writes hello.txt through its create tool, then resumes the session", async () => {
    const workDir = tempDir("multica-copilot-work-");
    let offered: string[] = [];
    const m = await mock(({ step, prompt, body }) => {
      if (prompt.includes("what did you do")) return { kind: "text", text: "I wrote hello.txt earlier." };
      if (step > 0) return { kind: "text", text: "Created hello.txt." };
      offered = (body.tools ?? []).map((t) => t.name ?? "");
      if (!offered.includes("create")) return { kind: "text", text: `no create tool in ${offered.join(",")}` };
      return { kind: "tool_use", name: "create", input: { path: join(workDir, "hello.txt"), file_text: "hello from mock\n" }, text: "I'll create the file." };
    });
    const adapter = sandbox(m);
    const prompt = "Create hello.txt please.\nKeep 'quotes', \"double\" and $HOME as they are.";

    const { events, outcome } = await collect(startAttempt(adapter, workDir, prompt));
    expect(outcome.exit.error).toBeNull();
    expect(outcome.status).toBe("succeeded");
    expect(readFileSync(join(workDir, "hello.txt"), "utf8")).toBe("hello from mock\n");
    const sessionId = outcome.sessionId ?? "";
    expect(sessionId).toMatch(UUID);
    expect(of(events, "session")).toEqual([{ kind: "session", sessionId }]);
    const [call] = of(events, "tool_call");
    expect(call).toMatchObject({ name: "create", input: JSON.stringify({ path: join(workDir, "hello.txt"), file_text: "hello from mock\n" }) });
    expect(of(events, "tool_result")).toEqual([expect.objectContaining({ callId: call?.callId, isError: false })]);
    expect(of(events, "message").map((e) => e.text)).toEqual(["I'll create the file.", "Created hello.txt."]);
    expect(of(events, "usage")).toEqual([{ kind: "usage", ...calls(2) }]);
    expect(of(events, "result")).toEqual([expect.objectContaining({ isError: false, summary: "Created hello.txt.", sessionId, turns: 2, usage: calls(2) })]);
    expect(outcome).toMatchObject({ usage: calls(2), exit: { exitCode: 0 } });
    expect(isGroupAlive(pidOf(events))).toBe(false);
    // The prompt went over stdin byte for byte, to the model the adapter named.
    expect(m.agentRequests()).toHaveLength(2);
    expect(userText(m, 0)).toContain(JSON.stringify(prompt).slice(1, -1));
    expect(m.agentRequests().every((r) => r.body?.model === MODEL)).toBe(true);

    const second = await collect(startAttempt(adapter, workDir, "what did you do?", sessionId));
    // Usage is this run's, not the session's: one more model call.
    expect(second.outcome).toMatchObject({ status: "succeeded", sessionId, usage: CALL });
    expect(of(second.events, "message").map((e) => e.text)).toEqual(["I wrote hello.txt earlier."]);
    // The earlier conversation (the first prompt, the create call and its result) went back to the model.
    expect(m.agentRequests()).toHaveLength(3);
    expect(userText(m, 2)).toContain("Create hello.txt please.");
    expect(userText(m, 2)).toContain('"name":"create"');
    expect(userText(m, 2)).toContain("what did you do?");
  });

  it("passes a prompt longer than one argv string may be (128 KiB on Linux) whole over stdin", async () => {
    const m = await mock([{ kind: "text", text: "read it" }]);
    const prompt = `start ${"x".repeat(300 * 1024)} end`;
    const { outcome } = await collect(startAttempt(sandbox(m), tempDir("multica-copilot-work-"), prompt));
    expect(outcome).toMatchObject({ status: "succeeded", exit: { error: null } });
    expect(userText(m, 0)).toContain(prompt);
  });

  it("fails as a setup error when the model server rejects the credentials", async () => {
    const m = await mock([{ kind: "http_error", status: 401, message: "bad key" }]);
    const { events, outcome } = await collect(startAttempt(sandbox(m), tempDir("multica-copilot-work-"), "hi"));
    expect(outcome).toMatchObject({ status: "failed", failure: { kind: "bad_config", retryAt: null }, exit: { exitCode: 1 } });
    expect(outcome.exit.error).toMatch(/^copilot reported an error: Authentication failed with provider at http:\/\/127\.0\.0\.1:\d+ \(HTTP 401\)/);
    expect(of(events, "result")).toEqual([expect.objectContaining({ isError: true })]);
  });

  it("cancel stops a run waiting on the model, leaves no process behind, and keeps the session", async () => {
    const m = await mock([{ kind: "hang" }]);
    const run = startAttempt(sandbox(m), tempDir("multica-copilot-work-"), "hi");
    cancelWhen(run, () => m.agentRequests().length > 0);
    const { events, outcome } = await collect(run);
    expect(events).toContainEqual({ kind: "lifecycle", phase: "cancelling", detail: "user asked" });
    expect(outcome).toMatchObject({ status: "cancelled", exit: { error: "cancelled: user asked" } });
    expect(outcome.sessionId).toMatch(UUID);
    expect(isGroupAlive(pidOf(events))).toBe(false);
  });

  it("reports the CLI's version", async () => {
    const m = await mock([]);
    expect(await sandbox(m).detect()).toEqual({ key: "copilot", version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });
});
