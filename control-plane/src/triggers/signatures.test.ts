// Webhook signatures: GitHub's documented test vector, a real (trimmed) delivery signed here,
// every way a header can be wrong, generic replay protection, and the body size limit.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MAX_WEBHOOK_BODY_BYTES, readBodyWithLimit, signGeneric, verifyGeneric, verifyGitHubSignature } from "./signatures";

const bytes = (s: string) => new TextEncoder().encode(s);
const SECRET = "whsec_test_0123456789";

// octokit/webhooks payload-examples/api.github.com/issues/opened.payload.json, trimmed to a few fields.
const issuesOpened = JSON.stringify({
  action: "opened",
  issue: {
    html_url: "https://github.com/Codertocat/Hello-World/issues/1",
    number: 1,
    title: "Spelling error in the README file",
    body: "It looks like you accidently spelled 'commit' with two 't's.",
  },
  sender: { login: "Codertocat", type: "User" },
});
const githubHeader = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

describe("verifyGitHubSignature", () => {
  it("accepts GitHub's documented test vector", async () => {
    // https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    expect(await verifyGitHubSignature("It's a Secret to Everybody", bytes("Hello, World!"), header)).toEqual({ ok: true });
  });

  it("accepts a delivery signed with the hook's secret, hex in either case", async () => {
    const header = githubHeader(SECRET, issuesOpened);
    expect(await verifyGitHubSignature(SECRET, bytes(issuesOpened), header)).toEqual({ ok: true });
    expect(await verifyGitHubSignature(SECRET, bytes(issuesOpened), `sha256=${header.slice(7).toUpperCase()}`)).toEqual({ ok: true });
  });

  it("refuses a missing or empty header", async () => {
    expect(await verifyGitHubSignature(SECRET, bytes(issuesOpened), null)).toEqual({ ok: false, reason: "missing_signature" });
    expect(await verifyGitHubSignature(SECRET, bytes(issuesOpened), "  ")).toEqual({ ok: false, reason: "missing_signature" });
  });

  it("refuses another algorithm, including the legacy X-Hub-Signature sha1", async () => {
    const sha1 = `sha1=${createHmac("sha1", SECRET).update(issuesOpened).digest("hex")}`;
    expect(await verifyGitHubSignature(SECRET, bytes(issuesOpened), sha1)).toEqual({ ok: false, reason: "unsupported_algorithm" });
    const bare = githubHeader(SECRET, issuesOpened).slice("sha256=".length);
    expect(await verifyGitHubSignature(SECRET, bytes(issuesOpened), bare)).toEqual({ ok: false, reason: "unsupported_algorithm" });
  });

  it("refuses a digest that is not 64 hex characters", async () => {
    const good = githubHeader(SECRET, issuesOpened);
    for (const header of [good.slice(0, -2), `${good}00`, `${good}=00`, `${good.slice(0, -1)}g`, "sha256="]) {
      expect(await verifyGitHubSignature(SECRET, bytes(issuesOpened), header), header).toEqual({ ok: false, reason: "malformed_signature" });
    }
  });

  it("refuses a tampered body, a wrong secret and a flipped digest", async () => {
    const header = githubHeader(SECRET, issuesOpened);
    const tampered = issuesOpened.replace("Spelling error", "Spelling errors");
    expect(await verifyGitHubSignature(SECRET, bytes(tampered), header)).toEqual({ ok: false, reason: "signature_mismatch" });
    expect(await verifyGitHubSignature("other secret", bytes(issuesOpened), header)).toEqual({ ok: false, reason: "signature_mismatch" });
    const flipped = header.slice(0, -1) + (header.endsWith("0") ? "1" : "0");
    expect(await verifyGitHubSignature(SECRET, bytes(issuesOpened), flipped)).toEqual({ ok: false, reason: "signature_mismatch" });
  });
});

