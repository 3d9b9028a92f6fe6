// Transcript chunking for D1 rows: at most CHUNK_EVENTS events and 512 KiB of JSON per row, order kept.
import type { SequencedEvent } from "@multica/shared";
import { describe, expect, it } from "vitest";
import { CHUNK_EVENTS, toChunks, type ChunkRow } from "./d1-sync";

/** Mirrors CHUNK_BYTES in d1-sync.ts (not exported): the most JSON one chunk row should hold. */
const CHUNK_BYTES = 512 * 1024;

const ev = (seq: number, text = `line ${seq}`): SequencedEvent => ({ seq, ts: 1_700_000_000_000 + seq, event: { kind: "output", stream: "stdout", text } });
const events = (n: number, text?: (seq: number) => string) => Array.from({ length: n }, (_, i) => ev(i + 1, text?.(i + 1)));
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).byteLength;
const seqs = (chunks: ChunkRow[]) => chunks.flatMap((c) => c.events.map((e) => e.seq));

/** Every event comes out exactly once, in order, and each chunk names the attempt. */
function expectLossless(chunks: ChunkRow[], input: SequencedEvent[]) {
  expect(chunks.flatMap((c) => c.events)).toEqual(input);
  for (const c of chunks) {
    expect(c).toMatchObject({ taskId: "tsk_aaaa1111", attempt: 2 });
    expect(c.events.length).toBeGreaterThan(0);
  }
}

describe("toChunks", () => {
  it("makes no rows from no events", () => {
    expect(toChunks("tsk_aaaa1111", 2, [])).toEqual([]);
  });

  it("keeps a small batch in one row", () => {
    const input = events(3);
    expect(toChunks("tsk_aaaa1111", 2, input)).toEqual([{ taskId: "tsk_aaaa1111", attempt: 2, events: input }]);
  });

  it("splits by count at CHUNK_EVENTS", () => {
    expect(CHUNK_EVENTS).toBe(200);
    for (const [n, sizes] of [
      [200, [200]],
      [201, [200, 1]],
      [450, [200, 200, 50]],
    ] as const) {
      const input = events(n);
      const chunks = toChunks("tsk_aaaa1111", 2, input);
      expect(chunks.map((c) => c.events.length)).toEqual(sizes);
      expectLossless(chunks, input);
    }
  });

  it("splits by JSON size: no row over the limit, and none split earlier than it had to be", () => {
    // Events as large as a runner sends them (MAX_EVENT_TEXT of 16 KiB), ~31 to a row.
    const input = events(100, (seq) => String(seq % 10).repeat(16 * 1024));
    const chunks = toChunks("tsk_aaaa1111", 2, input);
    expect(chunks.length).toBeGreaterThan(1);
    expectLossless(chunks, input);
    chunks.forEach((c, i) => {
      expect(c.events.length).toBeLessThan(CHUNK_EVENTS);
      expect(bytes(c.events)).toBeLessThanOrEqual(CHUNK_BYTES);
      const next = chunks[i + 1]?.events[0];
      if (next) expect(bytes(c.events) + bytes(next)).toBeGreaterThan(CHUNK_BYTES);
    });
  });

  it("measures size in UTF-8 bytes, so multibyte text does not overfill a row", () => {
    // "€" is one UTF-16 unit but three UTF-8 bytes: 16 Ki of them is 48 KiB per event.
    const input = events(40, () => "€".repeat(16 * 1024));
    const chunks = toChunks("tsk_aaaa1111", 2, input);
    expectLossless(chunks, input);
    for (const c of chunks) expect(bytes(c.events)).toBeLessThanOrEqual(CHUNK_BYTES);
  });

  it("puts an event larger than the limit in a row of its own rather than dropping it", () => {
    const huge = ev(2, "x".repeat(CHUNK_BYTES + 1));
    const input = [ev(1), huge, ev(3)];
    const chunks = toChunks("tsk_aaaa1111", 2, input);
    expect(chunks.map((c) => c.events.map((e) => e.seq))).toEqual([[1], [2], [3]]);
    expectLossless(chunks, input);
  });

  it("keeps seq order across rows when both limits apply", () => {
    const input = events(600, (seq) => (seq % 7 === 0 ? "y".repeat(12 * 1024) : `short ${seq}`));
    const chunks = toChunks("tsk_aaaa1111", 2, input);
    expect(seqs(chunks)).toEqual(input.map((e) => e.seq));
    for (const c of chunks) {
      expect(c.events.length).toBeLessThanOrEqual(CHUNK_EVENTS);
      expect(bytes(c.events)).toBeLessThanOrEqual(CHUNK_BYTES);
    }
  });
});
