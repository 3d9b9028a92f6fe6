// The shared reading of a stdout line that is not JSON: a JSON-lines CLI reads whole lines far
// longer than an event may carry, so a long plain line must become several valid events, whole.
import { AgentEvent, MAX_EVENT_TEXT } from "@multica/shared";
import { describe, expect, it } from "vitest";
import { plainOutput, splitText } from "./line-parser";

describe("plainOutput", () => {
  it("splits a line longer than an event may carry into valid events that add up to the line", () => {
    const line = `start ${"x".repeat(3 * MAX_EVENT_TEXT)} end`;
    const events = plainOutput(line);
    expect(events.length).toBe(4);
    for (const e of events) expect(AgentEvent.safeParse(e).error).toBeUndefined();
    expect(events.map((e) => (e.kind === "output" ? e.text : "")).join("")).toBe(line);
  });

  it("keeps a short line as one event and drops a blank one", () => {
    expect(plainOutput("hello")).toEqual([{ kind: "output", stream: "stdout", text: "hello" }]);
    expect(plainOutput("   ")).toEqual([]);
  });
});

describe("splitText", () => {
  it("never splits a surrogate pair", () => {
    const text = `${"a".repeat(9)}😀${"b".repeat(5)}`;
    const pieces = splitText(text, 10);
    expect(pieces.join("")).toBe(text);
    expect(pieces[0]).toBe("a".repeat(9));
    expect(pieces.every((p) => p.length <= 10)).toBe(true);
  });
});
