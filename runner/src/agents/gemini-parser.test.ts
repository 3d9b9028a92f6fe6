// The Gemini parser against transcripts recorded from the real CLI (runner/test/fixtures/agent-transcripts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AgentEvent } from "@multica/shared";
import { describe, expect, it } from "vitest";
import { GeminiLineMapper } from "./gemini";
import { GeminiParser } from "./gemini-parser";

const TRANSCRIPTS = join(import.meta.dirname, "../../test/fixtures/agent-transcripts");
const SESSION = "dadcea7c-8786-423d-8e7e-8c2a00db296a";
const HELLO = 'I created hello.txt containing "hello from mock".';

function run(name: string, parser = new GeminiParser()): AgentEvent[] {
  const lines = readFileSync(join(TRANSCRIPTS, name), "utf8").split("\n").filter((line) => line.trim() !== "");
  const events = lines.flatMap((line) => parser.parse(JSON.parse(line)));
  events.push(...parser.end());
  for (const event of events) expect(AgentEvent.safeParse(event).success).toBe(true);
  return events;
}

const kinds = (events: AgentEvent[]) => events.map((e) => e.kind);

describe("gemini parser", () => {
  it("maps a run that writes hello.txt: session, the write_file call and result, the answer, usage and result", () => {
    const parser = new GeminiParser();
    const events = run("gemini-transcript.jsonl", parser);
    expect(kinds(events)).toEqual(["session", "tool_call", "tool_result", "text_delta", "message", "usage", "result"]);
    expect(events[0]).toEqual({ kind: "session", sessionId: SESSION });
    const call = events[1];
    expect(call).toMatchObject({ kind: "tool_call", callId: "write_file__write_file_1795487237563_0", name: "write_file" });
    expect(call?.kind === "tool_call" && JSON.parse(call.input)).toEqual({ file_path: "/srv/agent-e2e/work/gemini1/hello.txt", content: "hello from mock\n" });
    expect(events[2]).toEqual({ kind: "tool_result", callId: "write_file__write_file_1795487237563_0", output: "", isError: false, originalLength: 0 });
    expect(events[3]).toEqual({ kind: "text_delta", text: HELLO });
    expect(events[4]).toEqual({ kind: "message", text: HELLO });
    const usage = { inputTokens: 300, outputTokens: 60, cacheReadTokens: 0 };
    expect(events[5]).toEqual({ kind: "usage", ...usage });
    expect(events[6]).toEqual({ kind: "result", isError: false, summary: HELLO, sessionId: SESSION, durationMs: 176, turns: null, usage });
    expect(parser.final()).toEqual({ sawResult: true, isError: false, error: null, sessionId: SESSION, usage });
  });

  it("maps a resumed run with the same session id and only that run's usage", () => {
    const parser = new GeminiParser();
    const events = run("gemini-transcript-resume.jsonl", parser);
    expect(kinds(events)).toEqual(["session", "text_delta", "message", "usage", "result"]);
    expect(events[0]).toEqual({ kind: "session", sessionId: SESSION });
    expect(events[2]).toEqual({ kind: "message", text: "Mock reply to: what did you do?" });
    expect(parser.final()).toEqual({ sawResult: true, isError: false, error: null, sessionId: SESSION, usage: { inputTokens: 100, outputTokens: 20, cacheReadTokens: 0 } });
  });

  it("gathers several deltas into one message, and flushes held text when stdout ends", () => {
    const parser = new GeminiParser();
    const delta = (content: string) => parser.parse({ type: "message", role: "assistant", content, delta: true });
    expect([...delta("Hel"), ...delta("lo")]).toEqual([{ kind: "text_delta", text: "Hel" }, { kind: "text_delta", text: "lo" }]);
    expect(parser.parse({ type: "tool_use", tool_name: "ls", tool_id: "t1", parameters: {} })).toEqual([
      { kind: "message", text: "Hello" },
      { kind: "tool_call", callId: "t1", name: "ls", input: "{}" },
    ]);
    delta("bye");
    expect(parser.end()).toEqual([{ kind: "message", text: "bye" }]);
    expect(parser.end()).toEqual([]);
    expect(parser.final()).toMatchObject({ sawResult: false, isError: false });
  });

  it("fails on a result that is not a success, with the CLI's error message", () => {
    const parser = new GeminiParser();
    const events = [
      { type: "tool_result", tool_id: "t1", status: "error", error: { type: "invalid", message: "no such file" } },
      { type: "error", severity: "error", message: "API error 500" },
      { type: "result", status: "error", error: { type: "api", message: "gave up after retries" }, stats: { input_tokens: 3, output_tokens: 0, duration_ms: 9 } },
    ].flatMap((e) => parser.parse(e));
    expect(kinds(events)).toEqual(["tool_result", "error", "usage", "result"]);
    expect(events[0]).toMatchObject({ output: "no such file", isError: true });
    expect(events[3]).toMatchObject({ kind: "result", isError: true, summary: "gave up after retries", durationMs: 9 });
    expect(parser.final()).toEqual({ sawResult: true, isError: true, error: "gave up after retries", sessionId: null, usage: { inputTokens: 3, outputTokens: 0 } });
  });

  it("keeps unknown events raw and drops the echoed user prompt", () => {
    const parser = new GeminiParser();
    expect(parser.parse({ type: "message", role: "user", content: "hi" })).toEqual([]);
    expect(parser.parse({ type: "retry", attempt: 2 })).toEqual([{ kind: "raw", type: "retry", json: '{"type":"retry","attempt":2}' }]);
    expect(parser.parse([1, 2])).toEqual([{ kind: "raw", type: "unknown", json: "[1,2]" }]);
  });
});

describe("gemini line mapper at the end of output", () => {
  it("hands over the text of a message cut off by the process dying, once", () => {
    const mapper = new GeminiLineMapper();
    const delta = (content: string) => JSON.stringify({ type: "message", role: "assistant", content, delta: true });
    const streamed = [...mapper.stdout(delta("Half a ")), ...mapper.stdout(delta("thought"))];
    expect(streamed.filter((e) => e.kind === "message")).toEqual([]);
    expect(mapper.end().filter((e) => e.kind === "message")).toEqual([{ kind: "message", text: "Half a thought" }]);
    expect(mapper.end()).toEqual([]);
  });
});
