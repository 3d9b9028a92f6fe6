// Runs the real claude, codex and gemini CLIs (node_modules/.bin) through their adapters against
// the scripted model mocks answering HTTP 429 (with the reset shapes real providers send), 401,
// or a 500 after a tool failed, and checks the failure's class: rate_limit with the reset time the
// mock sent, bad_config, or the agent's own error. Nothing leaves 127.0.0.1.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { AgentEvent } from "@multica/shared";
import { afterEach, describe, expect, it } from "vitest";
import { type MockScript as AnthropicScript, startAnthropicMock } from "../../test/mock-models/anthropic";
import { type MockScript as GeminiScript, startGeminiMock } from "../../test/mock-models/gemini-api";
import { type MockScript as ResponsesScript, startResponsesMock } from "../../test/mock-models/openai-responses";
import type { AgentAdapter, AgentOutcome } from "./adapter";
import { ClaudeAdapter } from "./claude";
import { CodexAdapter } from "./codex";
import { GeminiAdapter } from "./gemini";

const REPO = join(import.meta.dirname, "../../..");
const BIN = (name: string) => join(REPO, "node_modules/.bin", name);
const PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;
/** Each run here ends within seconds: the CLIs' own retries are off or not taken (see each case). */
const ATTEMPT_LIMIT_MS = 20_000;
/** A command whose failure reads like a rate limit: a tool's output must not class the run. */
const LURE = "echo '429 Too Many Requests: rate limit exceeded, retry after 60s' >&2; exit 1";
/** The CLIs pass their own time zone on; the runner reads zoneless clock times in its own. */
const TZ: Record<string, string> = process.env.TZ ? { TZ: process.env.TZ } : {};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function run(adapter: AgentAdapter): Promise<{ events: AgentEvent[]; outcome: AgentOutcome }> {
  const running = adapter.start({
    taskId: "tsk_abcd1234",
    attempt: 1,
    prompt: "hi",
    issue: { id: "iss_abcd1234", title: "Say hello", body: "" },
    agent: { id: "agt_abcd1234", name: adapter.key, instructions: "" },
    workDir: tempDir(`multica-${adapter.key}-work-`),
  });
  const events: AgentEvent[] = [];
  for await (const e of running.events) events.push(e);
  for (const e of events) expect(AgentEvent.safeParse(e).error).toBeUndefined();
  return { events, outcome: await running.outcome };
}

const of = <K extends AgentEvent["kind"]>(events: AgentEvent[], kind: K) => events.filter((e): e is Extract<AgentEvent, { kind: K }> => e.kind === kind);
/** The failing run's own events say why: a failed result or an error event. */
const explained = (events: AgentEvent[], words: RegExp) =>
  of(events, "result").some((e) => e.isError && words.test(e.summary)) || of(events, "error").some((e) => words.test(e.message));
/** A reset `ms` from now, on a whole minute: CLIs that show a clock time show it to the minute. */
const wholeMinuteIn = (ms: number) => Math.ceil((Date.now() + ms) / 60_000) * 60_000;
const HOURS_2 = 2 * 3_600_000;

