/**
 * The contract of the parsers that turn an agent CLI's headless JSON-lines output into normalized
 * events (codex-parser.ts, gemini-parser.ts, opencode-parser.ts), and the small total helpers
 * they share for reading untrusted JSON. An adapter makes one parser per run and feeds it every
 * stdout line it could JSON.parse, in order.
 *
 * Usage events across all parsers mean "tokens spent since the previous usage event of this
 * run": a consumer sums them. `final().usage` is that sum.
 */
import { type AgentEvent, MAX_EVENT_TEXT, type TokenUsage } from "@multica/shared";

/** What the end of a run looks like from the CLI's own output. */
export interface ParserFinal {
  /** The CLI printed its own final word (a result, a completed turn, a last step that stopped). */
  sawResult: boolean;
  /** The CLI's output says the run failed. */
  isError: boolean;
  /** The CLI's own error message for the failure, if it gave one. */
  error: string | null;
  sessionId: string | null;
  /** Tokens spent by this run (not the whole session when the run resumed one). */
  usage: TokenUsage | null;
}

export interface LineParser {
  /** One stdout line already JSON.parsed (unknown). Returns the events it means. Never throws. */
  parse(json: unknown): AgentEvent[];
  /** Events still held back when stdout ended (e.g. streamed text not yet closed). Never throws. */
  end(): AgentEvent[];
  /** What the run's end looks like from the CLI's own output, for the outcome. */
  final(): ParserFinal;
}

/** Longest id or name an event may carry (see shared/src/events.ts). */
export const MAX_EVENT_ID = 200;

export type JsonObject = Record<string, unknown>;

/** The value as a plain JSON object, or null for arrays, primitives and null. */
export function asObject(value: unknown): JsonObject | null {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as JsonObject) : null;
}

export function asString(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** A token count: a non-negative safe integer, or null. */
export function asCount(value: unknown): number | null {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** A cost: a finite non-negative number, or null. */
export function asCost(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) && value >= 0 ? value : null;
}

/** Cuts text to `max` UTF-16 units without splitting a surrogate pair. */
export function cutText(text: string, max = MAX_EVENT_TEXT): string {
  if (text.length <= max) return text;
  const end = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/** Text in pieces of at most `max` UTF-16 units, none splitting a surrogate pair: nothing is dropped. */
export function splitText(text: string, max = MAX_EVENT_TEXT): string[] {
  const pieces: string[] = [];
  let rest = text;
  do {
    const piece = cutText(rest, max);
    pieces.push(piece);
    rest = rest.slice(piece.length);
  } while (rest.length > 0);
  return pieces;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** JSON text of any value; "" when it has none (undefined) or cannot be serialized (cycles, BigInt). */
export function toJsonText(value: unknown): string {
  try {
    const text = JSON.stringify(value);
    return typeof text === "string" ? text : "";
  } catch {
    return "";
  }
}

/** An event of the CLI's format that no rule knows: kept as raw JSON, cut to fit. */
/** A stdout line as JSON (wrapped, so a line `null` is still JSON), or null when it is not JSON. */
export function parseJsonLine(line: string): { json: unknown } | null {
  try {
    return { json: JSON.parse(line) };
  } catch {
    return null;
  }
}

/**
 * A stdout line that is not JSON, as the transcript shows it: nothing when blank, else plain
 * output. JSON-lines CLIs read lines longer than an event may carry (a line must be whole to
 * parse), so a long one is split over several events.
 */
export function plainOutput(line: string): AgentEvent[] {
  return line.trim() === "" ? [] : splitText(line).map((text) => ({ kind: "output", stream: "stdout", text }));
}

export function rawEvent(type: string, json: unknown): AgentEvent {
  return { kind: "raw", type: cutText(type, MAX_EVENT_ID), json: cutText(toJsonText(json)) };
}

export function toolCallEvent(callId: string, name: string, input: unknown): AgentEvent {
  const text = typeof input === "string" ? input : toJsonText(input ?? null);
  return { kind: "tool_call", callId: cutText(callId, MAX_EVENT_ID), name: cutText(name, MAX_EVENT_ID), input: cutText(text) };
}

/** A tool result cut to fit; `originalLength` keeps the length of the full output. */
export function toolResultEvent(callId: string, output: string, isError: boolean): AgentEvent {
  return { kind: "tool_result", callId: cutText(callId, MAX_EVENT_ID), output: cutText(output), isError, originalLength: output.length };
}

export function usageEvent(usage: TokenUsage): AgentEvent {
  return { kind: "usage", ...usage };
}

/**
 * Adds two usages; optional fields stay absent unless either side has them. Sums saturate
 * (counts at MAX_SAFE_INTEGER, cost at MAX_VALUE) so that absurd reports still give valid events.
 */
export function addUsage(a: TokenUsage | null, b: TokenUsage): TokenUsage {
  if (a === null) return { ...b };
  const count = (x: number, y: number) => Math.min(x + y, Number.MAX_SAFE_INTEGER);
  const sum: TokenUsage = { inputTokens: count(a.inputTokens, b.inputTokens), outputTokens: count(a.outputTokens, b.outputTokens) };
  for (const key of ["cacheReadTokens", "cacheWriteTokens"] as const) {
    if (a[key] !== undefined || b[key] !== undefined) sum[key] = count(a[key] ?? 0, b[key] ?? 0);
  }
  if (a.costUsd !== undefined || b.costUsd !== undefined) sum.costUsd = Math.min((a.costUsd ?? 0) + (b.costUsd ?? 0), Number.MAX_VALUE);
  return sum;
}

/** The `type` field of an event object, or null. */
export function typeOf(event: JsonObject): string | null {
  return asString(event.type);
}

/**
 * Runs one parse step so that nothing escapes: a value our rules still choke on (a hostile
 * getter, a proxy) becomes a raw event instead of an exception in the adapter.
 */
export function parseSafely(json: unknown, step: () => AgentEvent[]): AgentEvent[] {
  try {
    return step();
  } catch {
    return [rawEvent("unparsable", json)]; // rawEvent cannot throw: toJsonText catches
  }
}
