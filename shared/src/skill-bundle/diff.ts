/**
 * What changed between two versions of a skill, file by file, with a unified diff for text files
 * (git's format: `--- a/path`, `+++ b/path`, `@@` hunks with 3 lines of context; `/dev/null` for an
 * added or removed side). Shown by the API for version diffs and skill proposals.
 *
 * The line diff is Myers' O(ND) algorithm (https://doi.org/10.1007/BF01840446) after trimming the
 * common head and tail. Files are at most 512 KiB, but two unrelated ones could still cost N×D, so
 * past MAX_EDIT_DISTANCE edits or MAX_WORK steps the file is shown as replaced whole.
 */
import { decodeText } from "./bundle";

export type SkillFileDiff = { path: string; status: "added" | "removed" | "changed"; binary: boolean; patch: string | null };
type Side = { path: string; bytes: Uint8Array };
type Op = { t: " " | "-" | "+"; line: string };

const CONTEXT = 3;
const MAX_EDIT_DISTANCE = 1000;
const MAX_WORK = 4_000_000;

/** Files added, removed or changed from `a` to `b`, in path order; unchanged files are left out. */
export function diffSkillVersions(a: readonly Side[], b: readonly Side[]): SkillFileDiff[] {
  const before = new Map(a.map((f) => [f.path, f.bytes]));
  const after = new Map(b.map((f) => [f.path, f.bytes]));
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  const out: SkillFileDiff[] = [];
  for (const path of paths) {
    const [x, y] = [before.get(path), after.get(path)];
    if (x && y && sameBytes(x, y)) continue;
    const status = !x ? "added" : !y ? "removed" : "changed";
    const [tx, ty] = [x ? decodeText(x) : "", y ? decodeText(y) : ""];
    if (tx === null || ty === null) out.push({ path, status, binary: true, patch: null });
    else out.push({ path, status, binary: false, patch: unifiedPatch(path, status, tx, ty) });
  }
  return out;
}

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function unifiedPatch(path: string, status: SkillFileDiff["status"], before: string, after: string): string {
  const head = `--- ${status === "added" ? "/dev/null" : `a/${path}`}\n+++ ${status === "removed" ? "/dev/null" : `b/${path}`}\n`;
  return head + hunks(diffLines(splitLines(before), splitLines(after)));
}

/** Lines without their `\n`; a last line with no `\n` keeps a trailing `\n` as a marker (it can never equal a full line). */
function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  else lines[lines.length - 1] += "\n";
  return lines;
}

/** The edit script turning `a` into `b`: kept, removed and added lines in order. */
function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const ids = new Map<string, number>();
  const intern = (l: string) => ids.get(l) ?? (ids.set(l, ids.size), ids.size - 1);
  const x = a.slice(head, a.length - tail).map(intern);
  const y = b.slice(head, b.length - tail).map(intern);
  const keep = (lines: readonly string[]): Op[] => lines.map((line) => ({ t: " ", line }));
  const middle = myers(x, y) ?? [...x.map(() => "-" as const), ...y.map(() => "+" as const)];
  const ops: Op[] = keep(a.slice(0, head));
  let [i, j] = [head, head];
  for (const t of middle) {
    if (t === "+") ops.push({ t, line: b[j++] ?? "" });
    else {
      ops.push({ t, line: a[i++] ?? "" });
      if (t === " ") j++;
    }
  }
  return ops.concat(keep(a.slice(a.length - tail)));
}

/** Myers' greedy shortest edit script, or null when it exceeds the bounds. */
function myers(a: readonly number[], b: readonly number[]): (" " | "-" | "+")[] | null {
  const [n, m] = [a.length, b.length];
  const bound = Math.min(n + m, MAX_EDIT_DISTANCE);
  const off = bound + 1;
  const v = new Int32Array(2 * bound + 3);
  const trace: Int32Array[] = [];
  let work = 0;
  for (let d = 0; d <= bound; d++) {
    trace.push(v.slice(off - d - 1, off + d + 2)); // v as it was before step d, k in [-d-1, d+1]
    for (let k = -d; k <= d; k += 2) {
      let px = k === -d || (k !== d && (v[off + k - 1] ?? 0) < (v[off + k + 1] ?? 0)) ? (v[off + k + 1] ?? 0) : (v[off + k - 1] ?? 0) + 1;
      let py = px - k;
      while (px < n && py < m && a[px] === b[py]) [px, py, work] = [px + 1, py + 1, work + 1];
      v[off + k] = px;
      work++;
      if (px >= n && py >= m) return backtrack(trace, n, m);
    }
    if (work > MAX_WORK) return null;
  }
  return null;
}

function backtrack(trace: Int32Array[], n: number, m: number): (" " | "-" | "+")[] {
  const script: (" " | "-" | "+")[] = [];
  let [x, y] = [n, m];
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d] ?? new Int32Array(0);
    const at = (k: number) => v[k + d + 1] ?? 0;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) [x, y] = [x - 1, y - 1, script.push(" ")];
    if (d > 0) script.push(x === prevX ? "+" : "-");
    [x, y] = [prevX, prevY];
  }
  return script.reverse();
}

/** Unified-diff hunks for an edit script: changes with CONTEXT lines around, merged when close. */
function hunks(ops: readonly Op[]): string {
  // Lines of each side before op i, to number the hunks without rescanning.
  const oldBefore = new Int32Array(ops.length + 1);
  const newBefore = new Int32Array(ops.length + 1);
  ops.forEach((op, i) => {
    oldBefore[i + 1] = (oldBefore[i] ?? 0) + (op.t === "+" ? 0 : 1);
    newBefore[i + 1] = (newBefore[i] ?? 0) + (op.t === "-" ? 0 : 1);
  });
  const changed = ops.flatMap((op, i) => (op.t === " " ? [] : [i]));
  let text = "";
  for (let c = 0; c < changed.length; c++) {
    const start = Math.max(0, (changed[c] ?? 0) - CONTEXT);
    // Two changes at most 2 × CONTEXT kept lines apart share a hunk.
    while (c + 1 < changed.length && (changed[c + 1] ?? 0) - (changed[c] ?? 0) <= 2 * CONTEXT + 1) c++;
    const end = Math.min(ops.length, (changed[c] ?? 0) + 1 + CONTEXT);
    const [o0, o1, n0, n1] = [oldBefore[start] ?? 0, oldBefore[end] ?? 0, newBefore[start] ?? 0, newBefore[end] ?? 0];
    text += `@@ -${range(o0, o1 - o0)} +${range(n0, n1 - n0)} @@\n`;
    for (const op of ops.slice(start, end)) {
      text += op.line.endsWith("\n") ? `${op.t}${op.line}\\ No newline at end of file\n` : `${op.t}${op.line}\n`;
    }
  }
  return text;
}

/** `start,count` as diff writes it: 1-based, `,1` left out, an empty range names the line before. */
function range(linesBefore: number, count: number): string {
  if (count === 0) return `${linesBefore},0`;
  return count === 1 ? `${linesBefore + 1}` : `${linesBefore + 1},${count}`;
}
