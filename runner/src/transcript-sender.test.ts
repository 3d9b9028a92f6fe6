// Frame splitting for task.events: both the event-count and the byte limits hold.
import { MAX_EVENT_TEXT, MAX_EVENTS_PER_FRAME, MAX_FRAME_BYTES, parseRunnerMessage, type SequencedEvent } from "@multica/shared";
import { describe, expect, it } from "vitest";
import { frames } from "./transcript-sender";

const ev = (seq: number, text: string): SequencedEvent => ({ seq, ts: 1, event: { kind: "output", stream: "stdout", text } });

describe("frames", () => {
  it("cuts at MAX_EVENTS_PER_FRAME small events", () => {
    const events = Array.from({ length: 450 }, (_, i) => ev(i + 1, "x"));
    expect([...frames(events)].map((f) => f.length)).toEqual([MAX_EVENTS_PER_FRAME, MAX_EVENTS_PER_FRAME, 50]);
  });

  it("keeps frames of maximal events (worst-case JSON escaping) under MAX_FRAME_BYTES, in order", () => {
    const events = Array.from({ length: 40 }, (_, i) => ev(i + 1, "\u0001".repeat(MAX_EVENT_TEXT)));
    const out = [...frames(events)];
    expect(out.length).toBeGreaterThan(1);
    expect(out.flat().map((e) => e.seq)).toEqual(events.map((e) => e.seq));
    for (const batch of out) {
      const frame = JSON.stringify({ type: "task.events", taskId: "tsk_aaaa1111", attempt: 1, events: batch });
      expect(Buffer.byteLength(frame)).toBeLessThan(MAX_FRAME_BYTES);
      expect(parseRunnerMessage(frame)).not.toBeNull();
    }
  });
});
