// The synchronous SHA-256 agrees with Node's (and so with Web Crypto's hashToken) on every length around block edges.
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hashToken } from "../middleware/auth";
import { sha256Hex } from "./sha256";

const node = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

describe("sha256Hex", () => {
  it("matches the FIPS 180-4 examples", () => {
    expect(sha256Hex("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("matches node:crypto for every length from 0 to 300 and for non-ASCII text", () => {
    for (let n = 0; n <= 300; n++) {
      const s = randomBytes(n).toString("base64").slice(0, n);
      expect(sha256Hex(s), `length ${n}`).toBe(node(s));
    }
    expect(sha256Hex("ünïcødé ✓ 🚀")).toBe(node("ünïcødé ✓ 🚀"));
  });

  it("gives what the auth middleware looks tokens up by", async () => {
    const secret = "mat_0123456789abcdefghijklmnopqrstuvwxyz0123";
    expect(sha256Hex(secret)).toBe(await hashToken(secret));
  });
});
