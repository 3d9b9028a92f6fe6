/**
 * Outbound webhooks: real HTTP against a local node:http receiver (which checks signatures with
 * node:crypto, independently of the Web Crypto signer), and the pure retry policy with a fake clock.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createEvent, deliverOnce, newDeliveryId, OUTBOUND_EVENT_TYPES, SNIPPET_BYTES, type OutboundEvent } from "./outbound";
import {
  applyAttempt,
  createDeliveryLog,
  DEFAULT_RETRY_POLICY,
  nextRetryAt,
  parseRetryAfter,
  type AttemptResult,
  type DeliveryLog,
} from "./outbound-retry";

const SECRET = "whsec_test_secret";
const TIMEOUT_MS = 300;
const T0 = Date.UTC(2026, 0, 1);

/** What the receiver does with one request: answer, or never answer. */
type Reply = { status: number; headers?: Record<string, string>; body?: string } | "hang";

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  signatureValid: boolean;
}

/** Verifies `t=…,v1=…` the way a receiver would: HMAC of "<t>.<body>", constant-time, t within 5 min. */
function verifySignature(header: string | undefined, body: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? "");
  if (!match) return false;
  const [, t, v1] = match as unknown as [string, string, string];
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = createHmac("sha256", SECRET).update(`${t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, "hex"));
}

let server: Server;
let base: string;
let script: Reply[];
let received: Received[];

function reply(res: ServerResponse, r: Reply): void {
  if (r === "hang") return;
  res.writeHead(r.status, r.headers).end(r.body ?? "");
}

beforeEach(async () => {
  script = [];
  received = [];
  server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      const signature = req.headers["x-multica-signature"];
      const signatureValid = verifySignature(typeof signature === "string" ? signature : undefined, body);
      received.push({ path: req.url ?? "", headers: req.headers, body, signatureValid });
      reply(res, script.shift() ?? { status: 200, body: "ok" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function event(): OutboundEvent {
  return createEvent("task.succeeded", "ws_test", { taskId: "tsk_1", issueId: "iss_1" }, T0);
}

/** Drives one delivery to the end: real requests, fake clock jumping to each `nextAttemptAt`. */
async function runDelivery(url: string, rand = 0.5): Promise<{ log: DeliveryLog; clocks: number[] }> {
  const ev = event();
  let log = createDeliveryLog({ deliveryId: newDeliveryId(), eventId: ev.id, url }, T0);
  const clocks: number[] = [];
  while (log.nextAttemptAt !== null) {
    const clock = log.nextAttemptAt;
    clocks.push(clock);
    const result = await deliverOnce({ url, secret: SECRET }, ev, { deliveryId: log.deliveryId, timeoutMs: TIMEOUT_MS });
    log = applyAttempt(log, result, clock + result.durationMs, rand);
  }
  return { log, clocks };
}

function failure(status: number, extra: Partial<AttemptResult> = {}): AttemptResult {
  return { ok: false, status, durationMs: 5, error: `HTTP ${status}`, responseSnippet: "", ...extra };
}

describe("deliverOnce + applyAttempt over real HTTP", () => {
  it("delivers on the third attempt after a 500 and a timeout, signed, with one delivery id", async () => {
    script = [{ status: 500, body: "boom" }, "hang", { status: 204 }];
    const { log, clocks } = await runDelivery(`${base}/hook`);

    expect(log.status).toBe("delivered");
    expect(log.attempt).toBe(3);
    expect(log.nextAttemptAt).toBeNull();
    expect(log.attempts.map((a) => a.status)).toEqual([500, 0, 204]);
    expect(log.attempts[0]).toMatchObject({ error: "HTTP 500", responseSnippet: "boom" });
    expect(log.attempts[1]?.error).toBe(`timed out after ${TIMEOUT_MS} ms`);
    expect(log.attempts[1]?.durationMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    // Backoff windows are 10 s then 20 s; rand 0.5 puts each retry halfway.
    expect(clocks[1]! - clocks[0]!).toBeGreaterThanOrEqual(5_000);
    expect(clocks[2]! - clocks[1]!).toBeGreaterThanOrEqual(10_000);

    expect(received).toHaveLength(3);
    expect(received.every((r) => r.signatureValid)).toBe(true);
    expect(new Set(received.map((r) => r.headers["x-multica-delivery"]))).toEqual(new Set([log.deliveryId]));
    const first = received[0]!;
    expect(first.headers["content-type"]).toBe("application/json");
    expect(first.headers["user-agent"]).toBe("Multica-Webhooks/1");
    expect(first.headers["x-multica-event"]).toBe("task.succeeded");
    expect(JSON.parse(first.body)).toEqual({
      id: log.eventId,
      type: "task.succeeded",
      workspaceId: "ws_test",
      createdAt: "2026-01-01T00:00:00.000Z",
      data: { taskId: "tsk_1", issueId: "iss_1" },
    });
  });

  it("stops at once on 410 Gone and asks for the subscription to be disabled", async () => {
    script = [{ status: 410 }];
    const { log } = await runDelivery(`${base}/hook`);
    expect(log).toMatchObject({ status: "failed", failReason: "gone", disableSubscription: true, attempt: 1, nextAttemptAt: null });
    expect(received).toHaveLength(1);
  });

  it("treats a 301 as a failure and does not follow it", async () => {
    script = [{ status: 301, headers: { location: `${base}/moved` } }];
    const ev = event();
    const result = await deliverOnce({ url: `${base}/hook`, secret: SECRET }, ev, { deliveryId: newDeliveryId(), timeoutMs: TIMEOUT_MS });
    expect(result).toMatchObject({ ok: false, status: 301, error: `redirect 301 not followed (Location: ${base}/moved)` });
    expect(received.map((r) => r.path)).toEqual(["/hook"]);
  });

  it("gives up after three refusals (3xx/4xx), not eight", async () => {
    script = [{ status: 404 }, { status: 301, headers: { location: "/x" } }, { status: 401 }, { status: 200 }];
    const { log } = await runDelivery(`${base}/hook`);
    expect(log).toMatchObject({ status: "failed", failReason: "rejected", disableSubscription: false, attempt: 3 });
  });

  it("fails for good after max attempts of 500s", async () => {
    script = Array.from({ length: 10 }, () => ({ status: 500 }));
    const { log } = await runDelivery(`${base}/hook`);
    expect(log).toMatchObject({ status: "failed", failReason: "max_attempts", attempt: DEFAULT_RETRY_POLICY.maxAttempts });
    expect(received).toHaveLength(DEFAULT_RETRY_POLICY.maxAttempts);
    expect(log.lastError).toBe("HTTP 500");
  });

  it("honours Retry-After on a real 429", async () => {
    script = [{ status: 429, headers: { "retry-after": "120" } }];
    const result = await deliverOnce({ url: `${base}/hook`, secret: SECRET }, event(), { deliveryId: newDeliveryId(), timeoutMs: TIMEOUT_MS });
    expect(result.retryAfter).toBe("120");
    const log = applyAttempt(createDeliveryLog({ deliveryId: "dlv_1", eventId: "evt_1", url: base }, T0), result, T0, 0);
    expect(log).toMatchObject({ status: "retrying", nextAttemptAt: T0 + 120_000 });
  });

  it("bounds the response snippet to 1 KiB", async () => {
    script = [{ status: 500, body: "é".repeat(5000) }];
    const result = await deliverOnce({ url: `${base}/hook`, secret: SECRET }, event(), { deliveryId: newDeliveryId(), timeoutMs: TIMEOUT_MS });
    expect(new TextEncoder().encode(result.responseSnippet).byteLength).toBeLessThanOrEqual(SNIPPET_BYTES);
    expect(result.responseSnippet).toBe("é".repeat(SNIPPET_BYTES / 2));
  });

  it("reports a refused connection as status 0 and retries it", async () => {
    // A port that was just free: listen, note it, close.
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(spare.address() as AddressInfo).port}/hook`;
    await new Promise<void>((resolve) => spare.close(() => resolve()));
    const result = await deliverOnce({ url, secret: SECRET }, event(), { deliveryId: newDeliveryId(), timeoutMs: TIMEOUT_MS });
    expect(result).toMatchObject({ ok: false, status: 0 });
    expect(result.error).toMatch(/^request failed: .*ECONNREFUSED/);
    const log = applyAttempt(createDeliveryLog({ deliveryId: "dlv_1", eventId: "evt_1", url }, T0), result, T0, 0.5);
    expect(log.status).toBe("retrying");
  });
});

