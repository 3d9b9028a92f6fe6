import { describe, expect, it } from "vitest";
import { diffSkillVersions, type SkillFileDiff } from "./diff";

const enc = (s: string) => new TextEncoder().encode(s);
const f = (path: string, text: string) => ({ path, bytes: enc(text) });
const lines = (n: number, edit: (i: number) => string = (i) => `line ${i}`) => Array.from({ length: n }, (_, i) => `${edit(i + 1)}\n`).join("");

function patchOf(before: string, after: string): string | null {
  const [d] = diffSkillVersions([f("x.md", before)], [f("x.md", after)]);
  return d?.patch ?? null;
}

/** Applies a unified diff made by diffSkillVersions to `before` (files ending in a newline). */
function applyPatch(before: string, patch: string): string {
  const old = before.split("\n").slice(0, -1);
  const out: string[] = [];
  let at = 0;
  for (const line of patch.split("\n").slice(2, -1)) {
    const hunk = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(line);
    if (hunk) {
      const start = Number(hunk[1]) - (hunk[2] === "0" ? 0 : 1);
      while (at < start) out.push(old[at++] ?? "");
      continue;
    }
    const [t, text] = [line[0], line.slice(1)];
    if (t !== "+" && old[at] !== text) throw new Error(`context mismatch at old line ${at + 1}: ${old[at]} ≠ ${text}`);
    if (t === " ") out.push(old[at++] ?? "");
    else if (t === "-") at++;
    else out.push(text);
  }
  while (at < old.length) out.push(old[at++] ?? "");
  return out.map((l) => `${l}\n`).join("");
}

