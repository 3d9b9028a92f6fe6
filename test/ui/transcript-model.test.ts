// The transcript model: events become display rows; duplicates from a replay are dropped.
import { describe, expect, it } from "vitest";
import { TranscriptModel } from "../../control-plane/ui/src/lib/transcript-model";
import type { AgentEvent } from "../../control-plane/ui/src/lib/protocol";

const ev = (attempt: number, seq: number, event: AgentEvent) => ({ attempt, seq, event });

describe("TranscriptModel", () => {
  it("joins text deltas into one message, pairs tool calls with results, and marks attempts", () => {
    const m = new TranscriptModel();
    m.apply(ev(1, 1, { kind: "text_delta", text: "Hel" }));
    m.apply(ev(1, 2, { kind: "text_delta", text: "lo" }));
    m.apply(ev(1, 3, { kind: "message", text: "Hello" }));
    m.apply(ev(1, 4, { kind: "tool_call", callId: "c1", name: "bash", input: '{"cmd":"ls"}' }));
    m.apply(ev(1, 5, { kind: "thinking", text: "hmm" }));
    m.apply(ev(1, 6, { kind: "tool_result", callId: "c1", output: "a\nb", isError: false, originalLength: 9000 }));
    m.apply(ev(2, 1, { kind: "output", stream: "stdout", text: "again" }));
    expect(m.items.map((i) => i.kind)).toEqual(["attempt", "text", "tool", "thinking", "attempt", "output"]);
    expect(m.items[1]).toMatchObject({ text: "Hello", streaming: false });
    expect(m.items[2]).toMatchObject({ name: "bash", output: "a\nb", isError: false, cutFrom: 9000 });
    expect(m.cursor()).toBe("1:6,2:1");
  });

  it("drops events at or before its cursor, so a replay after a reconnect doubles nothing", () => {
    const m = new TranscriptModel();
    for (let seq = 1; seq <= 5; seq++) m.apply(ev(1, seq, { kind: "output", stream: "stdout", text: `line ${seq}` }));
    const version = m.version;
    for (let seq = 1; seq <= 5; seq++) expect(m.apply(ev(1, seq, { kind: "output", stream: "stdout", text: `line ${seq}` }))).toBe(false);
    expect(m.version).toBe(version);
    expect(m.apply(ev(1, 6, { kind: "output", stream: "stdout", text: "line 6" }))).toBe(true);
    expect(m.items.filter((i) => i.kind === "output")).toHaveLength(6);
  });

  it("puts late events of an earlier attempt under its own divider and resumes from what each attempt holds", () => {
    const m = new TranscriptModel();
    m.apply(ev(1, 1, { kind: "text_delta", text: "Hel" }));
    m.apply(ev(2, 1, { kind: "output", stream: "stdout", text: "retry" }));
    // Attempt 1's runner came back and finished what it had: it belongs before attempt 2.
    expect(m.apply(ev(1, 2, { kind: "text_delta", text: "lo" }))).toBe(true);
    m.apply(ev(1, 3, { kind: "tool_call", callId: "c1", name: "bash", input: "ls" }));
    m.apply(ev(2, 2, { kind: "tool_call", callId: "c1", name: "cat", input: "x" }));
    m.apply(ev(1, 4, { kind: "tool_result", callId: "c1", output: "a", isError: false }));
    expect(m.apply(ev(1, 2, { kind: "text_delta", text: "lo" }))).toBe(false);
    expect(m.items.map((i) => i.id)).toEqual(["a1", "1.1", "1.3", "a2", "2.1", "2.2"]);
    expect(m.items[1]).toMatchObject({ kind: "text", text: "Hello" });
    expect(m.items[2]).toMatchObject({ name: "bash", output: "a" });
    expect(m.items[5]).toMatchObject({ name: "cat", output: null });
    expect(m.cursor()).toBe("1:4,2:2");
  });

  it("takes 10,000 events in well under a frame budget per event", () => {
    const m = new TranscriptModel();
    const t = performance.now();
    for (let seq = 1; seq <= 10_000; seq++) m.apply(ev(1, seq, { kind: "output", stream: "stdout", text: `line ${seq}` }));
    expect(m.items).toHaveLength(10_001);
    expect(performance.now() - t).toBeLessThan(500);
  });
});
