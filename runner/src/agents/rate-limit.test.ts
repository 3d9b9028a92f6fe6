import { describe, expect, it } from "vitest";
import { ClaudeLineMapper } from "./claude";
import { parseClaudeEvent, readApiSignal } from "./claude-parser";
import { CodexLineMapper } from "./codex";
import { GeminiLineMapper } from "./gemini";
import { classifyFailureText, describeRateLimit, detectRateLimit, failedVerdict, findResetTime, isBadConfigText, parseDuration } from "./rate-limit";

/** 2026-11-24T15:31:07Z, a Tuesday. */
const NOW = Date.UTC(2026, 10, 24, 15, 31, 7);
const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;
/** A wall-clock time in the runner's own zone, `days` after NOW's local date. */
const local = (days: number, hour: number, minute = 0) => {
  const d = new Date(NOW);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + days, hour, minute).getTime();
};

describe("detectRateLimit: the CLIs' own words", () => {
  it.each([
    // Claude Code 2.1 with an API key (the provider's message after its own prefix).
    ["API Error: Request rejected (429) · This request would exceed the rate limit for your organization of 50 requests per minute.", null],
    ["API Error: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"Number of request tokens has exceeded your per-minute rate limit\"}}", null],
    // Claude Code 2.1 with a subscription, and the older shapes.
    ["You've hit your session limit · resets 5:31pm (UTC)", Date.UTC(2026, 10, 24, 17, 31)],
    ["You've hit your weekly limit · resets Nov 28, 3pm (UTC)", Date.UTC(2026, 10, 28, 15, 0)],
    ["You've hit your Opus limit · resets Dec 1, 2026, 9:30am (UTC)", Date.UTC(2026, 11, 1, 9, 30)],
    ["5-hour limit reached ∙ resets 3pm (UTC)", Date.UTC(2026, 10, 25, 15, 0)],
    ["Claude AI usage limit reached|1795541467", 1795541467 * S],
    ["Claude usage limit reached. Your limit will reset at 7pm (America/New_York).", Date.UTC(2026, 10, 25, 0, 0)],
    ["Server is temporarily limiting requests (not your usage limit) · Rate limited", null],
    ["Credit balance is too low · Add funds: https://platform.claude.com/settings/billing", null],
    ["You're out of usage credits · resets Dec 1, 12am (UTC)", Date.UTC(2026, 11, 1, 0, 0)],
    // Codex 0.169: HTTP 429 from an API-key provider, ChatGPT usage limits, stream-level failures.
    ["exceeded retry limit, last status: 429 Too Many Requests", null],
    ["You’ve hit your usage limit. Try again later.", null],
    ["You’ve hit your usage limit. Visit https://chatgpt.com/settings/usage to purchase more credits or try again at Nov 25th, 2026 7:20 PM.", local(1, 19, 20)],
    ["You’ve hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits or try again at 5:34 PM.", local(new Date(local(0, 17, 34)).getTime() + MIN <= NOW ? 1 : 0, 17, 34)],
    ["rate limit exceeded: Rate limit reached for gpt-5.5 in organization org-x on tokens per min (TPM): Limit 30000, Used 30000, Requested 100. Please try again in 12.5s.", NOW + 12_500],
    ["Quota exceeded. Check your plan and billing details.", null],
    ["stream disconnected before completion: You have hit your usage limit", null],
    ["{\"error\":{\"type\":\"usage_limit_reached\",\"message\":\"The usage limit has been reached\",\"resets_in_seconds\":3600}}", NOW + H],
    ["{\"error\":{\"type\":\"usage_limit_reached\",\"resets_at\":1795541467}}", 1795541467 * S],
    ["You exceeded your current quota, please check your plan and billing details. (insufficient_quota)", null],
    // Gemini CLI 0.61 (the result's error message).
    ["[API Error: You exceeded your current quota, please check your plan and billing details.\nSuggested retry after 30s.]\nPlease wait and try again later.", NOW + 30 * S],
    ["[API Error: Resource has been exhausted (e.g. check quota).\nSuggested retry after 3600s.]", NOW + H],
    ["[API Error: You have exhausted your daily quota on this model.]\nPlease wait and try again later.", null],
    ["{\"error\":{\"code\":429,\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"30s\"}]}}", NOW + 30 * S],
    ["Quota exceeded for quota metric 'Generate Content API requests per minute'. Please retry in 12.5s.", NOW + 12_500],
    ["Please retry in 850ms. RESOURCE_EXHAUSTED", NOW + 850],
    ["You have exhausted your capacity on this model.", null],
    // Provider headers and generic shapes.
    ["HTTP 429: rate limited; anthropic-ratelimit-requests-reset: 2026-11-24T16:00:00Z", Date.UTC(2026, 10, 24, 16)],
    ["HTTP 429 Too Many Requests; Retry-After: 120", NOW + 120 * S],
    ["429 Too Many Requests (Retry-After: Tue, 24 Nov 2026 18:00:00 GMT)", Date.UTC(2026, 10, 24, 18)],
    ["rate_limit_exceeded; x-ratelimit-reset-requests: 1.5s; try again in 2h 3m", NOW + 2 * H + 3 * MIN],
    ["Rate limited. Try again in 5 minutes.", NOW + 5 * MIN],
    ["rate limited until 2026-11-25T08:00:00+01:00", Date.UTC(2026, 10, 25, 7)],
    ["weekly limit reached; resets at 15:00 (UTC)", Date.UTC(2026, 10, 25, 15)],
    ["usage limit reached, resets at 16:45 UTC", Date.UTC(2026, 10, 24, 16, 45)],
    ["usage limit reached, resets 9am (GMT+2)", Date.UTC(2026, 10, 25, 7)],
  ])("%s", (text, retryAt) => {
    expect(detectRateLimit(text, NOW)).toEqual({ retryAt });
  });
});