describe("nextRetryAt", () => {
  it("stays within the full-jitter window of each attempt", () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const window = Math.min(3_600_000, 10_000 * 2 ** (attempt - 1));
      expect(nextRetryAt(attempt, T0, 0)).toBe(T0);
      expect(nextRetryAt(attempt, T0, 0.5)).toBe(T0 + window / 2);
      const top = nextRetryAt(attempt, T0, 0.999999) - T0;
      expect(top).toBeLessThan(window);
      expect(top).toBeGreaterThan(window * 0.999);
    }
  });

  it("caps the window at one hour, even for absurd attempt numbers", () => {
    expect(nextRetryAt(9, T0, 0.999999) - T0).toBeLessThan(3_600_000);
    expect(nextRetryAt(10_000, T0, 0.999999) - T0).toBeLessThan(3_600_000);
    expect(nextRetryAt(10_000, T0, 0.999999) - T0).toBeGreaterThan(3_599_000);
    expect(nextRetryAt(3, T0, 1) - T0).toBeLessThan(40_000); // rand is clamped below 1
  });
});

describe("applyAttempt", () => {
  const fresh = () => createDeliveryLog({ deliveryId: "dlv_1", eventId: "evt_1", url: "https://example.test/hook" }, T0);

  it("starts pending and due now", () => {
    expect(fresh()).toMatchObject({ status: "pending", attempt: 0, nextAttemptAt: T0, attempts: [] });
  });

  it("honours Retry-After (seconds or HTTP-date) on 429/503 within the cap, not on 500", () => {
    expect(applyAttempt(fresh(), failure(503, { retryAfter: "90" }), T0, 0.5).nextAttemptAt).toBe(T0 + 90_000);
    const date = new Date(T0 + 300_000).toUTCString();
    expect(applyAttempt(fresh(), failure(429, { retryAfter: date }), T0, 0).nextAttemptAt).toBe(T0 + 300_000);
    expect(applyAttempt(fresh(), failure(429, { retryAfter: "86400" }), T0, 0).nextAttemptAt).toBe(T0 + 3_600_000);
    // A Retry-After shorter than the backoff does not bring the retry forward.
    expect(applyAttempt(fresh(), failure(429, { retryAfter: "1" }), T0, 0.5).nextAttemptAt).toBe(T0 + 5_000);
    expect(applyAttempt(fresh(), failure(500, { retryAfter: "600" }), T0, 0.5).nextAttemptAt).toBe(T0 + 5_000);
    expect(applyAttempt(fresh(), failure(429, { retryAfter: "soon" }), T0, 0.5).nextAttemptAt).toBe(T0 + 5_000);
  });

  it("parses Retry-After forms", () => {
    expect(parseRetryAfter("  30 ", T0)).toBe(30_000);
    expect(parseRetryAfter(new Date(T0 - 5_000).toUTCString(), T0)).toBe(0);
    expect(parseRetryAfter(undefined, T0)).toBeNull();
    expect(parseRetryAfter("-1", T0)).toBeNull();
  });

  it("retries 408 and 429 like server errors, and a 5xx resets the refusal count", () => {
    let log = fresh();
    for (const status of [408, 429, 404, 500, 404, 404]) log = applyAttempt(log, failure(status), T0, 0.5);
    expect(log).toMatchObject({ status: "retrying", attempt: 6 });
    log = applyAttempt(log, failure(422), T0, 0.5);
    expect(log).toMatchObject({ status: "failed", failReason: "rejected", attempt: 7 });
  });

  it("ignores attempts after the delivery is settled", () => {
    const ok: AttemptResult = { ok: true, status: 200, durationMs: 3, responseSnippet: "" };
    const delivered = applyAttempt(fresh(), ok, T0, 0.5);
    expect(delivered).toMatchObject({ status: "delivered", lastStatus: 200, lastError: null });
    expect(applyAttempt(delivered, failure(500), T0 + 1, 0.5)).toBe(delivered);
    const failed = applyAttempt(fresh(), failure(410), T0, 0.5);
    expect(applyAttempt(failed, ok, T0 + 1, 0.5)).toBe(failed);
  });

  it("does not mutate the log it is given", () => {
    const log = fresh();
    const snapshot = structuredClone(log);
    applyAttempt(log, failure(500), T0, 0.5);
    expect(log).toEqual(snapshot);
  });
});

describe("event types", () => {
  it("lists every type once", () => {
    expect(new Set(OUTBOUND_EVENT_TYPES).size).toBe(8);
    expect(OUTBOUND_EVENT_TYPES).toContain("skill.proposed");
  });
});
