import { describe, expect, it } from "vitest";
import { KeyedLock } from "./keyed-lock";
import { checkRoot, insideRoot, isStrictlyInside, safeRelative, toSlug } from "./paths";

describe("toSlug", () => {
  it.each([
    ["Claude Bot", "claude-bot"],
    ["ENG-123", "eng-123"],
    ["../../etc/passwd", "etc-passwd"],
    ["Crème Brûlée!!", "creme-brulee"],
    ["a".repeat(100), "a".repeat(48)],
  ])("%s → %s", (text, slug) => {
    expect(toSlug(text)).toBe(slug);
  });

  it("is never empty, never a dot path, and differs for different unusable names", () => {
    for (const text of ["", "..", ".", "///", "\0", "日本語"]) {
      expect(toSlug(text)).toMatch(/^x-[0-9a-f]{8}$/);
    }
    expect(toSlug("日本語")).not.toBe(toSlug("中文"));
  });
});

describe("insideRoot", () => {
  it("joins slugs below the root and refuses anything that escapes it", () => {
    expect(insideRoot("/data/work", "tasks", "bot", "eng-1")).toBe("/data/work/tasks/bot/eng-1");
    for (const part of ["..", "../x", "/etc", "a\0b", ""]) {
      expect(() => insideRoot("/data/work", "tasks", part)).toThrow(/refusing/);
    }
    expect(() => insideRoot("/data/work", "tasks", "..", "..")).toThrow(/refusing/);
    expect(() => checkRoot("relative/work")).toThrow(/absolute path/);
    expect(isStrictlyInside("/a", "/a")).toBe(false);
    expect(isStrictlyInside("/a", "/ab")).toBe(false);
  });

  it("accepts only plain relative paths from git", () => {
    expect(safeRelative("a/b.txt")).toBe("a/b.txt");
    expect(safeRelative("a/../b.txt")).toBe("b.txt");
    for (const bad of ["", "/abs", "../x", "a/../../x", "..", "a\0"]) expect(safeRelative(bad)).toBeNull();
  });
});

describe("KeyedLock", () => {
  it("runs callers with one key one at a time, in order, and other keys in parallel", async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const task = (key: string, name: string, ms: number) =>
      lock.run(key, async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        if (name === "a1") throw new Error("a1 failed");
        return name;
      });
    const results = await Promise.allSettled([task("a", "a1", 30), task("a", "a2", 1), task("b", "b1", 5)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(log.indexOf("start a2")).toBeGreaterThan(log.indexOf("end a1"));
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
    expect(lock.size()).toBe(0);
  });
});