describe("detectRateLimit: not a rate limit", () => {
  it.each([
    "Context limit reached · /compact or /clear to continue",
    "Reached max session turns",
    "exceeded retry limit, last status: 500 Internal Server Error",
    "Claude's response exceeded the 32000 output token maximum.",
    "Error: File content (300KB) exceeds maximum allowed size (256KB). Use offset and limit parameters.",
    "The tests fail: the rate limiter lets 6 requests through, the limit is 5.",
    "I implemented a rate limit on /login but could not run the tests.",
    "error_max_turns",
    "stream disconnected before completion: error sending request for url (http://127.0.0.1:1/v1/responses)",
    "API Error: 500 {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"Internal server error\"}}",
    "We're currently experiencing high demand, which may cause temporary errors.",
    "Issue #429: crash when the list is empty",
    "Reached the limit of 100 search results",
    "",
  ])("%s", (text) => {
    expect(detectRateLimit(text, NOW)).toBeNull();
    expect(classifyFailureText(text, NOW)).toBeNull();
  });
});

describe("bad configuration", () => {
  it.each([
    "Invalid API key · Fix external API key",
    "Failed to authenticate. API Error: 403 Your API key does not have permission to use the specified resource.",
    "Not logged in · Please run /login",
    "OAuth token has expired. Please obtain a new token or refresh your existing token.",
    "There's an issue with the selected model (claude-nope). It may not exist or you may not have access to it. Run --model to pick a different model.",
    "unexpected status 401 Unauthorized: Incorrect API key provided: x., url: http://127.0.0.1:1/v1/responses",
    "Missing environment variable: `OPENAI_API_KEY`.",
    "The model `gpt-nope` does not exist or you do not have access to it.",
    "Your access token could not be refreshed. Please log in again.",
    '[API Error: {"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}]',
    "[API Error: API key not valid. Please pass a valid API key.]",
    "[API Error: models/gemini-nope is not found for API version v1beta, or is not supported for generateContent.]",
    "When using Gemini API, you must specify the GEMINI_API_KEY environment variable.",
  ])("%s", (text) => {
    expect(isBadConfigText(text)).toBe(true);
    expect(classifyFailureText(text, NOW)).toEqual({ kind: "bad_config" });
  });

  it.each([
    "Error: ENOENT: no such file or directory, open 'config.json'",
    "The test expects 401 but the handler returns 200",
    "npm ERR! 404 Not Found - GET https://registry.npmjs.org/nope",
    "Cannot find module './model'",
  ])("not: %s", (text) => {
    expect(isBadConfigText(text)).toBe(false);
  });

  it("prefers a rate limit when a message says both", () => {
    expect(classifyFailureText("429 Too Many Requests: quota exceeded for this API key", NOW)).toEqual({ kind: "rate_limit", retryAt: null });
  });
});

