// The Copilot parser against transcripts recorded from the real CLI (@github/copilot 1.0.102
// against a scripted local model server; runner/test/fixtures/agent-transcripts/copilot-*.jsonl).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AgentEvent } from "@multica/shared";
import { describe, expect, it } from "vitest";
import { CopilotParser } from "./copilot-parser";

const TRANSCRIPTS = join(import.meta.dirname, "../../test/fixtures/agent-transcripts");
const WORK = "/srv/agent-e2e/work/copilot1";

function run(name: string, parser = new CopilotParser()): AgentEvent[] {
  const lines = readFileSync(join(TRANSCRIPTS, name), "utf8").split("\n").filter((line) => line.trim() !== "");
  const events = lines.flatMap((line) => parser.parse(JSON.parse(line)));
  events.push(...parser.end());
  for (const event of events) expect(AgentEvent.safeParse(event).success).toBe(true);
  return events;
}

/** The run without the raw startup events (skills, MCP servers, tools), whose content varies by version. */
const meaningful = (events: AgentEvent[]) => events.filter((e) => e.kind !== "raw");
const kinds = (events: AgentEvent[]) => events.map((e) => e.kind);

describe("copilot parser", () => {
  it("maps a run that creates hello.txt: deltas, messages, the tool call and its result, and the result", () => {
    const parser = new CopilotParser();
    const events = run("copilot-transcript.jsonl", parser);
    expect(events.filter((e) => e.kind === "raw").map((e) => e.kind === "raw" && e.type)).toEqual([
      "session.skills_loaded",
      "session.mcp_servers_loaded",
      "session.tools_updated",
    ]);
    const session = "af0f888a-0757-45a3-81c0-9e7b2bbd1d6c";
    expect(meaningful(events)).toEqual([
      { kind: "text_delta", text: "I'll create the file." },
      { kind: "message", text: "I'll create the file." },
      { kind: "tool_call", callId: "toolu_mock000003", name: "create", input: JSON.stringify({ path: `${WORK}/hello.txt`, file_text: "hello from mock\n" }) },
      { kind: "status", text: `file_created: ${WORK}/hello.txt` },
      {
        kind: "tool_result",
        callId: "toolu_mock000003",
        output: `Created file ${WORK}/hello.txt with 16 characters`,
        isError: false,
        originalLength: `Created file ${WORK}/hello.txt with 16 characters`.length,
      },
      { kind: "text_delta", text: "Created hello.txt." },
      { kind: "message", text: "Created hello.txt." },
      { kind: "result", isError: false, summary: "Created hello.txt.", sessionId: session, durationMs: 326, turns: 2, usage: null },
    ]);
    expect(parser.final()).toEqual({ sawResult: true, isError: false, error: null, sessionId: session, usage: null });
    expect(parser.error()).toBeNull();
  });

  it("maps a resumed run: one turn, its answer, the same session", () => {
    const events = meaningful(run("copilot-transcript-resume.jsonl"));
    expect(kinds(events)).toEqual(["text_delta", "message", "result"]);
    expect(events[2]).toEqual({
      kind: "result",
      isError: false,
      summary: "I wrote hello.txt earlier.",
      sessionId: "af0f888a-0757-45a3-81c0-9e7b2bbd1d6c",
      durationMs: 3341,
      turns: 1,
      usage: null,
    });
  });

  it("marks a failed tool and a shell command that exited non-zero as errors", () => {
    const events = meaningful(run("copilot-transcript-tools.jsonl"));
    expect(kinds(events)).toEqual(["text_delta", "message", "tool_call", "tool_result", "tool_call", "tool_result", "text_delta", "message", "result"]);
    expect(events[2]).toEqual({ kind: "tool_call", callId: "toolu_mock000003", name: "view", input: JSON.stringify({ path: `${WORK}/missing.txt` }) });
    expect(events[3]).toEqual({ kind: "tool_result", callId: "toolu_mock000003", output: "Path does not exist", isError: true, originalLength: 19 });
    expect(events[4]).toEqual({
      kind: "tool_call",
      callId: "toolu_mock000006",
      name: "bash",
      input: JSON.stringify({ command: "ls missing-dir", description: "List the missing directory" }),
    });
    const output = "ls: cannot access 'missing-dir': No such file or directory\n<shellId: 0 completed with exit code 2>";
    expect(events[5]).toEqual({ kind: "tool_result", callId: "toolu_mock000006", output, isError: true, originalLength: output.length });
    expect(events[8]).toMatchObject({ kind: "result", isError: false, summary: "Neither exists.", turns: 3 });
  });

  it("fails the run with the CLI's error and keeps its category: authentication", () => {
    const parser = new CopilotParser();
    const events = meaningful(run("copilot-transcript-auth-error.jsonl", parser));
    expect(kinds(events)).toEqual(["status", "status", "error", "result"]);
    expect(events[0]).toEqual({ kind: "status", text: "model_retry: Request failed due to a transient API error. Retrying..." });
    const message = expect.stringMatching(/^Authentication failed with provider at http:\/\/127\.0\.0\.1:\d+ \(HTTP 401\)\./);
    expect(events[3]).toEqual({ kind: "result", isError: true, summary: message, sessionId: "34c39fa5-6642-4f3a-919f-be9c75f09b94", durationMs: 2321, turns: 1, usage: null });
    expect(parser.error()).toEqual({ type: "authentication", message, statusCode: 401 });
    expect(parser.final()).toMatchObject({ sawResult: true, isError: true, error: message });
  });

  it("fails the run with the CLI's error and keeps its category: rate limit", () => {
    const parser = new CopilotParser();
    const events = meaningful(run("copilot-transcript-rate-limit.jsonl", parser));
    expect(kinds(events)).toEqual(["error", "result"]);
    expect(parser.error()).toEqual({
      type: "rate_limit",
      message: expect.stringMatching(/^Failed to get response from the AI model; retried 5 times .* Last error: 429 mock error 429$/),
      statusCode: 429,
    });
  });

  it("announces a tool that no message asked for when it starts, and treats a result without an exit code as failed", () => {
    const parser = new CopilotParser();
    const events = [
      { type: "tool.execution_start", data: { toolCallId: "t9", toolName: "bash", arguments: { command: "ls" } } },
      { type: "assistant.reasoning", data: { reasoningId: "r", content: "thinking hard" } },
      { type: "session.something_new", data: {} },
      { type: "result", sessionId: "s-2" },
    ].flatMap((value) => parser.parse(value));
    expect(events).toEqual([
      { kind: "tool_call", callId: "t9", name: "bash", input: '{"command":"ls"}' },
      { kind: "thinking", text: "thinking hard" },
      { kind: "raw", type: "session.something_new", json: '{"type":"session.something_new","data":{}}' },
      { kind: "result", isError: true, summary: "copilot ended with exit code unknown", sessionId: "s-2", durationMs: null, turns: 0, usage: null },
    ]);
  });
});
