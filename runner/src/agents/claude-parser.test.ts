// claude-parser against the recorded real Claude Code transcripts, plus a fuzz test.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AgentEvent, MAX_EVENT_TEXT } from "@multica/shared";
import { describe, expect, it } from "vitest";
import { parseClaudeEvent, parseClaudeLine } from "./claude-parser";

// Transcripts recorded from the real CLI, copied into runner/test/fixtures/agent-transcripts.
const TRANSCRIPTS = join(import.meta.dirname, "../../test/fixtures/agent-transcripts");
const readLines = (name: string) =>
  readFileSync(join(TRANSCRIPTS, name), "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
const parseAll = (lines: string[]) => lines.flatMap((l) => parseClaudeLine(l));
const valid = (events: AgentEvent[]) => {
  for (const e of events) expect(AgentEvent.safeParse(e).error).toBeUndefined();
};

describe("claude-parser on recorded transcripts", () => {
  it("maps a run that writes a file: session, message, tool call and result, usage, result", () => {
    const events = parseAll(readLines("claude-transcript.jsonl"));
    valid(events);
    const session = "d69b6089-74ce-4d0b-bbba-73fc35af8015";
    expect(events.map((e) => e.kind)).toEqual(["session", "message", "tool_call", "tool_result", "message", "usage", "result"]);
    expect(events[0]).toEqual({ kind: "session", sessionId: session });
    expect(events[1]).toEqual({ kind: "message", text: "I'll create the file." });
    expect(events[2]).toEqual({
      kind: "tool_call",
      callId: "toolu_1164f608025b1018",
      name: "Write",
      input: JSON.stringify({ file_path: "/srv/agent-e2e/work/claude1/hello.txt", content: "hello from mock\n" }),
    });
    expect(events[3]).toMatchObject({ kind: "tool_result", callId: "toolu_1164f608025b1018", isError: false });
    expect(events[3]).toHaveProperty("output", expect.stringContaining("File created successfully"));
    const usage = { inputTokens: 200, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.0016 };
    expect(events[5]).toEqual({ kind: "usage", ...usage });
    expect(events[6]).toEqual({
      kind: "result",
      isError: false,
      summary: 'I created hello.txt containing "hello from mock".',
      sessionId: session,
      durationMs: 578,
      turns: 2,
      usage,
    });
  });

  it("maps a resumed run to the same session", () => {
    const events = parseAll(readLines("claude-transcript-resume.jsonl"));
    valid(events);
    expect(events.map((e) => e.kind)).toEqual(["session", "message", "usage", "result"]);
    expect(events.at(-1)).toMatchObject({ kind: "result", isError: false, sessionId: "d69b6089-74ce-4d0b-bbba-73fc35af8015", turns: 1 });
  });

  it("turns partial messages into text deltas and status, without repeating tool input", () => {
    const events = parseAll(readLines("claude-transcript-partial-messages.jsonl"));
    valid(events);
    const deltas = events.flatMap((e) => (e.kind === "text_delta" ? [e.text] : []));
    expect(deltas.join("")).toBe("I'll create the file.I created hello.txt containing \"hello from mock\".");
    expect(events.filter((e) => e.kind === "status")).toEqual([
      { kind: "status", text: "requesting" },
      { kind: "status", text: "requesting" },
    ]);
    expect(events.filter((e) => e.kind === "tool_call")).toEqual([
      expect.objectContaining({ name: "Bash", input: JSON.stringify({ command: "printf 'hello from mock\\n' > hello.txt", description: "Create hello.txt" }) }),
    ]);
    expect(events.filter((e) => e.kind === "raw")).toEqual([]);
  });

  it("maps the single-object json result the same way as the stream's result", () => {
    const events = parseClaudeEvent(JSON.parse(readFileSync(join(TRANSCRIPTS, "claude-result.json"), "utf8")));
    valid(events);
    expect(events.at(-1)).toMatchObject({ kind: "result", isError: false });
  });
});

describe("claude-parser rules", () => {
  it("treats only is_error === false as success (a 500 says subtype success with is_error true)", () => {
    const [, result] = parseClaudeEvent({ type: "result", subtype: "success", is_error: true, result: "API Error: 500", usage: {} });
    expect(result).toMatchObject({ kind: "result", isError: true, summary: "API Error: 500", usage: { inputTokens: 0, outputTokens: 0 } });
    expect(parseClaudeEvent({ type: "result", subtype: "success", result: "x" })).toEqual([
      { kind: "result", isError: true, summary: "x", sessionId: null, durationMs: null, turns: null, usage: null },
    ]);
    expect(parseClaudeEvent({ type: "result", subtype: "error_max_turns", is_error: true, errors: ["Reached max turns"] })[0]).toMatchObject({
      summary: "Reached max turns",
    });
  });

  it("cuts long tool output and keeps its original length; joins text blocks; marks errors", () => {
    const long = "y".repeat(MAX_EVENT_TEXT + 500);
    const [a] = parseClaudeEvent({ type: "user", message: { content: [{ type: "tool_result", tool_use_id: "t1", content: long }] } });
    expect(a).toEqual({ kind: "tool_result", callId: "t1", output: long.slice(0, MAX_EVENT_TEXT), isError: false, originalLength: long.length });
    const [b] = parseClaudeEvent({
      type: "user",
      message: { content: [{ type: "tool_result", tool_use_id: "t2", is_error: true, content: [{ type: "text", text: "a" }, { type: "text", text: "b" }] }] },
    });
    expect(b).toEqual({ kind: "tool_result", callId: "t2", output: "a\nb", isError: true, originalLength: 3 });
  });

  it("keeps thinking, unknown types and unknown blocks (as raw), and non-JSON lines as output", () => {
    expect(parseClaudeEvent({ type: "assistant", message: { content: [{ type: "thinking", thinking: "hmm" }, { type: "server_tool_use", id: "s" }] } })).toEqual([
      { kind: "thinking", text: "hmm" },
      { kind: "raw", type: "assistant.server_tool_use", json: '{"type":"server_tool_use","id":"s"}' },
    ]);
    expect(parseClaudeEvent({ type: "rate_limit_event", x: 1 })).toEqual([{ kind: "raw", type: "rate_limit_event", json: '{"type":"rate_limit_event","x":1}' }]);
    expect(parseClaudeEvent({ type: "system", subtype: "compact_boundary" })[0]).toMatchObject({ kind: "raw", type: "system.compact_boundary" });
    expect(parseClaudeLine("Error: something broke")).toEqual([{ kind: "output", stream: "stdout", text: "Error: something broke" }]);
    expect(parseClaudeLine("   ")).toEqual([]);
    // A line too long to be read whole arrives in pieces that are not JSON: kept, split to fit.
    expect(parseClaudeLine(`{"type":"assistant",${"x".repeat(40_000)}`).map((e) => (e.kind === "output" ? e.text.length : -1))).toEqual([
      MAX_EVENT_TEXT, MAX_EVENT_TEXT, 40_020 - 2 * MAX_EVENT_TEXT,
    ]);
  });
});

describe("claude-parser fuzz", () => {
  // A small deterministic PRNG so a failure can be reproduced from its seed.
  function rng(seed: number) {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const KEYS = ["type", "subtype", "message", "content", "text", "thinking", "id", "name", "input", "tool_use_id", "is_error", "result", "usage",
    "session_id", "input_tokens", "output_tokens", "cache_read_input_tokens", "total_cost_usd", "duration_ms", "num_turns", "event", "delta", "errors", "status"];
  const TYPES = ["system", "init", "assistant", "user", "result", "stream_event", "text", "thinking", "tool_use", "tool_result", "content_block_delta", "text_delta", "status"];

  function randomValue(r: () => number, depth: number): unknown {
    const pick = Math.floor(r() * 10);
    const choose = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T;
    switch (depth > 4 ? pick % 5 : pick) {
      case 0:
        return null;
      case 1:
        return r() < 0.5;
      case 2:
        return choose([0, -1, 1.5, 1e308, -0, Number.MAX_SAFE_INTEGER * 4, 42]);
      case 3:
        return choose(TYPES);
      case 4:
        return r() < 0.1 ? "z".repeat(MAX_EVENT_TEXT * 2) : r() < 0.1 ? "\ud83d".repeat(3) : "s";
      case 5:
      case 6:
        return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = Math.floor(r() * 6); i > 0; i--) o[choose(KEYS)] = randomValue(r, depth + 1);
        return o;
      }
    }
  }

  /** Replaces one random field somewhere inside a real event with a random value. */
  function mutate(value: unknown, r: () => number): unknown {
    if (typeof value !== "object" || value === null) return randomValue(r, 3);
    const copy = structuredClone(value) as Record<string, unknown>;
    let node: Record<string, unknown> = copy;
    for (;;) {
      const keys = Object.keys(node);
      if (keys.length === 0) return copy;
      const key = keys[Math.floor(r() * keys.length)] ?? "";
      const child = node[key];
      if (typeof child === "object" && child !== null && r() < 0.7) {
        node = child as Record<string, unknown>;
        continue;
      }
      node[key] = randomValue(r, 3);
      return copy;
    }
  }

  const realLines = [
    ...readLines("claude-transcript.jsonl"),
    ...readLines("claude-transcript-resume.jsonl"),
    ...readLines("claude-transcript-partial-messages.jsonl"),
  ];

  it("never throws and always returns schema-valid events", () => {
    const r = rng(20261124);
    let checked = 0;
    const check = (events: AgentEvent[]) => {
      for (const e of events) {
        const parsed = AgentEvent.safeParse(e);
        if (!parsed.success) throw new Error(`invalid event ${JSON.stringify(e).slice(0, 300)}: ${parsed.error.message}`);
      }
      checked++;
    };
    for (let i = 0; i < 3000; i++) check(parseClaudeEvent(randomValue(r, 0)));
    for (let i = 0; i < 3000; i++) check(parseClaudeEvent(mutate(JSON.parse(realLines[i % realLines.length] ?? "{}"), r)));
    for (const line of realLines) {
      for (let cutAt = 0; cutAt < line.length; cutAt += 1 + Math.floor(r() * 97)) check(parseClaudeLine(line.slice(0, cutAt)));
    }
    // Values JSON cannot produce but a careless caller could pass.
    const cyclic: Record<string, unknown> = { type: "mystery" };
    cyclic.self = cyclic;
    for (const v of [undefined, Symbol("s"), 10n, cyclic, () => 1, [cyclic], { type: "assistant", message: { content: [cyclic] } }]) check(parseClaudeEvent(v));
    expect(checked).toBeGreaterThan(6000);
  });
});