describe("reset times", () => {
  it("reads durations in their units", () => {
    expect(parseDuration("30s")).toBe(30 * S);
    expect(parseDuration("2h 3m")).toBe(2 * H + 3 * MIN);
    expect(parseDuration("1 hour, 2 minutes and 5 seconds")).toBe(H + 2 * MIN + 5 * S);
    expect(parseDuration("500ms")).toBe(500);
    expect(parseDuration("1.5 days")).toBe(36 * H);
    expect(parseDuration("soon")).toBeNull();
  });

  it("takes the next occurrence of a clock time, allowing a minute for clocks shown to the minute", () => {
    expect(findResetTime("resets 3:31pm (UTC)", NOW)).toBe(Date.UTC(2026, 10, 24, 15, 31));
    expect(findResetTime("resets 3:30pm (UTC)", NOW)).toBe(Date.UTC(2026, 10, 25, 15, 30));
    expect(findResetTime("resets 12am (UTC)", NOW)).toBe(Date.UTC(2026, 10, 25, 0, 0));
    expect(findResetTime("resets 12pm (UTC)", NOW)).toBe(Date.UTC(2026, 10, 25, 12, 0));
    expect(findResetTime("resets at 23:59", NOW)).toBe(local(new Date(local(0, 23, 59)).getTime() + MIN <= NOW ? 1 : 0, 23, 59));
  });

  it("reads a named zone across daylight saving time", () => {
    // Berlin is UTC+1 in November and UTC+2 in July.
    expect(findResetTime("resets Nov 25, 3pm (Europe/Berlin)", NOW)).toBe(Date.UTC(2026, 10, 25, 14));
    expect(findResetTime("resets Jul 1, 2027, 3pm (Europe/Berlin)", NOW)).toBeNull(); // more than 35 days away
    expect(findResetTime("resets Dec 20, 3pm (Europe/Berlin)", NOW)).toBe(Date.UTC(2026, 11, 20, 14));
    expect(findResetTime("resets 3pm (Not/AZone)", NOW)).toBe(local(new Date(local(0, 15)).getTime() + MIN <= NOW ? 1 : 0, 15));
  });

  it("drops times that cannot be a reset: long past, months away, or impossible clocks", () => {
    expect(findResetTime("Claude AI usage limit reached|1000000000", NOW)).toBeNull();
    expect(findResetTime("usage limit reached|4102444800", NOW)).toBeNull();
    expect(findResetTime("resets 13pm", NOW)).toBeNull();
    expect(findResetTime("resets at 25:00", NOW)).toBeNull();
    expect(findResetTime("retry after 2026-11-24T16:00:00Z", NOW)).toBe(Date.UTC(2026, 10, 24, 16));
    expect(findResetTime("Please try again later.", NOW)).toBeNull();
  });

  it("accepts epochs in milliseconds", () => {
    expect(findResetTime("usage limit reached|1795541467123", NOW)).toBe(1795541467123);
  });
});

