// Runs the real `opencode` binary (node_modules/.bin/opencode, opencode-ai 1.18.33) through the
// OpenCode adapter against the scripted Chat Completions mock in runner/test/mock-models/openai-chat.ts.
// Nothing leaves 127.0.0.1: models.dev is not fetched (OPENCODE_DISABLE_MODELS_FETCH), opencode's
// background npm install of @opencode-ai/plugin goes to the mock (NPM_CONFIG_REGISTRY) and gets a
// 404, and its grep/glob tools find ripgrep on PATH (@vscode/ripgrep) instead of downloading it.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { rgPath } from "@vscode/ripgrep";
import { afterEach, describe, expect, it } from "vitest";
import { PATH_WITH_NODE, agentKinds, cliBinary, closeAfterTest, collect, of, pidOf, runCleanups, startAttempt, tempDir } from "../../test/agent-harness";
import { type ChatMock, type ChatScript, startChatMock } from "../../test/mock-models/openai-chat";
import { filterExtraArgs } from "./cli-adapter";
import { OPENCODE_PROTOCOL_FLAGS, OpenCodeAdapter, type OpenCodeAdapterOptions, OpenCodeLineMapper } from "./opencode";
import { isGroupAlive } from "./process-tree";

const OPENCODE = cliBinary("opencode");
const MISSING = existsSync(OPENCODE) ? null : `the real opencode CLI is missing at ${OPENCODE}: run npm install (opencode-ai is a devDependency)`;
if (MISSING) console.warn(`skipping the opencode CLI tests: ${MISSING}`);
const MODEL = "mock/mock-model";
/** Hard wall-clock limit per attempt, enforced by the adapter (it kills the tree). */
const ATTEMPT_LIMIT_MS = 45_000;
const HELLO = "hello from mock\n";
/** Goes on stdin: lines and words a shell or an argv parser would take apart reach the model as they are. */
const PROMPT = "Create hello.txt please\n-s not-a-flag 'quoted' $HOME";
/** $ per million tokens, so that step_finish carries a cost. */
const COST = { input: 2, output: 10, cache_read: 0.5 };
/** Each model call: 100 prompt tokens of which 10 cached (opencode counts those apart), 20 out. */
const STEP = { inputTokens: 90, outputTokens: 20, cacheReadTokens: 10, cacheWriteTokens: 0 };
const STEP_COST = (90 * COST.input + 20 * COST.output + 10 * COST.cache_read) / 1e6;

afterEach(runCleanups);

const mock = (script: ChatScript): Promise<ChatMock> => closeAfterTest(startChatMock(script));

/** One isolated machine for the CLI: its own HOME, XDG dirs (config, sessions db, cache) and TMPDIR; its provider is the mock. */
function sandbox(m: ChatMock, extra: Partial<OpenCodeAdapterOptions> = {}): OpenCodeAdapter {
  const home = tempDir("multica-opencode-home-");
  const config = join(home, "opencode.json");
  const models = { "mock-model": { name: "Mock Model", cost: COST } };
  const provider = { mock: { npm: "@ai-sdk/openai-compatible", name: "Mock", options: { baseURL: m.url, apiKey: "x" }, models } };
  writeFileSync(config, JSON.stringify({ provider, autoupdate: false, share: "disabled" }));
  return new OpenCodeAdapter({
    binary: OPENCODE,
    baseEnv: { PATH: `${dirname(rgPath)}:${PATH_WITH_NODE}` },
    env: {
      HOME: home,
      XDG_CONFIG_HOME: join(home, ".config"),
      XDG_DATA_HOME: join(home, ".local/share"),
      XDG_CACHE_HOME: join(home, ".cache"),
      XDG_STATE_HOME: join(home, ".local/state"),
      TMPDIR: tempDir("multica-opencode-tmp-"),
      OPENCODE_CONFIG: config,
      OPENCODE_DISABLE_MODELS_FETCH: "1",
      OPENCODE_DISABLE_AUTOUPDATE: "1",
      NPM_CONFIG_REGISTRY: `${m.origin}/npm/`,
    },
    model: MODEL,
    cancelGraceMs: 500,
    timeoutMs: ATTEMPT_LIMIT_MS,
    ...extra,
  });
}

const lastUserText = (m: ChatMock, i: number) => m.turnRequests()[i]?.body?.messages?.filter((x) => x.role === "user").at(-1)?.content;

