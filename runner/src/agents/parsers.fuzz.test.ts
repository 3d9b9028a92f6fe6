// Feeds the Codex, Gemini, OpenCode, Cursor and Copilot parsers random, type-confused and truncated input: none may
// throw, and every event they emit must be a valid AgentEvent. Seeded, so a failure reproduces:
// the seed and the input are in the failure message.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AgentEvent, MAX_EVENT_TEXT, TokenUsage } from "@multica/shared";
import { describe, expect, it } from "vitest";
import { CodexParser } from "./codex-parser";
import { CopilotParser } from "./copilot-parser";
import { CursorParser } from "./cursor-parser";
import { GeminiParser } from "./gemini-parser";
import type { LineParser } from "./line-parser";
import { OpenCodeParser } from "./opencode-parser";

const TRANSCRIPTS = join(import.meta.dirname, "../../test/fixtures/agent-transcripts");
const SEED = 0x5eed_2026;

const PARSERS: Record<string, () => LineParser> = {
  codex: () => new CodexParser(),
  "codex resumed": () => new CodexParser({ previousUsage: { inputTokens: 150, outputTokens: 10_000, cacheReadTokens: 3 } }),
  gemini: () => new GeminiParser(),
  opencode: () => new OpenCodeParser(),
  cursor: () => new CursorParser(),
  copilot: () => new CopilotParser(),
};

/** mulberry32: small, fast, good enough to pick test inputs. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = [
  "thread.started", "turn.started", "turn.completed", "turn.failed", "item.started", "item.updated", "item.completed", "error",
  "init", "message", "tool_use", "tool_result", "result", "step_start", "step_finish", "text", "reasoning", "system", "assistant",
  // Cursor and Copilot (Copilot nests its fields under `data`)
  "user", "thinking", "tool_call", "assistant.message", "assistant.message_delta", "assistant.reasoning", "assistant.turn_start",
  "tool.execution_start", "tool.execution_complete", "session.error", "session.info", "session.warning", "user.message",
];
const ITEM_TYPES = ["agent_message", "reasoning", "command_execution", "file_change", "mcp_tool_call", "web_search", "todo_list", "error", "x"];
const KEYS = [
  "type", "item", "id", "text", "command", "aggregated_output", "exit_code", "status", "changes", "path", "kind", "server", "tool",
  "arguments", "result", "error", "message", "query", "items", "completed", "usage", "input_tokens", "output_tokens",
  "cached_input_tokens", "cache_write_input_tokens", "thread_id", "session_id", "role", "content", "delta", "tool_name", "tool_id",
  "parameters", "output", "stats", "duration_ms", "cached", "sessionID", "part", "callID", "state", "input", "reason", "tokens",
  "cache", "read", "write", "cost", "data", "name", "__proto__", "constructor", "toString",
  "subtype", "call_id", "tool_call", "readToolCall", "writeToolCall", "shellToolCall", "function", "args", "success", "is_error",
  "sessionId", "exitCode", "deltaContent", "toolRequests", "toolCallId", "toolName", "shellExecution", "errorType",
];
const LONG = "é".repeat(MAX_EVENT_TEXT - 1) + "😀".repeat(20); // a surrogate pair straddles the cut
const PRIMITIVES: unknown[] = [
  null, true, false, 0, -1, 1, 1.5, -0, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e308, Number.MAX_VALUE, NaN, Infinity, -Infinity,
  "", "x", "success", "stop", "assistant", "user", "\ud800", LONG, undefined,
];

function randomValue(rand: () => number, depth: number): unknown {
  const pick = <T,>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const roll = rand();
  if (depth <= 0 || roll < 0.35) return pick(PRIMITIVES);
  if (roll < 0.5) return pick([...TYPES, ...ITEM_TYPES, ...KEYS]);
  if (roll < 0.6) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth - 1));
  const object: Record<string, unknown> = {};
  if (rand() < 0.8) object.type = rand() < 0.9 ? pick(TYPES) : randomValue(rand, 0);
  if (rand() < 0.5) object.item = { id: pick(["i", "", LONG]), type: pick(ITEM_TYPES), ...(randomValue(rand, depth - 1) as object) };
  const fields = Math.floor(rand() * 6);
  for (let i = 0; i < fields; i++) Object.defineProperty(object, pick(KEYS), { value: randomValue(rand, depth - 1), enumerable: true, configurable: true });
  return object;
}

/** Replaces one node somewhere in a real event with a random value. */
function mutate(value: unknown, rand: () => number): unknown {
  if (typeof value !== "object" || value === null || rand() < 0.2) return randomValue(rand, 3);
  const copy: Record<string, unknown> = Array.isArray(value) ? ([...value] as unknown as Record<string, unknown>) : { ...value };
  const keys = Object.keys(copy);
  const key = keys[Math.floor(rand() * keys.length)];
  if (key !== undefined) copy[key] = mutate(copy[key], rand);
  return copy;
}

function replaceNumbers(value: unknown, extreme: number): unknown {
  if (typeof value === "number") return extreme;
  if (Array.isArray(value)) return value.map((entry) => replaceNumbers(entry, extreme));
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, replaceNumbers(entry, extreme)]));
}