describe("verdict messages", () => {
  it("says a rate limit and when it resets before the CLI's words", () => {
    expect(describeRateLimit(Date.UTC(2026, 10, 24, 16))).toBe("rate limited by the model provider; resets at 2026-11-24T16:00:00Z");
    expect(describeRateLimit(null)).toBe("rate limited by the model provider; it did not say when it resets");
    expect(failedVerdict("codex reported an error: x", { kind: "rate_limit", retryAt: Date.UTC(2026, 10, 24, 16) })).toEqual({
      status: "failed",
      error: "rate limited by the model provider; resets at 2026-11-24T16:00:00Z — codex reported an error: x",
      kind: "rate_limit",
      retryAt: Date.UTC(2026, 10, 24, 16),
    });
    expect(failedVerdict("bad key", { kind: "bad_config" })).toEqual({ status: "failed", error: "bad key", kind: "bad_config" });
    expect(failedVerdict("boom", null)).toEqual({ status: "failed", error: "boom" });
  });
});

describe("claude's rate-limit events", () => {
  it("shows retries and usage windows as status, and reads the signals the verdict uses", () => {
    const retry = { type: "system", subtype: "api_retry", attempt: 2, max_retries: 10, retry_delay_ms: 2336.2, error_status: 429, error: "rate_limit" };
    expect(parseClaudeEvent(retry)).toEqual([{ kind: "status", text: "API error 429 (rate_limit); retry 2 of 10 in 2.3s" }]);
    const window = { type: "rate_limit_event", rate_limit_info: { status: "rejected", resetsAt: 1795541467, rateLimitType: "five_hour" } };
    expect(parseClaudeEvent(window)).toEqual([{ kind: "status", text: "rate limit rejected (five_hour), resets at 2026-11-24T17:31:07Z" }]);
    expect(readApiSignal(window)).toEqual({ rateLimit: { rejected: true, resetsAt: 1795541467 * S } });
    expect(readApiSignal({ type: "rate_limit_event", rate_limit_info: { status: "allowed_warning", resetsAt: 1 } })).toEqual({ rateLimit: { rejected: false } });
    expect(readApiSignal({ type: "result", api_error_status: 429 })).toEqual({ status: 429 });
    expect(readApiSignal({ type: "assistant", error: "authentication_failed" })).toEqual({ errorClass: "authentication_failed" });
    expect(readApiSignal({ type: "user" })).toBeNull();
    expect(readApiSignal("nope")).toBeNull();
  });
});

