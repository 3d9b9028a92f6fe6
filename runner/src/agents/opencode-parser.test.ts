// The OpenCode parser against transcripts recorded from the real CLI (runner/test/fixtures/agent-transcripts).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AgentEvent } from "@multica/shared";
import { describe, expect, it } from "vitest";
import { OpenCodeParser } from "./opencode-parser";

const TRANSCRIPTS = join(import.meta.dirname, "../../test/fixtures/agent-transcripts");
const SESSION = "ses_df49e8c12ffezI35AmSr0mzkl0";
const HELLO = 'I created hello.txt containing "hello from mock".';
const STEP = { inputTokens: 100, outputTokens: 20, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 };

function run(name: string, parser = new OpenCodeParser()): AgentEvent[] {
  const lines = readFileSync(join(TRANSCRIPTS, name), "utf8").split("\n").filter((line) => line.trim() !== "");
  const events = lines.flatMap((line) => parser.parse(JSON.parse(line)));
  events.push(...parser.end());
  for (const event of events) expect(AgentEvent.safeParse(event).success).toBe(true);
  return events;
}

const kinds = (events: AgentEvent[]) => events.map((e) => e.kind);

describe("opencode parser", () => {
  it("maps a run that writes hello.txt: session, steps, the write call and result, the answer, usage summed", () => {
    const parser = new OpenCodeParser();
    const events = run("opencode-transcript.jsonl", parser);
    expect(kinds(events)).toEqual(["session", "status", "tool_call", "tool_result", "usage", "status", "message", "usage", "result"]);
    expect(events[0]).toEqual({ kind: "session", sessionId: SESSION });
    expect(events[1]).toEqual({ kind: "status", text: "step 1 started" });
    const call = events[2];
    expect(call).toMatchObject({ kind: "tool_call", callId: "call_8078a5dd22a7bdd7", name: "write" });
    expect(call?.kind === "tool_call" && JSON.parse(call.input)).toEqual({ filePath: "/srv/agent-e2e/work/opencode1/hello.txt", content: "hello from mock\n" });
    expect(events[3]).toEqual({ kind: "tool_result", callId: "call_8078a5dd22a7bdd7", output: "Wrote file successfully.", isError: false, originalLength: 24 });
    expect(events[4]).toEqual({ kind: "usage", ...STEP });
    expect(events[6]).toEqual({ kind: "message", text: HELLO });
    const total = { inputTokens: 200, outputTokens: 40, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0 };
    expect(events[8]).toEqual({ kind: "result", isError: false, summary: HELLO, sessionId: SESSION, durationMs: null, turns: 2, usage: total });
    expect(parser.final()).toEqual({ sawResult: true, isError: false, error: null, sessionId: SESSION, usage: total });
  });

  it("maps a resumed run with the same session and only that run's usage", () => {
    const parser = new OpenCodeParser();
    const events = run("opencode-transcript-resume.jsonl", parser);
    expect(kinds(events)).toEqual(["session", "status", "message", "usage", "result"]);
    expect(events[2]).toEqual({ kind: "message", text: 'Mock reply to: "what did you do?"' });
    expect(parser.final()).toEqual({ sawResult: true, isError: false, error: null, sessionId: SESSION, usage: STEP });
  });

  it("has no result until a step stops, and loses it when another step starts", () => {
    const parser = new OpenCodeParser();
    const lines = readFileSync(join(TRANSCRIPTS, "opencode-transcript.jsonl"), "utf8").split("\n").filter(Boolean);
    for (const line of lines.slice(0, 3)) parser.parse(JSON.parse(line));
    expect(parser.final()).toMatchObject({ sawResult: false, isError: false, usage: STEP });
    parser.parse({ type: "step_finish", sessionID: SESSION, part: { reason: "stop", tokens: { input: 1, output: 1 } } });
    expect(parser.final().sawResult).toBe(true);
    parser.parse({ type: "step_start", sessionID: SESSION, part: {} });
    expect(parser.final().sawResult).toBe(false);
  });

  it("maps a failed tool, reasoning and an error event; keeps unknown events raw", () => {
    const parser = new OpenCodeParser();
    const tool = (status: string, extra: object) => parser.parse({ type: "tool_use", sessionID: "s", part: { type: "tool", tool: "bash", callID: "c1", state: { status, input: { command: "x" }, ...extra } } });
    expect(tool("running", {})).toEqual([{ kind: "session", sessionId: "s" }, { kind: "tool_call", callId: "c1", name: "bash", input: '{"command":"x"}' }]);
    expect(tool("error", { error: "exit 1" })).toEqual([{ kind: "tool_result", callId: "c1", output: "exit 1", isError: true, originalLength: 6 }]);
    expect(parser.parse({ type: "reasoning", part: { text: "think" } })).toEqual([{ kind: "thinking", text: "think" }]);
    expect(parser.parse({ type: "error", error: { name: "APIError", data: { message: "rate limited" } } })).toEqual([{ kind: "error", message: "rate limited" }]);
    expect(parser.final()).toMatchObject({ isError: true, error: "rate limited", sessionId: "s" });
    expect(parser.parse({ type: "permission", x: 1 })).toEqual([{ kind: "raw", type: "permission", json: '{"type":"permission","x":1}' }]);
  });
});
