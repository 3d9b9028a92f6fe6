/**
 * Outbound event webhooks, one delivery attempt: the event envelope, its signature and a single
 * POST with a timeout. Only `fetch` and Web Crypto are used, so the same code runs in the Worker
 * and in Node. What happens after a failed attempt (backoff, giving up) is the pure policy in
 * outbound-retry.ts; a Durable Object keeps the DeliveryLog and calls `deliverOnce` from its alarm.
 *
 * Receivers verify `X-Multica-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`
 * (the format inbound generic hooks use too) and dedupe on `X-Multica-Delivery`, which stays the
 * same on every attempt of one delivery. The timestamp is fresh on every attempt so receivers can
 * reject old replays.
 */
import { randomString } from "@multica/shared";

/** Every event type a subscription can receive. */
export const OUTBOUND_EVENT_TYPES = [
  "issue.created",
  "issue.updated",
  "task.started",
  "task.succeeded",
  "task.failed",
  "task.cancelled",
  "comment.added",
  "skill.proposed",
] as const;

export type OutboundEventType = (typeof OUTBOUND_EVENT_TYPES)[number];

/** What an envelope can carry: a subscribed event, or the `ping` an admin's test sends to one subscription. */
export type EnvelopeType = OutboundEventType | "ping";

/** The JSON body of every delivery. `createdAt` is an ISO 8601 timestamp. */
export interface OutboundEvent<T = unknown> {
  id: string;
  type: EnvelopeType;
  workspaceId: string;
  createdAt: string;
  data: T;
}

export interface Subscription {
  url: string;
  secret: string;
}

export interface DeliverOptions {
  /** Same value on every attempt of one delivery (see `newDeliveryId`). */
  deliveryId: string;
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Clock for the signature timestamp, epoch ms; defaults to Date.now. */
  now?: () => number;
}

export interface DeliveryResult {
  ok: boolean;
  /** HTTP status, or 0 when no response arrived (timeout, network error). */
  status: number;
  durationMs: number;
  error?: string;
  /** At most SNIPPET_BYTES of the response body, decoded as UTF-8. */
  responseSnippet: string;
  /** The raw Retry-After header, if the receiver sent one. */
  retryAfter?: string;
}

export const SIGNATURE_HEADER = "X-Multica-Signature";
export const USER_AGENT = "Multica-Webhooks/1";
export const SNIPPET_BYTES = 1024;

/** A new event envelope; `now` is epoch ms. */
export function createEvent<T>(type: EnvelopeType, workspaceId: string, data: T, now: number): OutboundEvent<T> {
  return { id: `evt_${randomString(20)}`, type, workspaceId, createdAt: new Date(now).toISOString(), data };
}

/** A new delivery id: one per (event, subscription), kept across retries. */
export function newDeliveryId(): string {
  return `dlv_${randomString(20)}`;
}

/** `t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export async function signPayload(secret: string, body: string, timestampSeconds: number): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, enc.encode(`${timestampSeconds}.${body}`));
  const hex = [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `t=${timestampSeconds},v1=${hex}`;
}

/** Headers for one attempt. The body must be sent byte for byte as signed. */
export async function buildHeaders(
  secret: string,
  event: OutboundEvent,
  deliveryId: string,
  body: string,
  nowMs: number,
): Promise<Record<string, string>> {
  return {
    "Content-Type": "application/json",
    "User-Agent": USER_AGENT,
    "X-Multica-Event": event.type,
    "X-Multica-Delivery": deliveryId,
    [SIGNATURE_HEADER]: await signPayload(secret, body, Math.floor(nowMs / 1000)),
  };
}

/**
 * One POST of `event` to `subscription.url`. Never throws: every failure is in the result.
 * 2xx is success. Redirects are not followed (a receiver that moved must be re-registered, and
 * following would re-send a signed body to a host the user never chose), so a 3xx is a failure.
 * The timeout covers the whole exchange; a body still streaming when it fires is cut short.
 */
export async function deliverOnce(subscription: Subscription, event: OutboundEvent, opts: DeliverOptions): Promise<DeliveryResult> {
  const doFetch = opts.fetch ?? fetch;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, opts.timeoutMs);
  try {
    const body = JSON.stringify(event);
    const headers = await buildHeaders(subscription.secret, event, opts.deliveryId, body, (opts.now ?? Date.now)());
    let res: Response;
    try {
      res = await doFetch(subscription.url, { method: "POST", headers, body, redirect: "manual", signal: controller.signal });
    } catch (err) {
      const error = timedOut ? `timed out after ${opts.timeoutMs} ms` : `request failed: ${errorMessage(err)}`;
      return { ok: false, status: 0, durationMs: elapsed(), error, responseSnippet: "" };
    }
    const responseSnippet = await readSnippet(res);
    const retryAfter = res.headers.get("retry-after") ?? undefined;
    const result = { status: res.status, durationMs: elapsed(), responseSnippet, ...(retryAfter ? { retryAfter } : {}) };
    if (res.status >= 200 && res.status < 300) return { ok: true, ...result };
    // With redirect: "manual", Workers and Node (undici) hand back the 3xx itself.
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get("location");
      return { ok: false, ...result, error: `redirect ${res.status} not followed${location ? ` (Location: ${location})` : ""}` };
    }
    return { ok: false, ...result, error: `HTTP ${res.status}` };
  } catch (err) {
    // Only signing can get here (e.g. Web Crypto refusing the key).
    return { ok: false, status: 0, durationMs: elapsed(), error: errorMessage(err), responseSnippet: "" };
  } finally {
    clearTimeout(timer);
  }
}

/** Reads at most SNIPPET_BYTES of the body, then cancels the rest so the connection is freed. */
async function readSnippet(res: Response): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const buf = new Uint8Array(SNIPPET_BYTES);
  let filled = 0;
  try {
    while (filled < SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.byteLength, SNIPPET_BYTES - filled);
      buf.set(value.subarray(0, take), filled);
      filled += take;
    }
  } catch {
    // Aborted or reset mid-body: the status already arrived, keep what was read.
  }
  reader.cancel().catch(() => {});
  // `stream: true` holds back a multi-byte character cut at the limit instead of emitting U+FFFD.
  return new TextDecoder().decode(buf.subarray(0, filled), { stream: true });
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    // undici hides the useful part (ECONNREFUSED, …) in `cause`.
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return `${err.message}${cause}`;
  }
  return String(err);
}