describe("the mappers' verdicts", () => {
  const exit = (exitCode: number | null, signal: string | null = null) => ({ exitCode, signal, stoppedAfterFinish: false });
  const feed = (mapper: { stdout(line: string): unknown }, lines: unknown[]) => {
    for (const l of lines) mapper.stdout(JSON.stringify(l));
  };

  it("claude: a rejected usage window gives the exact reset; the status and error class decide the kind", () => {
    const limited = new ClaudeLineMapper(() => NOW);
    feed(limited, [
      { type: "rate_limit_event", rate_limit_info: { status: "rejected", resetsAt: 1795541467, rateLimitType: "five_hour" } },
      { type: "assistant", error: "rate_limit", message: { content: [{ type: "text", text: "You've hit your session limit · resets 5:31pm (UTC)" }] } },
      { type: "result", is_error: true, api_error_status: 429, result: "You've hit your session limit · resets 5:31pm (UTC)" },
    ]);
    expect(limited.verdict(exit(1))).toMatchObject({ kind: "rate_limit", retryAt: 1795541467 * S, error: expect.stringMatching(/^rate limited by the model provider; resets at 2026-11-24T17:31:07Z — claude reported an error: You've hit/) });

    const byKey = new ClaudeLineMapper(() => NOW);
    feed(byKey, [{ type: "result", is_error: true, api_error_status: 429, result: "API Error: Request rejected (429) · Slow down" }]);
    expect(byKey.verdict(exit(1))).toMatchObject({ kind: "rate_limit", retryAt: null });

    const notLoggedIn = new ClaudeLineMapper(() => NOW);
    feed(notLoggedIn, [
      { type: "assistant", error: "authentication_failed", message: { content: [{ type: "text", text: "Not logged in · Please run /login" }] } },
      { type: "result", is_error: true, api_error_status: null, result: "Not logged in · Please run /login" },
    ]);
    expect(notLoggedIn.verdict(exit(1))).toEqual({ status: "failed", error: "claude reported an error: Not logged in · Please run /login", kind: "bad_config" });

    // A window that is allowed again, and a 500 after earlier 429 retries: the agent's (or server's) error.
    const recovered = new ClaudeLineMapper(() => NOW);
    feed(recovered, [
      { type: "rate_limit_event", rate_limit_info: { status: "rejected", resetsAt: 1795541467 } },
      { type: "rate_limit_event", rate_limit_info: { status: "allowed" } },
      { type: "system", subtype: "api_retry", attempt: 1, max_retries: 10, retry_delay_ms: 500, error_status: 429, error: "rate_limit" },
      { type: "assistant", error: "server_error", message: { content: [{ type: "text", text: "API Error: 500 Internal server error" }] } },
      { type: "result", is_error: true, api_error_status: 500, result: "API Error: 500 Internal server error" },
    ]);
    expect(recovered.verdict(exit(1))).toEqual({ status: "failed", error: "claude reported an error: API Error: 500 Internal server error" });

    // Error classes are looked up, not indexed: a name on Object.prototype is no class.
    const odd = new ClaudeLineMapper(() => NOW);
    feed(odd, [{ type: "assistant", error: "constructor", message: { content: [] } }, { type: "result", is_error: true, result: "x" }]);
    expect(odd.verdict(exit(1))).toEqual({ status: "failed", error: "claude reported an error: x" });
  });

  it("codex: the failed turn's words decide, counted from when the turn failed", () => {
    let clock = NOW;
    const mapper = new CodexLineMapper(null, () => clock);
    feed(mapper, [{ type: "turn.failed", error: { message: "rate limit exceeded: Rate limit reached for gpt-5.5. Please try again in 20s." } }]);
    clock += 5 * S;
    expect(mapper.verdict(exit(1))).toMatchObject({ kind: "rate_limit", retryAt: NOW + 20 * S });
    const failed = new CodexLineMapper(null, () => NOW);
    feed(failed, [{ type: "turn.failed", error: { message: "exceeded retry limit, last status: 500 Internal Server Error" } }]);
    expect(failed.verdict(exit(1))).toEqual({ status: "failed", error: "codex reported an error: exceeded retry limit, last status: 500 Internal Server Error" });
  });

  it("gemini: the exit code classes 429 and config errors; delays count from the result's timestamp", () => {
    const limited = new GeminiLineMapper(() => NOW + 10 * S);
    feed(limited, [{ type: "result", timestamp: new Date(NOW).toISOString(), status: "error", error: { message: "[API Error: Slow down.\nSuggested retry after 30s.]" } }]);
    expect(limited.verdict(exit(173))).toMatchObject({ kind: "rate_limit", retryAt: NOW + 30 * S, error: expect.stringMatching(/^rate limited by the model provider; resets at 2026-11-24T15:31:37Z — gemini reported an error: /) });
    expect(new GeminiLineMapper().verdict(exit(41))).toMatchObject({ kind: "bad_config", error: expect.stringContaining("exit code 41: authentication failed") });
    expect(new GeminiLineMapper().verdict(exit(52))).toMatchObject({ kind: "bad_config" });
    expect(new GeminiLineMapper().verdict(exit(1))).toEqual({ status: "failed", error: "the agent ended without a result (exit code 1)" });
    expect(new GeminiLineMapper().verdict(exit(null, "SIGKILL"))).toEqual({ status: "failed", error: "the agent ended without a result (signal SIGKILL)" });
  });
});