describe.skipIf(MISSING !== null)("opencode adapter with the real CLI", () => {
  it("writes hello.txt with its write tool, greps it with ripgrep, then resumes the session", async () => {
    const workDir = tempDir("multica-opencode-work-");
    const m = await mock(({ step, prompt }) => {
      if (prompt.includes("what did you do")) return { kind: "message", text: "I wrote hello.txt earlier." };
      if (step === 0) return { kind: "tool_call", name: "write", arguments: { filePath: join(workDir, "hello.txt"), content: HELLO } };
      if (step === 1) return { kind: "tool_call", name: "grep", arguments: { pattern: "hello from" } };
      return { kind: "message", text: "Created hello.txt." };
    });
    const adapter = sandbox(m);

    const first = await collect(startAttempt(adapter, workDir, PROMPT));
    console.info(`opencode first run: first event after ${first.firstEventMs} ms, run ${first.totalMs} ms`);
    const { events, outcome } = first;
    expect(outcome.exit.error).toBeNull();
    expect(outcome.status).toBe("succeeded");
    expect(readFileSync(join(workDir, "hello.txt"), "utf8")).toBe(HELLO);

    const step = ["status", "tool_call", "tool_result", "usage"];
    expect(agentKinds(events)).toEqual(["session", ...step, ...step, "status", "message", "usage", "result"]);
    const [session] = of(events, "session");
    expect(session?.sessionId).toMatch(/^ses_[0-9A-Za-z]{20,}$/);
    const sessionId = session?.sessionId ?? "";
    const [write, grep] = of(events, "tool_call");
    expect(write).toMatchObject({ name: "write" });
    expect(JSON.parse(write?.input ?? "")).toEqual({ filePath: join(workDir, "hello.txt"), content: HELLO });
    expect(grep).toMatchObject({ name: "grep", input: JSON.stringify({ pattern: "hello from" }) });
    const [wrote, found] = of(events, "tool_result");
    expect(wrote).toMatchObject({ callId: write?.callId, isError: false, output: "Wrote file successfully." });
    expect(found).toMatchObject({ callId: grep?.callId, isError: false });
    expect(found?.output).toContain(`Found 1 matches\n${join(workDir, "hello.txt")}:\n  Line 1: hello from mock`);
    expect(of(events, "message").map((e) => e.text)).toEqual(["Created hello.txt."]);
    const usages = of(events, "usage");
    expect(usages).toHaveLength(3);
    for (const u of usages) {
      expect(u).toMatchObject(STEP);
      expect(u.costUsd).toBeCloseTo(STEP_COST, 12);
    }
    const [result] = of(events, "result");
    expect(result).toMatchObject({ isError: false, summary: "Created hello.txt.", sessionId, turns: 3 });
    const spent = { inputTokens: 270, outputTokens: 60, cacheReadTokens: 30, cacheWriteTokens: 0 };
    expect(result?.usage).toMatchObject(spent);
    expect(result?.usage?.costUsd).toBeCloseTo(3 * STEP_COST, 12);
    expect(outcome).toMatchObject({ sessionId, usage: spent, exit: { exitCode: 0 } });
    expect(events.at(-1)).toMatchObject({ kind: "lifecycle", phase: "exited" });
    // Every line was understood: no raw events, nothing on stderr (error logs only).
    expect(of(events, "raw")).toEqual([]);
    expect(of(events, "output")).toEqual([]);
    const turns = m.turnRequests();
    expect(turns).toHaveLength(3);
    expect(turns[0]?.body).toMatchObject({ model: "mock-model", stream: true });
    expect(turns[0]?.body?.tools?.map((t) => t.function?.name)).toEqual(expect.arrayContaining(["write", "grep", "bash"]));
    expect(lastUserText(m, 0)).toBe(PROMPT);
    // Nothing but the background npm install went elsewhere, and that came here too.
    expect(m.unknownPaths().filter((p) => !p.startsWith("GET /npm/"))).toEqual([]);

    const seenBefore = m.turnRequests().length;
    const second = await collect(startAttempt(adapter, workDir, "what did you do?", sessionId));
    console.info(`opencode resumed run: first event after ${second.firstEventMs} ms, run ${second.totalMs} ms`);
    expect(second.outcome).toMatchObject({ status: "succeeded", sessionId, usage: STEP, exit: { error: null } });
    expect(agentKinds(second.events)).toEqual(["session", "status", "message", "usage", "result"]);
    expect(of(second.events, "message").map((e) => e.text)).toEqual(["I wrote hello.txt earlier."]);
    const resumed = m.turnRequests().slice(seenBefore);
    expect(resumed).toHaveLength(1);
    // The earlier conversation (first prompt, both tool calls and their output) went back to the model.
    const history = resumed[0]?.body?.messages ?? [];
    expect(history.filter((x) => x.role === "user").map((x) => x.content)).toEqual([PROMPT, "what did you do?"]);
    expect(history.filter((x) => x.role === "tool").map((x) => x.content)).toEqual(["Wrote file successfully.", expect.stringContaining("Found 1 matches")]);
    expect(JSON.stringify(history)).toContain("Created hello.txt.");
  });

  it.each([
    { status: 400, kind: "agent_error" },
    { status: 401, kind: "bad_config" },
  ])("fails with the API's error when the model server answers $status", async ({ status, kind }) => {
    const m = await mock([{ kind: "http_error", status, message: `mock refuses with ${status}` }]);
    const { events, outcome, totalMs } = await collect(startAttempt(sandbox(m), tempDir("multica-opencode-work-"), "hi"));
    console.info(`opencode with HTTP ${status}: failed after ${totalMs} ms, ${m.turnRequests().length} request(s)`);
    const error = `opencode reported an error: the model API answered HTTP ${status}: mock refuses with ${status}`;
    expect(outcome).toMatchObject({ status: "failed", exit: { exitCode: 1, error }, failure: { kind, message: error, retryAt: null } });
    expect(outcome.sessionId).toMatch(/^ses_/);
    expect(of(events, "error").map((e) => e.message)).toEqual([`mock refuses with ${status}`]);
    expect(of(events, "result")).toEqual([]);
    // 4xx other than 429 is not retried.
    expect(m.turnRequests()).toHaveLength(1);
  });

  it("fails as rate limited when the model server answers 429, with the reset from Retry-After-Ms", async () => {
    const m = await mock([{ kind: "http_error", status: 429, message: "mock rate limit", headers: { "retry-after-ms": "40" } }]);
    const before = Date.now();
    const { outcome, totalMs } = await collect(startAttempt(sandbox(m), tempDir("multica-opencode-work-"), "hi"));
    console.info(`opencode with HTTP 429: failed after ${totalMs} ms, ${m.turnRequests().length} request(s)`);
    expect(outcome.status).toBe("failed");
    expect(outcome.failure?.kind).toBe("rate_limit");
    expect(outcome.exit.error).toMatch(/^rate limited by the model provider; resets at .* — opencode reported an error: the model API answered HTTP 429: mock rate limit$/);
    // The last 429's Retry-After-Ms (40 ms) counted from the error event's timestamp.
    expect(outcome.failure?.retryAt).toBeGreaterThanOrEqual(before + 40);
    expect(outcome.failure?.retryAt).toBeLessThanOrEqual(Date.now() + 40);
    // opencode retries a 429 (5 times, each call with the AI SDK's own 2 retries) before it gives up.
    expect(m.turnRequests().length).toBeGreaterThan(1);
  });

  it("fails as bad config for a model the provider does not have, with the error from the stderr log", async () => {
    const m = await mock([{ kind: "message", text: "never asked" }]);
    const { outcome } = await collect(startAttempt(sandbox(m, { model: "mock/no-such-model" }), tempDir("multica-opencode-work-"), "hi"));
    // The stdout event says only "Unexpected server error. Check server logs for details."
    expect(outcome).toMatchObject({
      status: "failed",
      exit: { error: "opencode reported an error: ProviderModelNotFoundError: Model not found: mock/no-such-model. Did you mean: mock-model?" },
      failure: { kind: "bad_config" },
    });
    expect(m.turnRequests()).toHaveLength(0);
  });

  it("fails a run that stopped on a rejected permission when approvals are off", async () => {
    const outside = join(tempDir("multica-opencode-outside-"), "hello.txt");
    const m = await mock([
      { kind: "tool_call", name: "write", arguments: { filePath: outside, content: HELLO } },
      { kind: "message", text: "not reached" },
    ]);
    const { events, outcome } = await collect(startAttempt(sandbox(m, { autoApprove: false }), tempDir("multica-opencode-work-"), "hi"));
    expect(existsSync(outside)).toBe(false);
    expect(of(events, "tool_result")).toEqual([expect.objectContaining({ isError: true, output: expect.stringContaining("rejected permission") })]);
    expect(outcome).toMatchObject({ status: "failed", exit: { exitCode: 0 }, failure: { kind: "agent_error" } });
    expect(outcome.exit.error).toMatch(/^opencode ended before its last step finished \(exit code 0\); stderr: .*permission requested: external_directory .*auto-rejecting/);
  });

  it("cancel stops a run waiting on the model and leaves no process behind", async () => {
    const m = await mock([{ kind: "hang" }]);
    const run = startAttempt(sandbox(m, { cancelGraceMs: 1000 }), tempDir("multica-opencode-work-"), "hi");
    // The step has started once the model's stream began, which then hangs.
    const { events, outcome } = await collect(run, (e) => e.kind === "status" && run.cancel("user asked"));
    expect(m.turnRequests()).toHaveLength(1);
    expect(events).toContainEqual({ kind: "lifecycle", phase: "cancelling", detail: "user asked" });
    expect(outcome).toMatchObject({ status: "cancelled", exit: { error: "cancelled: user asked" }, failure: { kind: "cancelled" } });
    expect(of(events, "result")).toEqual([]);
    // The step had started, so the session is known and can be resumed; SIGTERM was enough.
    expect(outcome.sessionId).toBe(of(events, "session")[0]?.sessionId);
    expect(outcome.sessionId).toMatch(/^ses_/);
    expect(outcome.exit.signal).toBe("SIGTERM");
    const pid = pidOf(events);
    expect(pid).toBeGreaterThan(0);
    expect(isGroupAlive(pid)).toBe(false);
  });

  it("reports the CLI's version", async () => {
    const m = await mock([]);
    expect(await sandbox(m).detect()).toEqual({ key: "opencode", version: "1.18.33" });
    expect(await sandbox(m, { binary: "/no/such/opencode" }).detect()).toBeNull();
  });
});

