// Pure parts of the connection: the endpoint URL and which refusals are final.
import { CloseCode } from "@multica/shared";
import { describe, expect, it } from "vitest";
import { classifyFatal, connectUrl } from "./connection";

describe("connectUrl", () => {
  it("maps http to ws and https to wss, keeping a base path", () => {
    expect(connectUrl(new URL("http://127.0.0.1:8787")).href).toBe("ws://127.0.0.1:8787/api/v1/runner/connect");
    expect(connectUrl(new URL("https://m.example.com/multica/")).href).toBe("wss://m.example.com/multica/api/v1/runner/connect");
    expect(connectUrl(new URL("wss://m.example.com")).href).toBe("wss://m.example.com/api/v1/runner/connect");
  });
});

describe("classifyFatal", () => {
  it("stops on 401/403 and the unrecoverable close codes, retries everything else", () => {
    expect(classifyFatal(1006, "", { status: 401, message: "bad token" })).toMatch(/rejected the token \(HTTP 401\) \(bad token\)/);
    expect(classifyFatal(1006, "", { status: 403, message: "" })).toMatch(/HTTP 403/);
    expect(classifyFatal(CloseCode.unauthorized, "revoked", null)).toMatch(/rejected the token/);
    expect(classifyFatal(CloseCode.unsupportedVersion, "", null)).toMatch(/upgrade multica-runner/);
    expect(classifyFatal(CloseCode.replaced, "", null)).toMatch(/another runner connected/);
    for (const status of [404, 429, 500, 502, 503]) expect(classifyFatal(1006, "", { status, message: "" })).toBeNull();
    for (const code of [1000, 1001, 1006, 1011, CloseCode.protocolError, CloseCode.tooBig]) expect(classifyFatal(code, "", null)).toBeNull();
  });
});