/** Values JSON.parse never makes but a caller might pass: cycles, BigInt, throwing getters and proxies. */
function hostileValues(): unknown[] {
  const cyclic: Record<string, unknown> = { type: "tool_use", part: {} };
  cyclic.part = cyclic;
  (cyclic as { parameters?: unknown }).parameters = cyclic;
  const getter = Object.defineProperty({}, "type", { get: () => { throw new Error("boom"); }, enumerable: true });
  const proxy = new Proxy({}, { get: () => { throw new Error("trap"); }, has: () => { throw new Error("trap"); } });
  return [cyclic, getter, proxy, 10n, { type: "tool_use", tool_id: "t", parameters: { n: 10n } }, Symbol("s"), () => 1];
}

function transcriptLines(): string[] {
  return readdirSync(TRANSCRIPTS)
    .filter((name) => name.endsWith(".jsonl"))
    .flatMap((name) => readFileSync(join(TRANSCRIPTS, name), "utf8").split("\n"))
    .filter((line) => line.trim() !== "");
}

/** Feeds one input; returns a description of what went wrong, or null. */
function check(parser: LineParser, input: unknown): string | null {
  let events: AgentEvent[];
  try {
    events = parser.parse(input);
  } catch (err) {
    return `threw ${String(err)}`;
  }
  if (!Array.isArray(events)) return "did not return an array";
  for (const event of events) {
    const parsed = AgentEvent.safeParse(event);
    if (!parsed.success) return `invalid event ${JSON.stringify(event)?.slice(0, 300)}: ${parsed.error.message.slice(0, 300)}`;
  }
  return null;
}

function checkEnd(parser: LineParser): string | null {
  try {
    for (const event of parser.end()) if (!AgentEvent.safeParse(event).success) return `invalid end event ${JSON.stringify(event)}`;
    const final = parser.final();
    if (final.usage !== null && !TokenUsage.safeParse(final.usage).success) return `invalid final usage ${JSON.stringify(final.usage)}`;
    if (typeof final.sawResult !== "boolean" || typeof final.isError !== "boolean") return "final flags are not booleans";
    if (final.sessionId !== null && final.sessionId.length > 200) return "final session id too long";
  } catch (err) {
    return `end/final threw ${String(err)}`;
  }
  return null;
}

const describeInput = (input: unknown) => {
  try {
    return (JSON.stringify(input) ?? String(input)).slice(0, 300);
  } catch {
    return String(typeof input);
  }
};

describe.each(Object.keys(PARSERS))("%s parser under fuzzing", (name) => {
  const make = PARSERS[name] as () => LineParser;

  it("survives thousands of random, type-confused values with valid events only", () => {
    const rand = prng(SEED);
    const parser = make();
    for (let i = 0; i < 5_000; i++) {
      const input = randomValue(rand, 4);
      const problem = check(parser, input);
      if (problem) expect.fail(`seed ${SEED} input #${i} ${describeInput(input)}: ${problem}`);
      if (i % 500 === 0) expect(checkEnd(parser), `after input #${i}`).toBeNull();
    }
    expect(checkEnd(parser)).toBeNull();
  });

  it("survives mutated real transcript events, cycles, BigInt and throwing proxies", () => {
    const rand = prng(SEED + 1);
    const lines = transcriptLines().map((line) => JSON.parse(line) as unknown);
    const parser = make();
    for (let i = 0; i < 3_000; i++) {
      const input = mutate(lines[i % lines.length], rand);
      const problem = check(parser, input);
      if (problem) expect.fail(`seed ${SEED + 1} mutation #${i} ${describeInput(input)}: ${problem}`);
    }
    for (const input of hostileValues()) expect(check(parser, input), describeInput(input)).toBeNull();
    expect(checkEnd(parser)).toBeNull();
  });

  it("survives real transcripts, twice over, with every number replaced by an extreme", () => {
    const lines = transcriptLines().map((line) => JSON.parse(line) as unknown);
    for (const extreme of [Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, 2 ** 53 + 2, -1, 0.5, -0]) {
      const parser = make();
      for (const input of [...lines, ...lines].map((line) => replaceNumbers(line, extreme))) {
        expect(check(parser, input), `${extreme}: ${describeInput(input)}`).toBeNull();
      }
      expect(checkEnd(parser), String(extreme)).toBeNull();
    }
  });

  it("survives every prefix of every transcript line, parsed where it parses and as a raw string", () => {
    const parser = make();
    for (const line of transcriptLines()) {
      for (let end = 0; end <= line.length; end++) {
        const prefix = line.slice(0, end);
        let parsed: unknown = prefix;
        try {
          parsed = JSON.parse(prefix);
        } catch {
          // not JSON: fed only as the raw string below
        }
        if (parsed !== prefix) expect(check(parser, parsed), prefix).toBeNull();
        expect(check(parser, prefix), prefix).toBeNull();
      }
    }
    expect(checkEnd(parser)).toBeNull();
  });
});

describe("fuzz harness", () => {
  it("would catch an invalid event", () => {
    const broken: LineParser = { parse: () => [{ kind: "message", text: "x".repeat(MAX_EVENT_TEXT + 1) }], end: () => [], final: () => ({ sawResult: false, isError: false, error: null, sessionId: null, usage: null }) };
    expect(check(broken, {})).toMatch(/^invalid event/);
    const throwing: LineParser = { ...broken, parse: () => { throw new Error("x"); } };
    expect(check(throwing, {})).toBe("threw Error: x");
  });
});