describe("opencode command line", () => {
  it("builds the protocol flags, model and session, and drops overriding extra args", () => {
    const a = new OpenCodeAdapter({
      baseEnv: {},
      cancelGraceMs: 1,
      timeoutMs: null,
      model: "anthropic/claude-sonnet-4-5",
      extraArgs: ["--format", "default", "-m", "x/y", "--agent", "plan", "--session=s1", "-c", "--dir", "/elsewhere", "--variant", "high", "--log-level", "DEBUG", "--auto"],
    });
    expect(a.buildArgs({ resumeSessionId: "ses_1" })).toEqual([
      "run", "--format", "json", "--print-logs", "--log-level", "ERROR", "--auto",
      "--model", "anthropic/claude-sonnet-4-5", "--session", "ses_1", "--agent", "plan", "--variant", "high",
    ]);
    expect(a.droppedArgs.map((d) => d.arg)).toEqual(["--format default", "-m x/y", "--session=s1", "-c", "--dir /elsewhere", "--log-level DEBUG", "--auto"]);
    const plain = new OpenCodeAdapter({ baseEnv: {}, cancelGraceMs: 1, timeoutMs: null, autoApprove: false });
    expect(plain.buildArgs({})).toEqual(["run", "--format", "json", "--print-logs", "--log-level", "ERROR"]);
    expect(filterExtraArgs(["-s"], OPENCODE_PROTOCOL_FLAGS).dropped).toEqual([{ arg: "-s", reason: "the runner resumes sessions itself (resumeSessionId)" }]);
  });
});

