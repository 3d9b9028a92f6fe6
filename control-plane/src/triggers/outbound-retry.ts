/**
 * Retry policy and delivery log for outbound webhooks, pure: no I/O and no clock (time and the
 * jitter sample come in as arguments). A Durable Object keeps one DeliveryLog per delivery, folds
 * each `deliverOnce` result in with `applyAttempt`, persists the log and sets its alarm to
 * `nextAttemptAt`. Unit-tested in outbound.test.ts.
 *
 *   pending ──attempt──▶ delivered                       (2xx)
 *      │                 failed (gone)                   (410: disable the subscription)
 *      └──────────────▶ retrying ──attempt──▶ …          (until a limit below)
 *                        failed (max_attempts | rejected)
 *
 * Which failures are retried, and how often (buildkite `retryable.go` style classification):
 * - no response (timeout, network error), 408, 429, 5xx: up to `maxAttempts` (8: about 11 min of
 *   backoff in expectation, 21 min at most; the 1 h cap bites only with more attempts or Retry-After).
 * - 410 Gone: never; the receiver has said the endpoint is gone for good.
 * - 3xx and every other 4xx: the receiver rejects this URL, payload or signature, which a retry
 *   rarely fixes, but a 404/401 during a deploy or a secret rotation heals within minutes. So these
 *   give up once `maxClientErrorAttempts` (3) attempts in a row were refused this way (at most
 *   30 s of backoff); a 5xx in between resets the count, since the receiver was then not refusing.
 * - 429 and 503 with Retry-After: the next attempt is no earlier than asked, but never later than
 *   the cap (RFC 9110 §10.2.3 allows delta-seconds or an HTTP-date).
 */
import type { DeliveryResult } from "./outbound";

export interface RetryPolicy {
  baseMs: number;
  factor: number;
  capMs: number;
  maxAttempts: number;
  maxClientErrorAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseMs: 10_000,
  factor: 2,
  capMs: 60 * 60_000,
  maxAttempts: 8,
  maxClientErrorAttempts: 3,
};

export type DeliveryStatus = "pending" | "delivered" | "retrying" | "failed";

/**
 * Why a delivery failed for good. `gone` also means: disable the subscription. `disabled`: its
 * subscription was switched off (by a 410 to another delivery, or an admin) before its turn.
 */
export type FailReason = "gone" | "max_attempts" | "rejected" | "disabled";

export interface AttemptRecord {
  attempt: number;
  /** Epoch ms when the attempt finished. */
  at: number;
  status: number;
  durationMs: number;
  error: string | null;
  responseSnippet: string;
}

/** One event to one subscription. `attempts` is bounded by the policy's `maxAttempts`. */
export interface DeliveryLog {
  deliveryId: string;
  eventId: string;
  url: string;
  /** Attempts made so far. */
  attempt: number;
  status: DeliveryStatus;
  lastStatus: number | null;
  lastError: string | null;
  /** Epoch ms of the next attempt; null once delivered or failed. */
  nextAttemptAt: number | null;
  failReason: FailReason | null;
  disableSubscription: boolean;
  attempts: AttemptRecord[];
}

export type AttemptResult = Pick<DeliveryResult, "ok" | "status" | "durationMs" | "error" | "responseSnippet" | "retryAfter">;

/** A fresh log whose first attempt is due at `now`. */
export function createDeliveryLog(init: { deliveryId: string; eventId: string; url: string }, now: number): DeliveryLog {
  return {
    ...init,
    attempt: 0,
    status: "pending",
    lastStatus: null,
    lastError: null,
    nextAttemptAt: now,
    failReason: null,
    disableSubscription: false,
    attempts: [],
  };
}

/**
 * Epoch ms of the next attempt after `attempt` (≥ 1) attempts failed: exponential backoff with
 * full jitter, uniform in [now, now + min(cap, base · factor^(attempt−1))).
 * `rand` is one uniform sample in [0, 1), e.g. `Math.random()`.
 * See https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/.
 */
export function nextRetryAt(attempt: number, now: number, rand: number, policy: RetryPolicy = DEFAULT_RETRY_POLICY): number {
  const window = Math.min(policy.capMs, policy.baseMs * policy.factor ** Math.max(0, attempt - 1));
  const sample = Math.min(Math.max(rand, 0), 1 - Number.EPSILON);
  return now + Math.floor(sample * window);
}

/** Retry-After as a delay in ms from `now`, or null when absent or unparseable. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // All three HTTP-date forms start with a day name; V8's lenient Date.parse would take "-1" as a year.
  const date = /^[A-Za-z]/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** A 3xx or a 4xx other than 408, 410 and 429: the receiver refused (see header). */
export function isRefusal(status: number): boolean {
  if (status >= 300 && status < 400) return true;
  return status >= 400 && status < 500 && status !== 408 && status !== 410 && status !== 429;
}

/**
 * Folds one attempt's result into the log. Returns the log unchanged when it is already
 * delivered or failed, so a duplicate alarm cannot revive it. `now` is epoch ms.
 */
export function applyAttempt(
  log: DeliveryLog,
  result: AttemptResult,
  now: number,
  rand: number,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
): DeliveryLog {
  if (log.status === "delivered" || log.status === "failed") return log;
  const attempt = log.attempt + 1;
  const error = result.ok ? null : (result.error ?? `HTTP ${result.status}`);
  const record: AttemptRecord = {
    attempt,
    at: now,
    status: result.status,
    durationMs: result.durationMs,
    error,
    responseSnippet: result.responseSnippet,
  };
  const next = { ...log, attempt, lastStatus: result.status, lastError: error, attempts: [...log.attempts, record] };

  if (result.ok) return { ...next, status: "delivered", nextAttemptAt: null };
  if (result.status === 410) return fail(next, "gone");
  if (attempt >= policy.maxAttempts) return fail(next, "max_attempts");
  if (isRefusal(result.status) && trailingRefusals(next.attempts) >= policy.maxClientErrorAttempts) return fail(next, "rejected");

  let at = nextRetryAt(attempt, now, rand, policy);
  if (result.status === 429 || result.status === 503) {
    const asked = parseRetryAfter(result.retryAfter, now);
    if (asked !== null) at = Math.max(at, now + Math.min(asked, policy.capMs));
  }
  return { ...next, status: "retrying", nextAttemptAt: at };
}

/** Ends a delivery that will not be attempted again: its subscription was switched off. */
export function abandonDelivery(log: DeliveryLog, error: string): DeliveryLog {
  if (log.status === "delivered" || log.status === "failed") return log;
  return { ...fail(log, "disabled"), lastError: error };
}

function fail(log: DeliveryLog, reason: FailReason): DeliveryLog {
  return { ...log, status: "failed", nextAttemptAt: null, failReason: reason, disableSubscription: reason === "gone" };
}

function trailingRefusals(attempts: AttemptRecord[]): number {
  return attempts.length - 1 - attempts.findLastIndex((a) => !isRefusal(a.status));
}
