/**
 * Authenticity checks for inbound webhooks, in Web Crypto only so they run in Workers and Node.
 * The webhook routes call these on the raw body bytes before parsing anything.
 *
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`
 * (https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries).
 *
 * Our generic JSON hooks, modelled on Stripe's `Stripe-Signature`:
 *   `X-Multica-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`
 * The timestamp is inside the signed bytes, so it cannot be swapped without the secret, and a
 * delivery older (or newer) than the tolerance is refused: a captured request cannot be replayed
 * later. Several `v1=` entries may be sent while a secret is being rotated; one match is enough.
 *
 * Comparison is `crypto.subtle.verify`, which checks the MAC in constant time: our code never
 * compares secret-derived bytes itself.
 */

export const GITHUB_SIGNATURE_HEADER = "X-Hub-Signature-256";
export const GENERIC_SIGNATURE_HEADER = "X-Multica-Signature";
/** Generic deliveries further than this from our clock are refused (Stripe's default too). */
export const DEFAULT_TOLERANCE_MS = 5 * 60 * 1000;
/** More `v1=` entries than this is not a rotation, it is someone fishing: refuse the header. */
const MAX_GENERIC_SIGNATURES = 4;

/** Why a signature was refused; stable codes a route can log and answer with a 401. */
export type SignatureFailure =
  | "missing_signature"
  | "unsupported_algorithm"
  | "malformed_signature"
  | "missing_timestamp"
  | "timestamp_too_old"
  | "timestamp_in_future"
  | "signature_mismatch";

export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure };

const encoder = new TextEncoder();
const HEX_SHA256 = /^[0-9a-f]{64}$/i;

// Return type inferred: Workers types name it CryptoKey, Node types webcrypto.CryptoKey (tests import this module).
function importHmacKey(secret: string) {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const bytesToHex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** The bytes a generic signature covers: `"<t>."` followed by the raw body, never re-encoded. */
function genericSignedBytes(timestamp: number, rawBody: Uint8Array): Uint8Array {
  const prefix = encoder.encode(`${timestamp}.`);
  const out = new Uint8Array(prefix.length + rawBody.length);
  out.set(prefix);
  out.set(rawBody, prefix.length);
  return out;
}

/** Verify GitHub's `X-Hub-Signature-256` header against the raw request body. */
export async function verifyGitHubSignature(secret: string, rawBody: Uint8Array, header: string | null): Promise<SignatureCheck> {
  if (header === null || header.trim() === "") return { ok: false, reason: "missing_signature" };
  const value = header.trim();
  const eq = value.indexOf("=");
  if (eq < 0 || value.slice(0, eq) !== "sha256") return { ok: false, reason: "unsupported_algorithm" };
  const hex = value.slice(eq + 1);
  if (!HEX_SHA256.test(hex)) return { ok: false, reason: "malformed_signature" };
  const key = await importHmacKey(secret);
  const ok = await crypto.subtle.verify("HMAC", key, hexToBytes(hex), rawBody);
  return ok ? { ok: true } : { ok: false, reason: "signature_mismatch" };
}

/** The `X-Multica-Signature` value for `rawBody` sent at `timestamp` (unix seconds). */
export async function signGeneric(secret: string, timestamp: number, rawBody: Uint8Array): Promise<string> {
  const key = await importHmacKey(secret);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, genericSignedBytes(timestamp, rawBody)));
  return `t=${timestamp},v1=${bytesToHex(mac)}`;
}

/** `t=…,v1=…[,v1=…]` → its parts; unknown keys (future schemes like `v2=`) are skipped. */
function parseGenericHeader(header: string): { timestamp: number | null; signatures: string[] } {
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === "t" && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    else if (key === "v1") signatures.push(value);
  }
  return { timestamp, signatures };
}

/**
 * Verify an `X-Multica-Signature` header: the MAC first (so a refusal for age is only ever said
 * of an authentic delivery), then the timestamp against `now` (ms since the epoch) ± `toleranceMs`.
 */
export async function verifyGeneric(
  secret: string,
  headers: { signature: string | null },
  rawBody: Uint8Array,
  now: number,
  toleranceMs: number = DEFAULT_TOLERANCE_MS,
): Promise<SignatureCheck> {
  const header = headers.signature;
  if (header === null || header.trim() === "") return { ok: false, reason: "missing_signature" };
  const { timestamp, signatures } = parseGenericHeader(header);
  if (timestamp === null) return { ok: false, reason: "missing_timestamp" };
  if (signatures.length === 0) return { ok: false, reason: "unsupported_algorithm" };
  if (signatures.length > MAX_GENERIC_SIGNATURES || !signatures.every((s) => HEX_SHA256.test(s))) {
    return { ok: false, reason: "malformed_signature" };
  }
  const key = await importHmacKey(secret);
  const signed = genericSignedBytes(timestamp, rawBody);
  let matched = false;
  // Check every candidate (no early exit), so timing does not say which one matched.
  for (const hex of signatures) if (await crypto.subtle.verify("HMAC", key, hexToBytes(hex), signed)) matched = true;
  if (!matched) return { ok: false, reason: "signature_mismatch" };
  const age = now - timestamp * 1000;
  if (age > toleranceMs) return { ok: false, reason: "timestamp_too_old" };
  if (-age > toleranceMs) return { ok: false, reason: "timestamp_in_future" };
  return { ok: true };
}

/** Largest webhook body we read. GitHub issue, comment and PR deliveries are far smaller. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

export type BodyRead =
  | { ok: true; body: Uint8Array }
  | { ok: false; status: 413; reason: "payload_too_large"; message: string };

/**
 * Read a request body as raw bytes (what the signature covers), refusing more than `limit` bytes:
 * first by `Content-Length` without reading anything, then by counting while reading, since the
 * header may be absent (chunked) or lie. Stops reading as soon as the limit is passed.
 */
export async function readBodyWithLimit(request: Request, limit: number = MAX_WEBHOOK_BODY_BYTES): Promise<BodyRead> {
  const tooLarge = { ok: false, status: 413, reason: "payload_too_large", message: `body is larger than ${limit} bytes` } as const;
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > limit) return tooLarge;
  if (request.body === null) return { ok: true, body: new Uint8Array(0) };

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      return tooLarge;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, body };
}
