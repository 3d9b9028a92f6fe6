// Runs the real `codex` binary (node_modules/.bin/codex) through the Codex adapter against the
// scripted Responses mock in runner/test/mock-models/openai-responses.ts. Nothing leaves 127.0.0.1.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { PATH_WITH_NODE, agentKinds, cancelWhen, cliBinary, closeAfterTest, collect, of, pidOf, runCleanups, startAttempt, tempDir, writeFakeCli } from "../../test/agent-harness";
import { type MockScript, type ResponsesMock, startResponsesMock } from "../../test/mock-models/openai-responses";
import { filterExtraArgs } from "./cli-adapter";
import { CODEX_PROTOCOL_ARGS, CodexAdapter, type CodexAdapterOptions } from "./codex";
import { isGroupAlive } from "./process-tree";

const CODEX = cliBinary("codex");
/** A model in 0.169's bundled catalog: unknown slugs get fallback metadata and another tool set. */
const MODEL = "gpt-5.5";
/** Hard wall-clock limit per attempt, enforced by the adapter (it kills the tree). */
const ATTEMPT_LIMIT_MS = 45_000;
const HELLO = "hello from mock\n";
const WRITE_HELLO = "printf 'hello from mock\\n' > hello.txt && echo created";

afterEach(runCleanups);

beforeAll(() => {
  if (!existsSync(CODEX)) throw new Error(`the real codex CLI is missing at ${CODEX}: run npm install (@openai/codex is a devDependency)`);
});

const mock = (script: MockScript): Promise<ResponsesMock> => closeAfterTest(startResponsesMock(script, MODEL));

/** The `-c` overrides that point codex at the mock (SETUP-NOTES: OPENAI_BASE_URL is ignored). */
function providerArgs(m: ResponsesMock, retries = 0): string[] {
  const overrides = [
    "model_provider=mock",
    "model_providers.mock.name=Mock",
    `model_providers.mock.base_url=${m.url}`,
    "model_providers.mock.env_key=MOCK_API_KEY",
    "model_providers.mock.wire_api=responses",
    `model_providers.mock.request_max_retries=${retries}`,
    `model_providers.mock.stream_max_retries=${retries}`,
    "check_for_update_on_startup=false",
    "analytics.enabled=false",
    // Else codex looks up github.com and chatgpt.com to sync plugins (seen with strace).
    "features.plugins=false",
  ];
  return overrides.flatMap((o) => ["-c", o]);
}

/** One isolated machine for the CLI: its own HOME (so ~/.codex) and TMPDIR, talking only to the mock. */
function sandbox(m: ResponsesMock, extra: Partial<CodexAdapterOptions> = {}): CodexAdapter {
  return new CodexAdapter({
    binary: CODEX,
    baseEnv: { PATH: PATH_WITH_NODE },
    env: { HOME: tempDir("multica-codex-home-"), TMPDIR: tempDir("multica-codex-tmp-"), MOCK_API_KEY: "x" },
    model: MODEL,
    providerArgs: providerArgs(m),
    cancelGraceMs: 500,
    timeoutMs: ATTEMPT_LIMIT_MS,
    ...extra,
  });
}

