// The Codex parser against transcripts recorded from the real CLI (runner/test/fixtures/agent-transcripts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AgentEvent, MAX_EVENT_TEXT } from "@multica/shared";
import { describe, expect, it } from "vitest";
import { CodexParser } from "./codex-parser";

const TRANSCRIPTS = join(import.meta.dirname, "../../test/fixtures/agent-transcripts");

function run(name: string, parser = new CodexParser()): AgentEvent[] {
  const lines = readFileSync(join(TRANSCRIPTS, name), "utf8").split("\n").filter((line) => line.trim() !== "");
  const events = lines.flatMap((line) => parser.parse(JSON.parse(line)));
  events.push(...parser.end());
  for (const event of events) expect(AgentEvent.safeParse(event).success).toBe(true);
  return events;
}

const kinds = (events: AgentEvent[]) => events.map((e) => e.kind);
const HELLO = 'I created hello.txt containing "hello from mock".';

describe("codex parser", () => {
  it("maps a shell-command run: session, the command, its output, the answer, usage and a result", () => {
    const parser = new CodexParser();
    const events = run("codex-transcript.jsonl", parser);
    expect(kinds(events)).toEqual(["session", "status", "tool_call", "tool_result", "message", "usage", "result"]);
    expect(events[0]).toEqual({ kind: "session", sessionId: "01a20b60-0a80-7b83-a997-1eec11a09a69" });
    expect(events[2]).toEqual({
      kind: "tool_call",
      callId: "item_0",
      name: "shell",
      input: JSON.stringify({ command: "/bin/bash -lc \"printf 'hello from mock\\\\n' > hello.txt && echo created\"" }),
    });
    expect(events[3]).toEqual({ kind: "tool_result", callId: "item_0", output: "created\n", isError: false, originalLength: 8 });
    expect(events[4]).toEqual({ kind: "message", text: HELLO });
    expect(events[5]).toEqual({ kind: "usage", inputTokens: 200, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0 });
    const usage = { inputTokens: 200, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0 };
    expect(events[6]).toEqual({ kind: "result", isError: false, summary: HELLO, sessionId: "01a20b60-0a80-7b83-a997-1eec11a09a69", durationMs: null, turns: 1, usage });
    expect(parser.final()).toEqual({ sawResult: true, isError: false, error: null, sessionId: "01a20b60-0a80-7b83-a997-1eec11a09a69", usage });
  });

  it("maps an apply_patch file change to a call and a result naming the created path", () => {
    const events = run("codex-transcript-apply-patch.jsonl");
    expect(kinds(events)).toEqual(["session", "status", "message", "tool_call", "tool_result", "message", "usage", "result"]);
    const call = events[3];
    expect(call).toMatchObject({ kind: "tool_call", callId: "item_1", name: "file_change" });
    expect(call?.kind === "tool_call" && JSON.parse(call.input)).toEqual({ changes: [{ path: "/srv/agent-e2e/work/codex3/hello.txt", kind: "add" }] });
    expect(events[4]).toMatchObject({ kind: "tool_result", callId: "item_1", output: "add /srv/agent-e2e/work/codex3/hello.txt", isError: false });
    expect(events[7]).toMatchObject({ kind: "result", summary: HELLO, isError: false });
  });

  it("reports only the tokens a resumed run added to the thread's cumulative usage", () => {
    const first = new CodexParser();
    run("codex-transcript.jsonl", first);
    const parser = new CodexParser({ previousUsage: first.cumulativeUsage() });
    const events = run("codex-transcript-resume.jsonl", parser);
    expect(kinds(events)).toEqual(["session", "error", "status", "message", "usage", "result"]);
    expect(events[1]).toMatchObject({ kind: "error", message: expect.stringContaining("Model metadata for `mock-model` not found") });
    expect(events[3]).toEqual({ kind: "message", text: "Mock reply to: what did you do?" });
    const spent = { inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0 };
    expect(events[4]).toEqual({ kind: "usage", ...spent });
    expect(parser.final()).toEqual({ sawResult: true, isError: false, error: null, sessionId: "01a20b5d-b890-7212-add1-f1c2e5258e31", usage: spent });
    expect(parser.cumulativeUsage()).toMatchObject({ inputTokens: 300, outputTokens: 60 });
  });

  it("takes the report as is when the previous usage cannot be this thread's", () => {
    const parser = new CodexParser({ previousUsage: { inputTokens: 5000, outputTokens: 1 } });
    run("codex-transcript-resume.jsonl", parser);
    expect(parser.final().usage).toMatchObject({ inputTokens: 300, outputTokens: 60 });
  });

  it("fails on turn.failed and on a stream error no completed turn follows", () => {
    const failed = new CodexParser();
    const events = [{ type: "thread.started", thread_id: "t1" }, { type: "turn.started" }, { type: "turn.failed", error: { message: "quota exceeded" } }].flatMap((e) => failed.parse(e));
    expect(kinds(events)).toEqual(["session", "status", "error", "result"]);
    expect(events[3]).toMatchObject({ kind: "result", isError: true, summary: "quota exceeded", sessionId: "t1", turns: 1, usage: null });
    expect(failed.final()).toEqual({ sawResult: true, isError: true, error: "quota exceeded", sessionId: "t1", usage: null });

    const broken = new CodexParser();
    broken.parse({ type: "error", message: "stream disconnected" });
    expect(broken.final()).toMatchObject({ sawResult: false, isError: true, error: "stream disconnected" });
    broken.parse({ type: "turn.completed", usage: { input_tokens: 1, output_tokens: 1 } });
    expect(broken.final()).toMatchObject({ sawResult: true, isError: false, error: null });
  });

  it("maps a failed command, reasoning, MCP calls, searches and plans; keeps unknown items raw", () => {
    const parser = new CodexParser();
    const item = (type: string, phase: string, fields: object) => parser.parse({ type: `item.${phase}`, item: { id: `i_${type}`, type, ...fields } });
    expect(item("command_execution", "completed", { command: "false", aggregated_output: "boom", exit_code: 1, status: "failed" })).toEqual([
      { kind: "tool_call", callId: "i_command_execution", name: "shell", input: '{"command":"false"}' },
      { kind: "tool_result", callId: "i_command_execution", output: "boom", isError: true, originalLength: 4 },
    ]);
    expect(item("reasoning", "completed", { text: "hmm" })).toEqual([{ kind: "thinking", text: "hmm" }]);
    expect(item("mcp_tool_call", "started", { server: "fs", tool: "read", arguments: { p: 1 }, status: "in_progress" })).toEqual([
      { kind: "tool_call", callId: "i_mcp_tool_call", name: "fs.read", input: '{"p":1}' },
    ]);
    expect(item("mcp_tool_call", "completed", { server: "fs", tool: "read", result: { content: [{ type: "text", text: "data" }] }, error: null, status: "completed" })).toEqual([
      { kind: "tool_result", callId: "i_mcp_tool_call", output: "data", isError: false, originalLength: 4 },
    ]);
    expect(item("web_search", "completed", { query: "vitest" })).toMatchObject([{ kind: "tool_call", name: "web_search" }, { kind: "tool_result" }]);
    const plan = { items: [{ text: "a", completed: true }, { text: "b", completed: false }] };
    expect(item("todo_list", "started", plan)).toEqual([{ kind: "status", text: "plan:\n[x] a\n[ ] b" }]);
    expect(item("todo_list", "completed", plan)).toEqual([]);
    expect(item("hologram", "completed", { x: 1 })).toEqual([{ kind: "raw", type: "item.completed:hologram", json: '{"id":"i_hologram","type":"hologram","x":1}' }]);
    expect(parser.parse({ type: "thread.archived", n: 1 })).toEqual([{ kind: "raw", type: "thread.archived", json: '{"type":"thread.archived","n":1}' }]);
  });

  it("cuts long text and keeps the full length of a long tool output", () => {
    const parser = new CodexParser();
    const long = "x".repeat(MAX_EVENT_TEXT + 10);
    const [call, result] = parser.parse({ type: "item.completed", item: { id: "c", type: "command_execution", command: long, aggregated_output: long, exit_code: 0 } });
    expect(call?.kind === "tool_call" && call.input.length).toBe(MAX_EVENT_TEXT);
    expect(result).toMatchObject({ kind: "tool_result", originalLength: MAX_EVENT_TEXT + 10 });
    expect(result?.kind === "tool_result" && result.output.length).toBe(MAX_EVENT_TEXT);
  });
});