describe("diffSkillVersions", () => {
  it("lists added, removed and changed files in path order, leaving out unchanged ones", () => {
    const a = [f("SKILL.md", "same\n"), f("b.md", "old\n"), f("gone.md", "bye\n")];
    const b = [f("new.md", "hi\n"), f("b.md", "new\n"), f("SKILL.md", "same\n")];
    expect(diffSkillVersions(a, b).map((d) => [d.path, d.status, d.binary])).toEqual([
      ["b.md", "changed", false],
      ["gone.md", "removed", false],
      ["new.md", "added", false],
    ]);
  });

  it("shows an added file against /dev/null", () => {
    expect(diffSkillVersions([], [f("scripts/run.sh", "#!/bin/sh\necho hi\n")])).toEqual<SkillFileDiff[]>([
      { path: "scripts/run.sh", status: "added", binary: false, patch: "--- /dev/null\n+++ b/scripts/run.sh\n@@ -0,0 +1,2 @@\n+#!/bin/sh\n+echo hi\n" },
    ]);
  });

  it("shows a removed file against /dev/null", () => {
    expect(diffSkillVersions([f("a.md", "only\n")], [])[0]?.patch).toBe("--- a/a.md\n+++ /dev/null\n@@ -1 +0,0 @@\n-only\n");
  });

  it("shows an empty added file with no hunks", () => {
    expect(diffSkillVersions([], [f("empty", "")])[0]?.patch).toBe("--- /dev/null\n+++ b/empty\n");
  });

  it("shows a changed line with three lines of context", () => {
    expect(patchOf(lines(10), lines(10, (i) => (i === 5 ? "line five" : `line ${i}`)))).toBe(
      "--- a/x.md\n+++ b/x.md\n@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+line five\n line 6\n line 7\n line 8\n",
    );
  });

  it("merges nearby changes into one hunk and splits distant ones", () => {
    const near = patchOf(lines(20), lines(20, (i) => (i === 5 || i === 11 ? `changed ${i}` : `line ${i}`))) ?? "";
    expect(near.match(/^@@/gm)).toHaveLength(1);
    expect(near).toContain("@@ -2,13 +2,13 @@");
    const far = patchOf(lines(30), lines(30, (i) => (i === 5 || i === 13 ? `changed ${i}` : `line ${i}`))) ?? "";
    expect(far.match(/^@@.*@@$/gm)).toEqual(["@@ -2,7 +2,7 @@", "@@ -10,7 +10,7 @@"]);
  });

  it("shows insertions and deletions at the edges", () => {
    expect(patchOf("b\nc\n", "a\nb\nc\n")).toBe("--- a/x.md\n+++ b/x.md\n@@ -1,2 +1,3 @@\n+a\n b\n c\n");
    expect(patchOf("a\nb\nc\n", "a\nb\n")).toBe("--- a/x.md\n+++ b/x.md\n@@ -1,3 +1,2 @@\n a\n b\n-c\n");
  });

  it("marks a missing newline at the end of a file", () => {
    expect(patchOf("a\nb", "a\nb\n")).toBe("--- a/x.md\n+++ b/x.md\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
    expect(patchOf("a\n", "a\nb")).toBe("--- a/x.md\n+++ b/x.md\n@@ -1 +1,2 @@\n a\n+b\n\\ No newline at end of file\n");
  });

  it("keeps CRLF line ends in the lines", () => {
    expect(patchOf("a\r\nb\r\n", "a\r\nc\r\n")).toBe("--- a/x.md\n+++ b/x.md\n@@ -1,2 +1,2 @@\n a\r\n-b\r\n+c\r\n");
  });

  it("does not diff binary files", () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1]);
    const png2 = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 2]);
    expect(diffSkillVersions([{ path: "logo.png", bytes: png }], [{ path: "logo.png", bytes: png2 }])).toEqual([{ path: "logo.png", status: "changed", binary: true, patch: null }]);
    expect(diffSkillVersions([], [{ path: "logo.png", bytes: png }])).toEqual([{ path: "logo.png", status: "added", binary: true, patch: null }]);
    expect(diffSkillVersions([f("a", "text\n")], [{ path: "a", bytes: new Uint8Array([0xff]) }])[0]).toMatchObject({ binary: true, patch: null });
    expect(diffSkillVersions([{ path: "logo.png", bytes: png }], [{ path: "logo.png", bytes: png.slice() }])).toEqual([]);
  });

  it("produces patches that apply, for random edits", () => {
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let round = 0; round < 50; round++) {
      const before = Array.from({ length: rand(60) }, () => `l${rand(8)}`);
      const after = [...before];
      for (let e = rand(10); e > 0; e--) {
        const at = rand(after.length + 1);
        if (rand(2) === 0) after.splice(at, 1);
        else after.splice(at, 0, `n${rand(8)}`);
      }
      const [a, b] = [before.map((l) => `${l}\n`).join(""), after.map((l) => `${l}\n`).join("")];
      if (a === b) continue;
      expect(applyPatch(a, patchOf(a, b) ?? "")).toBe(b);
    }
  });

  it("finds a minimal edit script", () => {
    const patch = patchOf("a\nb\nc\na\nb\nb\na\n", "c\nb\na\nb\na\nc\n") ?? "";
    expect(patch.split("\n").filter((l) => /^[-+][^-+]/.test(l))).toHaveLength(5); // the D=5 of Myers' paper example
  });

  it("shows two unrelated large files as replaced whole, and the patch still applies", () => {
    const a = lines(3000, (i) => `old ${i}`);
    const b = lines(3000, (i) => `new ${i}`);
    const started = performance.now();
    const patch = patchOf(a, b) ?? "";
    expect(performance.now() - started).toBeLessThan(2000);
    expect(patch.match(/^@@.*@@$/gm)).toEqual(["@@ -1,3000 +1,3000 @@"]);
    expect(applyPatch(a, patch)).toBe(b);
  });

  it("diffs a small change in a large file quickly", () => {
    const a = lines(40_000);
    const b = a.replace("line 20000\n", "line twenty thousand\n");
    const started = performance.now();
    const patch = patchOf(a, b) ?? "";
    expect(performance.now() - started).toBeLessThan(1000);
    expect(patch.match(/^@@.*@@$/gm)).toEqual(["@@ -19997,7 +19997,7 @@"]);
    expect(applyPatch(a, patch)).toBe(b);
  });
});