describe("codex adapter with the real CLI", () => {
  it("writes hello.txt through a shell command, then resumes the thread", async () => {
    const workDir = tempDir("multica-codex-work-");
    const m = await mock(({ step, prompt }) => {
      if (prompt.includes("what did you do")) return { kind: "message", text: "I wrote hello.txt earlier." };
      if (step === 0) return { kind: "function_call", name: "exec_command", arguments: { cmd: WRITE_HELLO } };
      return { kind: "message", text: "Created hello.txt." };
    });
    const adapter = sandbox(m);

    const first = await collect(startAttempt(adapter, workDir, "Create hello.txt please"));
    console.info(`codex first run: first event after ${first.firstEventMs} ms, run ${first.totalMs} ms`);
    const { events, outcome } = first;
    expect(outcome.exit.error).toBeNull();
    expect(outcome.status).toBe("succeeded");
    expect(readFileSync(join(workDir, "hello.txt"), "utf8")).toBe(HELLO);

    expect(agentKinds(events)).toEqual(["session", "status", "tool_call", "tool_result", "message", "usage", "result"]);
    const [session] = of(events, "session");
    expect(session?.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const sessionId = session?.sessionId ?? "";
    const [call] = of(events, "tool_call");
    expect(call).toMatchObject({ name: "shell", input: expect.stringContaining("hello.txt") });
    expect(of(events, "tool_result")).toEqual([expect.objectContaining({ callId: call?.callId, isError: false, output: "created\n" })]);
    expect(of(events, "message").map((e) => e.text)).toEqual(["Created hello.txt."]);
    // Two model calls of 100 in (10 cached) / 20 out each.
    const spent = { inputTokens: 200, outputTokens: 40, cacheReadTokens: 20, cacheWriteTokens: 0 };
    expect(of(events, "usage")).toEqual([{ kind: "usage", ...spent }]);
    expect(of(events, "result")).toEqual([expect.objectContaining({ isError: false, summary: "Created hello.txt.", sessionId, turns: 1, usage: spent })]);
    expect(outcome).toMatchObject({ sessionId, usage: spent, exit: { exitCode: 0 } });
    expect(events.at(-1)).toMatchObject({ kind: "lifecycle", phase: "exited" });
    const turns = m.turnRequests();
    expect(turns).toHaveLength(2);
    expect(turns[0]?.body?.model).toBe(MODEL);
    expect(turns[0]?.body?.tools?.map((t) => t.name)).toContain("exec_command");
    expect(m.unknownPaths()).toEqual([]);

    const seenBefore = m.requests.length;
    const second = await collect(startAttempt(adapter, workDir, "what did you do?", sessionId));
    console.info(`codex resumed run: first event after ${second.firstEventMs} ms, run ${second.totalMs} ms`);
    // Codex reports the thread's total (300/60/30); the adapter subtracts what the first run spent.
    const resumedSpent = { inputTokens: 100, outputTokens: 20, cacheReadTokens: 10, cacheWriteTokens: 0 };
    expect(second.outcome).toMatchObject({ status: "succeeded", sessionId, usage: resumedSpent, exit: { error: null } });
    expect(of(second.events, "message").map((e) => e.text)).toEqual(["I wrote hello.txt earlier."]);
    const resumed = m.requests.slice(seenBefore);
    expect(resumed).toHaveLength(1);
    // The earlier conversation (first prompt, the command and its output) went back to the model.
    const history = JSON.stringify(resumed[0]?.body?.input);
    expect(history).toContain("Create hello.txt please");
    expect(history).toContain("function_call_output");
    expect(history).toContain("hello.txt");
    expect(history).toContain("what did you do?");
  });

  // Codex shows a 4xx body's message but replaces a 5xx one with its own "high demand" text.
  it.each([
    [400, "mock refuses with 400"],
    [500, "experiencing high demand"],
  ])("fails with the API error when the model server answers %i", async (status, shown) => {
    const m = await mock([{ kind: "http_error", status, message: `mock refuses with ${status}` }]);
    const started = Date.now();
    const { events, outcome } = await collect(startAttempt(sandbox(m), tempDir("multica-codex-work-"), "hi"));
    console.info(`codex with HTTP ${status}: failed after ${Date.now() - started} ms, ${m.turnRequests().length} request(s)`);
    expect(outcome.status).toBe("failed");
    expect(outcome.exit.error).toMatch(/^codex reported an error: /);
    expect(outcome.exit.error).toContain(shown);
    expect(of(events, "result")).toEqual([expect.objectContaining({ isError: true })]);
    // request_max_retries=0 and stream_max_retries=0: one request (the defaults make 30 over ~25 s).
    expect(m.turnRequests()).toHaveLength(1);
  });

  it("cancel stops a run waiting on the model and leaves no process behind", async () => {
    const m = await mock([{ kind: "hang" }]);
    const run = startAttempt(sandbox(m, { cancelGraceMs: 1000 }), tempDir("multica-codex-work-"), "hi");
    cancelWhen(run, () => m.turnRequests().length > 0);
    const { events, outcome } = await collect(run);
    expect(events).toContainEqual({ kind: "lifecycle", phase: "cancelling", detail: "user asked" });
    expect(outcome).toMatchObject({ status: "cancelled", exit: { error: "cancelled: user asked" } });
    expect(outcome.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(of(events, "result")).toEqual([]);
    const pid = pidOf(events);
    expect(pid).toBeGreaterThan(0);
    expect(isGroupAlive(pid)).toBe(false);
  });

  it("reports the CLI's version", async () => {
    const m = await mock([]);
    expect(await sandbox(m).detect()).toEqual({ key: "codex", version: "0.169.0" });
    expect(await sandbox(m, { binary: "/no/such/codex" }).detect()).toBeNull();
  });
});

describe("codex adapter with a stand-in process", () => {
  it("passes the prompt on stdin, then closes it, and fails a run that ends without a turn", async () => {
    const script = [
      "let input = '';",
      "process.stdin.on('data', (d) => (input += d));",
      "process.stdin.on('end', () => {",
      "  console.log(JSON.stringify({ type: 'thread.started', thread_id: 't-9' }));",
      "  console.log('not json: ' + JSON.stringify({ input, argv: process.argv.slice(2), pwd: process.env.PWD }));",
      "  console.error('boom');",
      "  process.exit(3);",
      "});",
    ].join("\n");
    const path = writeFakeCli("codex", script);
    const workDir = tempDir("multica-codex-work-");
    const adapter = new CodexAdapter({ binary: path, baseEnv: { PATH: process.env.PATH ?? "" }, cancelGraceMs: 200, timeoutMs: 20_000 });
    const { events, outcome } = await collect(startAttempt(adapter, workDir, "line one\n-dash 'two' $HOME", "t-9"));
    expect(outcome).toMatchObject({
      status: "failed",
      sessionId: "t-9",
      usage: null,
      exit: { exitCode: 3, error: "codex ended without completing a turn (exit code 3); stderr: boom" },
    });
    const printed = of(events, "output").find((e) => e.stream === "stdout")?.text ?? "";
    expect(JSON.parse(printed.replace("not json: ", ""))).toEqual({
      input: "line one\n-dash 'two' $HOME",
      argv: ["exec", "--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "-C", workDir, "resume", "t-9", "-"],
      pwd: workDir,
    });
  });
});

describe("codex command line", () => {
  it("builds the protocol flags, model, provider overrides and resume, and drops overriding extra args", () => {
    const a = new CodexAdapter({
      baseEnv: {},
      cancelGraceMs: 1,
      timeoutMs: null,
      model: "gpt-5.5",
      providerArgs: ["-c", "model_provider=mine"],
      extraArgs: ["--json", "-c", "model_reasoning_effort=low", "-C", "/elsewhere", "resume", "--cd=/x", "--add-dir", "/y", "exec", "--last"],
    });
    expect(a.buildArgs({ workDir: "/w", resumeSessionId: "th-1" })).toEqual([
      "exec", "--json", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "-C", "/w",
      "-m", "gpt-5.5", "-c", "model_provider=mine", "-c", "model_reasoning_effort=low", "--add-dir", "/y", "resume", "th-1", "-",
    ]);
    expect(a.buildArgs({ workDir: "/w" }).at(-1)).toBe("-");
    expect(a.droppedArgs.map((d) => d.arg)).toEqual(["--json", "-C /elsewhere", "resume", "--cd=/x", "exec", "--last"]);
    expect(filterExtraArgs(["--cd"], CODEX_PROTOCOL_ARGS).dropped).toEqual([{ arg: "--cd", reason: "the runner sets the working directory to the attempt's work dir" }]);
  });
});
