/**
 * Classifies why an agent CLI's run failed from the text it reported (error message, result
 * text, stderr tail): the model provider refused for now (`rate_limit`, with when it resets, see
 * rate-limit-time.ts) or the runtime is set up wrong (`bad_config`: credentials, unknown model).
 * Anything else stays the agent's own error. The claude, codex and gemini mappers call it in
 * verdict(), next to what their CLI's structured events say. Pure: the clock is an argument.
 *
 * The control plane parks a rate-limited task until it resets instead of spending retries, so
 * the patterns are the CLIs' and providers' own phrases (checked against Claude Code 2.1, Codex
 * 0.169 and Gemini CLI 0.61 answering HTTP 429/401/404), never a bare "limit".
 */
import type { RunVerdict } from "./agent-process";
import { findResetTime } from "./rate-limit-time";

export { findResetTime, parseDuration } from "./rate-limit-time";

export interface RateLimit {
  /** When the provider accepts work again (ms since epoch), or null when it did not say. */
  retryAt: number | null;
}

export type FailureClass = ({ kind: "rate_limit" } & RateLimit) | { kind: "bad_config" };

const RATE_LIMIT: RegExp[] = [
  // "last status: 429 Too Many Requests" (codex), "Request rejected (429)" (claude), "code":429.
  /\b(?:status|code|http|error|rejected)\W{0,3}429(?!\d)|\(429\)|\b429 too many requests\b/i,
  /\btoo many requests\b/i,
  /\brate[ _-]?limited\b|\brate[ _-]?limit[ _-]?(?:exceeded|reached|error|hit)\b|\bexceed(?:s|ed)? (?:the |your )?(?:rate|usage) limit/i,
  // "You've hit your session limit · resets 5pm", "You’ve hit your usage limit", "5-hour limit reached".
  /\b(?:hit|reached) your (?:[\w'’-]+ ){0,3}limit\b/i,
  /\b(?:usage|session|weekly|daily|monthly|opus|sonnet|spend|\d+[ -]hours?) limit (?:reached|hit|exceeded|has been reached)\b/i,
  /\busage_limit_reached\b|\btemporarily limiting requests\b/i,
  /\bquota (?:exceeded|exhausted)\b|\bexceeded your (?:current )?quota\b|\bexhausted your (?:\w+ )?(?:quota|capacity)\b|\binsufficient_quota\b/i,
  /\bresource[_ ]exhausted\b|\bresource has been exhausted\b|\bmodel_capacity_exhausted\b/i,
  /\bout of (?:usage )?credits\b|\bcredit balance (?:is )?too low\b|\busage credits are required\b/i,
];

const BAD_CONFIG: RegExp[] = [
  /\b(?:status|code|http|error)\W{0,3}40[13](?!\d)|\b401 unauthori[sz]ed\b|\b403 forbidden\b/i,
  /\binvalid (?:x-)?api[ _-]?key\b|\bincorrect api key\b|\bapi key not valid\b|\binvalid_api_key\b|\bapi_key_invalid\b/i,
  /\bauthentication[_ ](?:error|failed)\b|\bfailed to authenticate\b|\bunauthenticated\b|\binvalid authentication credentials\b/i,
  /\bplease run \/login\b|\bnot logged in\b|\bcodex login\b|\b(?:log|sign) in again\b|\boauth token (?:has )?(?:expired|been revoked|revoked)\b/i,
  /\bmust specify the \w+ environment variable\b|\bmissing environment variable:? `?\w*(?:key|token)\b|\b(?:missing|no) api key\b/i,
  // Unknown model: Anthropic and OpenAI 404 bodies, Claude Code's and Gemini's own wording.
  /\bmodel_not_found\b|\bissue with the selected model\b|\bunknown model\b|\bmodels\/[\w.-]+ is not found\b|\bmodel not found\b/i,
  /\bthe model `?[^`\s]{1,100}`? does not exist\b/i,
];

/** Whether the text reports a rate or usage limit. */
export function isRateLimitText(text: string): boolean {
  return RATE_LIMIT.some((re) => re.test(text));
}

/** Whether the text reports a credentials or model problem a person must fix. */
export function isBadConfigText(text: string): boolean {
  return BAD_CONFIG.some((re) => re.test(text));
}

/** A rate or usage limit with when it resets, or null when the text reports none. */
export function detectRateLimit(text: string, now: number): RateLimit | null {
  return isRateLimitText(text) ? { retryAt: findResetTime(text, now) } : null;
}

/** The failure's class by its text (a rate limit wins over a config problem), or null for the agent's own error. */
export function classifyFailureText(text: string, now: number): FailureClass | null {
  const limit = detectRateLimit(text, now);
  if (limit) return { kind: "rate_limit", ...limit };
  return isBadConfigText(text) ? { kind: "bad_config" } : null;
}

/** "rate limited by the model provider; resets at 2026-11-24T16:00:00Z". */
export function describeRateLimit(retryAt: number | null): string {
  const when = retryAt === null ? "it did not say when it resets" : `resets at ${new Date(retryAt).toISOString().replace(/\.\d{3}Z$/, "Z")}`;
  return `rate limited by the model provider; ${when}`;
}

/** A failed verdict for `error` in class `cls`: a rate limit says so (and when it resets) before the CLI's words. */
export function failedVerdict(error: string, cls: FailureClass | null): RunVerdict {
  if (cls === null) return { status: "failed", error };
  if (cls.kind === "bad_config") return { status: "failed", error, kind: "bad_config" };
  return { status: "failed", error: `${describeRateLimit(cls.retryAt)} — ${error}`, kind: "rate_limit", retryAt: cls.retryAt };
}

/** The class an HTTP status the CLI reported means, if it means one. */
export function classOfHttpStatus(status: number | null): FailureClass["kind"] | null {
  if (status === 429) return "rate_limit";
  if (status === 401 || status === 403 || status === 404) return "bad_config";
  return null;
}
