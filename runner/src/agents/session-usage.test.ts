// Session usage survives a restart (a new instance on the same file), stays bounded, and shrugs off a bad file.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SessionUsage } from "./session-usage";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const file = () => {
  const d = mkdtempSync(join(tmpdir(), "multica-usage-"));
  dirs.push(d);
  return join(d, "agents", "codex-sessions.json");
};
const usage = (n: number) => ({ inputTokens: n, outputTokens: n * 2 });

describe("SessionUsage", () => {
  it("remembers a session's cumulative usage across instances (a runner restart)", () => {
    const f = file();
    new SessionUsage(f).remember("thread-1", usage(100));
    expect(new SessionUsage(f).get("thread-1")).toEqual(usage(100));
    expect(new SessionUsage(f).get("thread-2")).toBeNull();
  });

  it("keeps the most recently used sessions only", () => {
    const f = file();
    const u = new SessionUsage(f, 2);
    u.remember("a", usage(1));
    u.remember("b", usage(2));
    u.remember("a", usage(3));
    u.remember("c", usage(4));
    const again = new SessionUsage(f, 2);
    expect([again.get("a"), again.get("b"), again.get("c")]).toEqual([usage(3), null, usage(4)]);
  });

  it("treats an unreadable file as empty and replaces it on the next write", () => {
    const f = file();
    new SessionUsage(f).remember("x", usage(1));
    writeFileSync(f, "{not json");
    const u = new SessionUsage(f);
    expect(u.get("x")).toBeNull();
    u.remember("y", usage(5));
    expect(new SessionUsage(f).get("y")).toEqual(usage(5));
  });
});