describe("claude (real CLI): rate limits and bad config", () => {
  async function claude(script: AnthropicScript, auth: Record<string, string> = { ANTHROPIC_API_KEY: "x" }) {
    const m = await startAnthropicMock(script);
    cleanups.push(() => m.close());
    const env = { HOME: tempDir("multica-claude-home-"), TMPDIR: tempDir("multica-claude-tmp-"), ANTHROPIC_BASE_URL: m.url, ...auth };
    // CLAUDE_CODE_MAX_RETRIES=0: an API key's 429 is retried 10 times over minutes otherwise.
    const quiet = { CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1", DISABLE_AUTOUPDATER: "1", DISABLE_TELEMETRY: "1", DISABLE_ERROR_REPORTING: "1", CLAUDE_CODE_MAX_RETRIES: "0" };
    return run(new ClaudeAdapter({ binary: BIN("claude"), baseEnv: { PATH }, env: { ...env, ...quiet, ...TZ }, cancelGraceMs: 500, timeoutMs: ATTEMPT_LIMIT_MS }));
  }

  it("a subscription's usage limit: rate_limit at the reset the API sent (anthropic-ratelimit-unified-reset)", async () => {
    const reset = Math.floor((Date.now() + HOURS_2) / 1000);
    const headers = {
      "anthropic-ratelimit-unified-status": "rejected",
      "anthropic-ratelimit-unified-reset": String(reset),
      "anthropic-ratelimit-unified-representative-claim": "five_hour",
      "retry-after": "7200",
    };
    // Claude Code reads the usage window only for claude.ai logins, as CLAUDE_CODE_OAUTH_TOKEN is.
    const { events, outcome } = await claude([{ kind: "http_error", status: 429, message: "Rate limited", headers }], { CLAUDE_CODE_OAUTH_TOKEN: "x" });
    expect(outcome).toMatchObject({ status: "failed", failure: { kind: "rate_limit", retryAt: reset * 1000 } });
    expect(outcome.failure?.message).toMatch(/^rate limited by the model provider; resets at \S+Z — claude reported an error: You've hit your session limit · resets /);
    expect(explained(events, /hit your session limit/)).toBe(true);
    expect(of(events, "status").map((e) => e.text)).toContain(`rate limit rejected (five_hour), resets at ${new Date(reset * 1000).toISOString().replace(".000Z", "Z")}`);
  });

  it("an API key's 429: rate_limit without a reset time (the CLI shows the message, not the headers)", async () => {
    const headers = { "retry-after": "30", "anthropic-ratelimit-requests-reset": new Date(Date.now() + 30_000).toISOString() };
    const message = "This request would exceed the rate limit for your organization of 50 requests per minute.";
    const { events, outcome } = await claude([{ kind: "http_error", status: 429, message, headers }]);
    expect(outcome).toMatchObject({ status: "failed", failure: { kind: "rate_limit", retryAt: null } });
    expect(outcome.failure?.message).toBe(`rate limited by the model provider; it did not say when it resets — claude reported an error: API Error: Request rejected (429) · ${message}`);
    expect(explained(events, /\(429\)/)).toBe(true);
  });

  it("401: bad_config", async () => {
    const { events, outcome } = await claude([{ kind: "http_error", status: 401, message: "invalid x-api-key" }]);
    expect(outcome).toMatchObject({ status: "failed", failure: { kind: "bad_config", retryAt: null, message: "claude reported an error: Invalid API key · Fix external API key" } });
    expect(explained(events, /Invalid API key/)).toBe(true);
  });

  it("a failed tool, then a 500: the agent's own error", async () => {
    const { events, outcome } = await claude(({ step }) =>
      step === 0 ? { kind: "tool_use", name: "Bash", input: { command: LURE, description: "fail" } } : { kind: "http_error", status: 500, message: "mock overloaded" },
    );
    expect(of(events, "tool_result")).toEqual([expect.objectContaining({ isError: true, output: expect.stringContaining("rate limit exceeded") })]);
    expect(outcome).toMatchObject({ status: "failed", failure: { kind: "agent_error", retryAt: null } });
    expect(explained(events, /500/)).toBe(true);
  });
});

describe("codex (real CLI): rate limits and bad config", () => {
  async function codex(script: ResponsesScript) {
    const m = await startResponsesMock(script, "gpt-5.5");
    cleanups.push(() => m.close());
    // request_max_retries / stream_max_retries = 0: codex retries a 429 (and a failed stream) itself otherwise.
    const provider = [
      "model_provider=mock",
      "model_providers.mock.name=Mock",
      `model_providers.mock.base_url=${m.url}`,
      "model_providers.mock.env_key=MOCK_API_KEY",
      "model_providers.mock.wire_api=responses",
      "model_providers.mock.request_max_retries=0",
      "model_providers.mock.stream_max_retries=0",
      "check_for_update_on_startup=false",
      "analytics.enabled=false",
      "features.plugins=false",
    ].flatMap((o) => ["-c", o]);
    const env = { HOME: tempDir("multica-codex-home-"), TMPDIR: tempDir("multica-codex-tmp-"), MOCK_API_KEY: "x", ...TZ };
    return run(new CodexAdapter({ binary: BIN("codex"), baseEnv: { PATH }, env, model: "gpt-5.5", providerArgs: provider, cancelGraceMs: 500, timeoutMs: ATTEMPT_LIMIT_MS }));
  }

  it("a usage limit with resets_at: rate_limit at that time (codex shows it as a clock time)", async () => {
    const reset = wholeMinuteIn(HOURS_2);
    const error = { type: "usage_limit_reached", plan_type: "plus", resets_at: reset / 1000 };
    const { events, outcome } = await codex([{ kind: "http_error", status: 429, message: "The usage limit has been reached", error }]);
    expect(outcome).toMatchObject({ status: "failed", failure: { kind: "rate_limit", retryAt: reset } });
    expect(outcome.failure?.message).toMatch(/^rate limited by the model provider; resets at \S+Z — codex reported an error: You’ve hit your usage limit\. .*try again at /);
    expect(explained(events, /hit your usage limit/)).toBe(true);
  });

  it("rate_limit_exceeded mid-stream: rate_limit at the delay the message gives", async () => {
    let answeredAt = 0;
    const { events, outcome } = await codex(() => {
      answeredAt = Date.now();
      return { kind: "response_failed", code: "rate_limit_exceeded", message: "Rate limit reached for gpt-5.5 on tokens per min (TPM): Limit 30000, Used 30000. Please try again in 20s." };
    });
    expect(outcome).toMatchObject({ status: "failed", failure: { kind: "rate_limit" } });
    expect(Math.abs((outcome.failure?.retryAt ?? 0) - (answeredAt + 20_000))).toBeLessThanOrEqual(1000);
    expect(explained(events, /Please try again in 20s/)).toBe(true);
  });

  it("an API key's plain 429: rate_limit without a reset time", async () => {
    const headers = { "retry-after": "20", "x-ratelimit-reset-requests": "20s" };
    const { events, outcome } = await codex([{ kind: "http_error", status: 429, message: "Rate limit reached. Please try again in 20s.", error: { code: "rate_limit_exceeded" }, headers }]);
    // Codex drops a 429's body: only the status is left.
    expect(outcome).toMatchObject({ status: "failed", failure: { kind: "rate_limit", retryAt: null } });
    expect(explained(events, /429 Too Many Requests/)).toBe(true);
  });

  it("401: bad_config", async () => {
    const { events, outcome } = await codex([{ kind: "http_error", status: 401, message: "Incorrect API key provided: x.", error: { code: "invalid_api_key" } }]);
    expect(outcome).toMatchObject({ status: "failed", failure: { kind: "bad_config", retryAt: null } });
    expect(outcome.failure?.message).toMatch(/^codex reported an error: unexpected status 401 Unauthorized: Incorrect API key provided/);
    expect(explained(events, /401 Unauthorized/)).toBe(true);
  });

  it("a failed command, then a 500: the agent's own error", async () => {
    const { events, outcome } = await codex(({ step }) =>
      step === 0 ? { kind: "function_call", name: "exec_command", arguments: { cmd: LURE } } : { kind: "http_error", status: 500, message: "mock overloaded" },
    );
    expect(of(events, "tool_result")).toEqual([expect.objectContaining({ isError: true, output: expect.stringContaining("rate limit exceeded") })]);
    expect(outcome).toMatchObject({ status: "failed", failure: { kind: "agent_error", retryAt: null } });
    expect(explained(events, /high demand/)).toBe(true);
  });
});

describe("gemini (real CLI): rate limits and bad config", () => {
  async function gemini(script: GeminiScript, settings: Record<string, unknown> = {}) {
    const m = await startGeminiMock(script);
    cleanups.push(() => m.close());
    const home = tempDir("multica-gemini-home-");
    mkdirSync(join(home, ".gemini"));
    const base = { security: { auth: { selectedType: "gemini-api-key" } }, privacy: { usageStatisticsEnabled: false }, telemetry: { enabled: false } };
    writeFileSync(join(home, ".gemini", "settings.json"), JSON.stringify({ ...base, ...settings }));
    const env = { HOME: home, TMPDIR: tempDir("multica-gemini-tmp-"), GEMINI_API_KEY: "x", GOOGLE_GEMINI_BASE_URL: m.url, ...TZ };
    return run(new GeminiAdapter({ binary: BIN("gemini"), baseEnv: { PATH }, env, model: "gemini-2.5-pro", cancelGraceMs: 500, timeoutMs: ATTEMPT_LIMIT_MS }));
  }
  const retryInfo = (delay: string) => [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: delay }];

  it.each([
    // Over 300 s the CLI gives up at once; under it, it waits and retries (general.maxAttempts bounds that).
    ["3600s", 3_600_000, {}],
    ["30s", 30_000, { general: { maxAttempts: 1 } }],
  ])("RESOURCE_EXHAUSTED with retryDelay %s: rate_limit at that delay (exit code 173)", async (delay, ms, settings) => {
    let answeredAt = 0;
    const { events, outcome } = await gemini(() => {
      answeredAt = Date.now();
      return { kind: "http_error", status: 429, message: "Resource has been exhausted (e.g. check quota).", details: retryInfo(delay) };
    }, settings);
    expect(outcome).toMatchObject({ status: "failed", exit: { exitCode: 429 % 256 }, failure: { kind: "rate_limit" } });
    expect(Math.abs((outcome.failure?.retryAt ?? 0) - (answeredAt + ms))).toBeLessThanOrEqual(1000);
    expect(outcome.failure?.message).toMatch(/^rate limited by the model provider; resets at \S+Z — gemini reported an error: \[API Error: Resource has been exhausted/);
    expect(explained(events, new RegExp(`Suggested retry after ${delay}`))).toBe(true);
  });

  it("401: bad_config (exit code 145)", async () => {
    const { events, outcome } = await gemini([{ kind: "http_error", status: 401, message: "Request had invalid authentication credentials." }]);
    expect(outcome).toMatchObject({ status: "failed", exit: { exitCode: 401 % 256 }, failure: { kind: "bad_config", retryAt: null } });
    expect(explained(events, /UNAUTHENTICATED/)).toBe(true);
  });

  it("a failed command, then a 500: the agent's own error", async () => {
    const { events, outcome } = await gemini(
      ({ step }) => (step === 0 ? { kind: "function_call", name: "run_shell_command", args: { command: LURE } } : { kind: "http_error", status: 500, message: "mock overloaded" }),
      { general: { maxAttempts: 1 } },
    );
    // Gemini's shell tool succeeds when the command ran, whatever its exit code.
    expect(of(events, "tool_result")).toEqual([expect.objectContaining({ output: expect.stringContaining("rate limit exceeded") })]);
    expect(outcome).toMatchObject({ status: "failed", exit: { exitCode: 500 % 256 }, failure: { kind: "agent_error", retryAt: null } });
    expect(explained(events, /mock overloaded/)).toBe(true);
  });
});
