// The Cursor parser against transcripts written from Cursor's documented stream-json format
// (runner/test/fixtures/agent-transcripts/cursor-*.jsonl; not recorded: the CLI cannot run here),
// and against single events for the shapes the docs leave open.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AgentEvent } from "@multica/shared";
import { describe, expect, it } from "vitest";
import { CursorParser } from "./cursor-parser";

const TRANSCRIPTS = join(import.meta.dirname, "../../test/fixtures/agent-transcripts");
const SESSION = "4f0e2a4c-8d1b-4c55-9a7e-2f3b6c1d9e10";

function run(name: string, parser = new CursorParser()): AgentEvent[] {
  const lines = readFileSync(join(TRANSCRIPTS, name), "utf8").split("\n").filter((line) => line.trim() !== "");
  return feed(parser, lines.map((line) => JSON.parse(line) as unknown));
}

function feed(parser: CursorParser, values: unknown[]): AgentEvent[] {
  const events = values.flatMap((value) => parser.parse(value));
  events.push(...parser.end());
  for (const event of events) expect(AgentEvent.safeParse(event).success).toBe(true);
  return events;
}

const kinds = (events: AgentEvent[]) => events.map((e) => e.kind);

describe("cursor parser", () => {
  it("maps a run that writes hello.txt: session, thinking, messages, tool calls with results, and the result", () => {
    const parser = new CursorParser();
    const events = run("cursor-transcript.jsonl", parser);
    expect(kinds(events)).toEqual(["session", "thinking", "message", "tool_call", "tool_result", "tool_call", "tool_result", "message", "result"]);
    expect(events[0]).toEqual({ kind: "session", sessionId: SESSION });
    expect(events[1]).toEqual({ kind: "thinking", text: "The user wants a file named hello.txt." });
    expect(events[2]).toEqual({ kind: "message", text: "I'll create the file." });
    const write = "toolu_vrtx_01Q3VHVnWFSKygaRPT7WDxrv";
    expect(events[3]).toEqual({
      kind: "tool_call",
      callId: write,
      name: "write",
      input: JSON.stringify({ path: "hello.txt", fileText: "hello from mock\n", toolCallId: write }),
    });
    const written = JSON.stringify({ path: "/srv/agent-e2e/work/cursor1/hello.txt", linesCreated: 1, fileSize: 16 });
    expect(events[4]).toEqual({ kind: "tool_result", callId: write, output: written, isError: false, originalLength: written.length });
    const shell = "toolu_vrtx_01NnjaR886UcE8whekg2MGJd";
    expect(events[5]).toMatchObject({ kind: "tool_call", callId: shell, name: "shell" });
    expect(events[5]?.kind === "tool_call" && JSON.parse(events[5].input)).toMatchObject({ command: "cat hello.txt" });
    expect(events[6]).toEqual({ kind: "tool_result", callId: shell, output: "hello from mock\n", isError: false, originalLength: 16 });
    expect(events[7]).toEqual({ kind: "message", text: "Created hello.txt." });
    expect(events[8]).toEqual({ kind: "result", isError: false, summary: "Created hello.txt.", sessionId: SESSION, durationMs: 5234, turns: null, usage: null });
    expect(parser.final()).toEqual({ sawResult: true, isError: false, error: null, sessionId: SESSION, usage: null });
    expect(parser.messageCount()).toBe(2);
  });

  it("maps a resumed run that reads a file", () => {
    const events = run("cursor-transcript-resume.jsonl");
    expect(kinds(events)).toEqual(["session", "message", "tool_call", "tool_result", "message", "result"]);
    expect(events[2]).toEqual({ kind: "tool_call", callId: "toolu_vrtx_01HbV1yYk3LmQdV2mXyQ8kJt", name: "read", input: '{"path":"hello.txt"}' });
    expect(events[3]).toEqual({ kind: "tool_result", callId: "toolu_vrtx_01HbV1yYk3LmQdV2mXyQ8kJt", output: "hello from mock\n", isError: false, originalLength: 16 });
    expect(events[5]).toMatchObject({ kind: "result", isError: false, summary: "I wrote hello.txt earlier.", sessionId: SESSION, durationMs: 2104 });
  });

  it("maps `function` tools, the wrapped `tool.case` form, failed and rejected tools, and a shell exiting non-zero", () => {
    const events = feed(new CursorParser(), [
      { type: "tool_call", subtype: "started", call_id: "f1", tool_call: { function: { name: "todo_write", arguments: '{"todos":[]}' } } },
      { type: "tool_call", subtype: "completed", call_id: "f1", tool_call: { function: { name: "todo_write", arguments: "{}" } } },
      { type: "tool_call", subtype: "started", call_id: "s1", tool_call: { tool: { case: "shellToolCall", value: { args: { command: "false" } } } } },
      { type: "tool_call", subtype: "completed", call_id: "s1", tool_call: { shellToolCall: { args: {}, result: { success: { exitCode: 1, stdout: "", stderr: "boom\n" } } } } },
      { type: "tool_call", subtype: "completed", call_id: "e1", tool_call: { editToolCall: { args: {}, result: { error: { error: "no such file" } } }, completedAtMs: 1 } },
      { type: "tool_call", subtype: "completed", call_id: "m1", tool_call: { mcpToolCall: { result: { rejected: { reason: "not allowed" } } } } },
    ]);
    expect(events).toEqual([
      { kind: "tool_call", callId: "f1", name: "todo_write", input: '{"todos":[]}' },
      { kind: "tool_result", callId: "f1", output: "", isError: false, originalLength: 0 },
      { kind: "tool_call", callId: "s1", name: "shell", input: '{"command":"false"}' },
      { kind: "tool_result", callId: "s1", output: "boom\n", isError: true, originalLength: 5 },
      { kind: "tool_result", callId: "e1", output: "no such file", isError: true, originalLength: 12 },
      { kind: "tool_result", callId: "m1", output: "not allowed", isError: true, originalLength: 11 },
    ]);
  });

  it("fails an is_error result with its text, reads usage where the result has it, and keeps unknown events raw", () => {
    const parser = new CursorParser();
    const usage = { input_tokens: 120, output_tokens: 30, cache_read_input_tokens: 7, total_cost_usd: 0.01 };
    const events = feed(parser, [
      { type: "system", subtype: "init", session_id: "s-9", model: "auto" },
      { type: "interaction_query", subtype: "x", session_id: "s-9" },
      { type: "result", subtype: "error", is_error: true, result: "You've hit your usage limit", session_id: "s-9", usage },
    ]);
    expect(kinds(events)).toEqual(["session", "raw", "usage", "result"]);
    expect(events[1]).toMatchObject({ kind: "raw", type: "interaction_query" });
    expect(events[2]).toEqual({ kind: "usage", inputTokens: 120, outputTokens: 30, cacheReadTokens: 7, costUsd: 0.01 });
    expect(events[3]).toMatchObject({ kind: "result", isError: true, summary: "You've hit your usage limit", sessionId: "s-9" });
    expect(parser.final()).toMatchObject({ sawResult: true, isError: true, error: "You've hit your usage limit" });
    const camel = new CursorParser();
    feed(camel, [{ type: "result", subtype: "success", is_error: false, usage: { inputTokens: 1, outputTokens: 2, cacheWriteTokens: 3 } }]);
    expect(camel.final().usage).toEqual({ inputTokens: 1, outputTokens: 2, cacheWriteTokens: 3 });
  });

  it("reports an error event and flushes unfinished thinking when the stream ends without a result", () => {
    const parser = new CursorParser();
    const events = feed(parser, [
      { type: "thinking", subtype: "delta", text: "hmm", session_id: "s-1" },
      { type: "error", message: "Connection lost" },
      { type: "thinking", subtype: "delta", text: "again" },
    ]);
    expect(events).toEqual([
      { kind: "thinking", text: "hmm" },
      { kind: "error", message: "Connection lost" },
      { kind: "thinking", text: "again" },
    ]);
    expect(parser.final()).toEqual({ sawResult: false, isError: true, error: "Connection lost", sessionId: "s-1", usage: null });
    expect(parser.messageCount()).toBe(0);
  });
});