describe("opencode line mapper", () => {
  // Lines as opencode 1.18.33 printed them (ids shortened).
  const exit1 = { exitCode: 1, signal: null, stoppedAfterFinish: false };
  const errorLine = (error: object) => JSON.stringify({ type: "error", timestamp: 1_795_534_507_687, sessionID: "ses_1", error });

  it("takes a 429's reset from Retry-After seconds, counted from the error event", () => {
    const mapper = new OpenCodeLineMapper(() => 0);
    const data = { message: "mock rate limited", statusCode: 429, isRetryable: true, responseHeaders: { "retry-after": "7" } };
    expect(mapper.stdout(errorLine({ name: "APIError", data }))).toEqual([{ kind: "session", sessionId: "ses_1" }, { kind: "error", message: "mock rate limited" }]);
    expect(mapper.finished()).toBe(true);
    expect(mapper.verdict(exit1)).toEqual({
      status: "failed",
      error: "rate limited by the model provider; resets at 2026-11-24T15:35:14Z — opencode reported an error: the model API answered HTTP 429: mock rate limited",
      kind: "rate_limit",
      retryAt: 1_795_534_507_687 + 7000,
    });
  });

  it("explains an unexpected server error with the stderr log line it refers to", () => {
    const mapper = new OpenCodeLineMapper();
    mapper.stderr('timestamp=2026-11-24T15:41:46.587Z level=ERROR run=4bcd8f44 message=failed ref=err_6e606b0b error="ProviderModelNotFoundError: Model not found: \\"x/y\\"." cause="…"');
    mapper.stdout(errorLine({ name: "UnknownError", data: { message: "Unexpected server error. Check server logs for details.", ref: "err_6e606b0b" } }));
    expect(mapper.verdict(exit1)).toEqual({ status: "failed", error: 'opencode reported an error: ProviderModelNotFoundError: Model not found: "x/y".', kind: "bad_config" });
  });

  it("fails a run that printed nothing but a coloured error on stderr", () => {
    const mapper = new OpenCodeLineMapper();
    expect(mapper.stderr("\u001b[91m\u001b[1mError: \u001b[0mSession not found")).toEqual([{ kind: "output", stream: "stderr", text: "Error: Session not found" }]);
    expect(mapper.finished()).toBe(false);
    expect(mapper.verdict(exit1)).toEqual({ status: "failed", error: "opencode ended before its last step finished (exit code 1); stderr: Error: Session not found" });
    expect(mapper.sessionId()).toBeNull();
  });
});