describe("signGeneric / verifyGeneric", () => {
  const body = bytes(JSON.stringify({ title: "Nightly report", text: "ünïcødé ✓" }));
  const now = Date.UTC(2025, 0, 15, 12, 0, 0);
  const t = now / 1000;

  it("writes t=<seconds>,v1=<hex HMAC of '<t>.<body>'>, the same MAC node:crypto computes", async () => {
    const header = await signGeneric(SECRET, t, body);
    const expected = createHmac("sha256", SECRET).update(`${t}.`).update(body).digest("hex");
    expect(header).toBe(`t=${t},v1=${expected}`);
    expect(await verifyGeneric(SECRET, { signature: header }, body, now)).toEqual({ ok: true });
  });

  it("accepts any timestamp within the tolerance, either side of now", async () => {
    for (const skew of [-300, -1, 0, 1, 300]) {
      const header = await signGeneric(SECRET, t + skew, body);
      expect(await verifyGeneric(SECRET, { signature: header }, body, now), `skew ${skew}s`).toEqual({ ok: true });
    }
  });

  it("refuses a replay of an authentic delivery older than the tolerance", async () => {
    const header = await signGeneric(SECRET, t - 301, body);
    expect(await verifyGeneric(SECRET, { signature: header }, body, now)).toEqual({ ok: false, reason: "timestamp_too_old" });
    expect(await verifyGeneric(SECRET, { signature: header }, body, now, 10 * 60 * 1000)).toEqual({ ok: true });
  });

  it("refuses a timestamp too far in the future", async () => {
    const header = await signGeneric(SECRET, t + 301, body);
    expect(await verifyGeneric(SECRET, { signature: header }, body, now)).toEqual({ ok: false, reason: "timestamp_in_future" });
  });

  it("refuses a fresh timestamp pasted onto an old signature, and a tampered body", async () => {
    const old = await signGeneric(SECRET, t - 3600, body);
    const refreshed = old.replace(/^t=\d+/, `t=${t}`);
    expect(await verifyGeneric(SECRET, { signature: refreshed }, body, now)).toEqual({ ok: false, reason: "signature_mismatch" });
    const header = await signGeneric(SECRET, t, body);
    const tampered = body.slice();
    tampered[2] = tampered[2]! ^ 1;
    expect(await verifyGeneric(SECRET, { signature: header }, tampered, now)).toEqual({ ok: false, reason: "signature_mismatch" });
    expect(await verifyGeneric("wrong", { signature: header }, body, now)).toEqual({ ok: false, reason: "signature_mismatch" });
  });

  it("says what is wrong with a malformed header", async () => {
    const header = await signGeneric(SECRET, t, body);
    const v1 = header.split(",v1=")[1]!;
    const cases: [string | null, string][] = [
      [null, "missing_signature"],
      ["", "missing_signature"],
      [`v1=${v1}`, "missing_timestamp"],
      [`t=soon,v1=${v1}`, "missing_timestamp"],
      [`t=${t}`, "unsupported_algorithm"],
      [`t=${t},v0=${v1}`, "unsupported_algorithm"],
      [`t=${t},v1=${v1.slice(1)}`, "malformed_signature"],
      [`t=${t}${`,v1=${v1}`.repeat(5)}`, "malformed_signature"],
    ];
    for (const [signature, reason] of cases) {
      expect(await verifyGeneric(SECRET, { signature }, body, now), String(signature)).toEqual({ ok: false, reason });
    }
  });

  it("accepts any one matching v1 while a secret is rotated, and ignores unknown schemes", async () => {
    const current = (await signGeneric(SECRET, t, body)).split(",v1=")[1]!;
    const previous = (await signGeneric("previous secret", t, body)).split(",v1=")[1]!;
    expect(await verifyGeneric(SECRET, { signature: `t=${t},v1=${previous},v1=${current},v2=future` }, body, now)).toEqual({ ok: true });
  });
});

describe("readBodyWithLimit", () => {
  /** A streamed body of `size` bytes in 64 KiB chunks that records how much was pulled. */
  function streamed(size: number) {
    const pulled = { bytes: 0, cancelled: false };
    let left = size;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (left === 0) return controller.close();
        const n = Math.min(left, 64 * 1024);
        left -= n;
        pulled.bytes += n;
        controller.enqueue(new Uint8Array(n).fill(0x61));
      },
      cancel() {
        pulled.cancelled = true;
      },
    });
    return { stream, pulled };
  }
  const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
    new Request("https://cp.example/hooks/x", { method: "POST", body, headers, duplex: "half" } as RequestInit);

  it("returns the exact bytes of a body within the limit, and an empty body for none", async () => {
    const read = await readBodyWithLimit(post(issuesOpened));
    expect(read).toEqual({ ok: true, body: bytes(issuesOpened) });
    expect(await readBodyWithLimit(post(null))).toEqual({ ok: true, body: new Uint8Array(0) });
    const { stream } = streamed(MAX_WEBHOOK_BODY_BYTES);
    const full = await readBodyWithLimit(post(stream));
    expect(full.ok && full.body.byteLength).toBe(MAX_WEBHOOK_BODY_BYTES);
  });

  it("refuses by Content-Length before reading anything", async () => {
    const { stream, pulled } = streamed(10);
    const read = await readBodyWithLimit(post(stream, { "content-length": String(MAX_WEBHOOK_BODY_BYTES + 1) }));
    expect(read).toMatchObject({ ok: false, status: 413, reason: "payload_too_large" });
    expect(pulled.bytes).toBeLessThanOrEqual(64 * 1024); // at most what the stream buffered on its own
  });

  it("refuses a streamed body without Content-Length once it passes the limit, and stops reading", async () => {
    const { stream, pulled } = streamed(4 * MAX_WEBHOOK_BODY_BYTES);
    const read = await readBodyWithLimit(post(stream));
    expect(read).toMatchObject({ ok: false, status: 413, reason: "payload_too_large" });
    expect(pulled.cancelled).toBe(true);
    expect(pulled.bytes).toBeLessThan(2 * MAX_WEBHOOK_BODY_BYTES);
  });

  it("counts bytes when Content-Length understates the body", async () => {
    const { stream } = streamed(2048);
    const read = await readBodyWithLimit(post(stream, { "content-length": "10" }), 1024);
    expect(read).toMatchObject({ ok: false, status: 413 });
  });
});
