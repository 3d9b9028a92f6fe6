// Picking the events a reader needs: from one position (paging, old viewers) or per attempt held (resume cursor).
import { describe, expect, it } from "vitest";
import { afterPosition, notHeld, selectEvents, type TranscriptEvent } from "./transcript";

const ev = (attempt: number, seq: number): TranscriptEvent => ({ attempt, seq, ts: 1_700_000_000_000 + seq, event: { kind: "output", stream: "stdout", text: `${attempt}.${seq}` } });
const keys = (events: TranscriptEvent[]) => events.map((e) => `${e.attempt}.${e.seq}`);

// Attempt 1 was declared lost after seq 3; attempt 2 streamed 1–2; then attempt 1's runner came
// back and delivered 4–5 (still pending in the Durable Object, not yet flushed to D1).
const flushed = [ev(1, 1), ev(1, 2), ev(1, 3), ev(2, 1), ev(2, 2)];
const pending = [ev(1, 4), ev(2, 2), ev(1, 5)];

describe("selectEvents", () => {
  it("merges flushed and pending events, each once, in (attempt, seq) order", () => {
    expect(keys(selectEvents(flushed, pending, notHeld(new Map())))).toEqual(["1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2"]);
  });

  it("gives a viewer holding a prefix of each attempt exactly what it lacks, late events of an earlier attempt included", () => {
    expect(keys(selectEvents(flushed, pending, notHeld(new Map([[1, 3], [2, 2]]))))).toEqual(["1.4", "1.5"]);
    expect(keys(selectEvents(flushed, pending, notHeld(new Map([[1, 5]]))))).toEqual(["2.1", "2.2"]);
    expect(keys(selectEvents(flushed, pending, notHeld(new Map([[1, 5], [2, 2]]))))).toEqual([]);
  });

  it("from one position skips earlier attempts whole: why viewers resume with a cursor", () => {
    expect(keys(selectEvents(flushed, pending, afterPosition({ attempt: 2, after: 1 })))).toEqual(["2.2"]);
    expect(keys(selectEvents(flushed, pending, afterPosition({ attempt: 1, after: 4 })))).toEqual(["1.5", "2.1", "2.2"]);
  });
});
