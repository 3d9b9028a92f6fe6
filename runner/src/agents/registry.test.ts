// Runtime detection with fake agent CLIs on PATH (runner/test/fixtures/bin: claude, which this
// runner drives, and copilot, which it only detects).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunnerConfig } from "../config";
import { createMemoryLogger } from "../log";
import { buildRegistry, parseVersion } from "./registry";

const BIN = join(import.meta.dirname, "../../test/fixtures/bin");

function config(commands: RunnerConfig["commands"], path: string): RunnerConfig {
  return {
    url: new URL("http://x"),
    token: "t",
    name: "n",
    concurrency: 1,
    configPath: null,
    dataDir: "/nonexistent",
    cancelGraceMs: 100,
    commands,
    agentClis: {},
    childEnv: { PATH: path },
  };
}

describe("runtime registry", () => {
  it("offers configured commands that exist and detected CLIs with their version", async () => {
    const log = createMemoryLogger();
    const registry = await buildRegistry(
      config(
        [
          { name: "node", command: process.execPath, args: [], env: {}, timeoutSeconds: null },
          { name: "gone", command: "no-such-tool-xyz", args: [], env: {}, timeoutSeconds: null },
        ],
        BIN,
      ),
      log,
    );
    expect(registry.runtimes()).toEqual([
      { key: "command:node", version: null },
      { key: "claude", version: "1.2.3" },
      { key: "copilot", version: "0.0.400" },
    ]);
    expect(log.lines.some((l) => l.includes('runtime command:gone not offered: its command "no-such-tool-xyz" was not found'))).toBe(true);
    expect(registry.resolve("command:node").ok).toBe(true);
    expect(registry.resolve("claude")).toMatchObject({ ok: true, adapter: { key: "claude" } });
    expect(registry.resolve("copilot")).toMatchObject({ ok: true, adapter: { key: "copilot" } });
    expect(registry.resolve("gemini")).toEqual({ ok: false, error: "runtime gemini is not available on this runner (it offers: command:node, claude, copilot)" });
  });

  it("finds nothing on an empty PATH", async () => {
    expect((await buildRegistry(config([], "/nonexistent"), createMemoryLogger())).runtimes()).toEqual([]);
  });

  it("parses versions out of --version output", () => {
    expect(parseVersion("1.2.3 (Claude Code)\n")).toBe("1.2.3");
    expect(parseVersion("codex-cli 0.46.0-alpha.1\n")).toBe("0.46.0-alpha.1");
    expect(parseVersion("\nweird\n")).toBe("weird");
    expect(parseVersion("")).toBeNull();
  });
});
