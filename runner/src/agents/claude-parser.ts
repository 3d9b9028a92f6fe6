/**
 * Pure mapping of Claude Code's `--output-format stream-json --verbose` lines to normalized
 * events. claude.ts parses each stdout line as JSON and hands the value here. Nothing in the
 * input is trusted: any value (wrong types, missing fields, huge strings) yields valid events
 * and never throws. Shapes come from the recorded transcripts in
 * runner/test/fixtures/agent-transcripts/claude-*.jsonl.
 */
import { type AgentEvent, type TokenUsage } from "@multica/shared";
import { cutText as cut, splitText } from "./line-parser";

/** Longest id, tool name or raw type an event may carry (the AgentEvent schema's limit). */
const MAX_ID = 200;

type Obj = Record<string, unknown>;

/** Events for one stdout line: JSON values are mapped; anything else is kept as an `output` line. */
export function parseClaudeLine(line: string): AgentEvent[] {
  if (line.trim() === "") return [];
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return splitText(line).map((text) => ({ kind: "output", stream: "stdout", text }));
  }
  return parseClaudeEvent(value);
}

/** Events for one parsed stream-json value. */
export function parseClaudeEvent(value: unknown): AgentEvent[] {
  try {
    return mapEvent(value);
  } catch {
    // Unreachable for JSON values; a getter or proxy could still throw: keep the line, as raw.
    return [raw("unparsed", value)];
  }
}

function mapEvent(value: unknown): AgentEvent[] {
  if (!isObj(value)) return [raw("unknown", value)];
  switch (value.type) {
    case "system":
      return mapSystem(value);
    case "assistant":
      return mapAssistant(value);
    case "user":
      return mapUser(value);
    case "stream_event":
      return mapStreamEvent(value);
    case "result":
      return mapResult(value);
    case "rate_limit_event":
      return mapRateLimit(value);
    default:
      return [raw(typeof value.type === "string" ? value.type : "unknown", value)];
  }
}

function mapSystem(value: Obj): AgentEvent[] {
  const sessionId = str(value.session_id);
  if (value.subtype === "init" && sessionId) return [{ kind: "session", sessionId: cut(sessionId, MAX_ID) }];
  if (value.subtype === "status" && typeof value.status === "string") return [{ kind: "status", text: cut(value.status) }];
  if (value.subtype === "api_retry") return [{ kind: "status", text: cut(describeRetry(value)) }];
  return [raw(`system.${str(value.subtype) ?? "unknown"}`, value)];
}

function mapAssistant(value: Obj): AgentEvent[] {
  const content = isObj(value.message) ? value.message.content : undefined;
  if (!Array.isArray(content)) return [raw("assistant", value)];
  return content.flatMap((block): AgentEvent[] => {
    if (!isObj(block)) return [raw("assistant.unknown", block)];
    switch (block.type) {
      case "text":
        return typeof block.text === "string" ? [{ kind: "message", text: cut(block.text) }] : [raw("assistant.text", block)];
      case "thinking":
        return typeof block.thinking === "string" ? [{ kind: "thinking", text: cut(block.thinking) }] : [raw("assistant.thinking", block)];
      case "tool_use":
        return [{ kind: "tool_call", callId: cut(str(block.id) ?? "", MAX_ID), name: cut(str(block.name) ?? "", MAX_ID), input: cut(toJson(block.input ?? {})) }];
      default:
        return [raw(`assistant.${str(block.type) ?? "unknown"}`, block)];
    }
  });
}

function mapUser(value: Obj): AgentEvent[] {
  const content = isObj(value.message) ? value.message.content : undefined;
  if (!Array.isArray(content)) return [raw("user", value)];
  return content.flatMap((block): AgentEvent[] => {
    if (!isObj(block) || block.type !== "tool_result") return [raw(`user.${isObj(block) ? (str(block.type) ?? "unknown") : "unknown"}`, block)];
    const output = toolOutput(block.content);
    return [
      {
        kind: "tool_result",
        callId: cut(str(block.tool_use_id) ?? "", MAX_ID),
        output: cut(output),
        isError: block.is_error === true,
        originalLength: output.length,
      },
    ];
  });
}

/** Tool output is a string or a list of blocks (text, images, …): text joined, other blocks as JSON. */
function toolOutput(content: unknown): string {
  if (typeof content === "string") return content;
  if (content === undefined || content === null) return "";
  if (!Array.isArray(content)) return toJson(content);
  return content.map((b) => (isObj(b) && b.type === "text" && typeof b.text === "string" ? b.text : toJson(b))).join("\n");
}

/**
 * `--include-partial-messages` adds the raw API stream. Only text deltas are new information: the
 * complete blocks (text, tool input) arrive again in the `assistant` message that follows.
 */
function mapStreamEvent(value: Obj): AgentEvent[] {
  const event = isObj(value.event) ? value.event : null;
  const delta = event && isObj(event.delta) ? event.delta : null;
  if (event?.type === "content_block_delta" && delta?.type === "text_delta" && typeof delta.text === "string") {
    return [{ kind: "text_delta", text: cut(delta.text) }];
  }
  return [];
}

function mapResult(value: Obj): AgentEvent[] {
  const usage = readUsage(value);
  const events: AgentEvent[] = usage ? [{ kind: "usage", ...usage }] : [];
  const sessionId = str(value.session_id);
  events.push({
    kind: "result",
    // Only an explicit `false` is success: a 500 gives `subtype: "success"` with `is_error: true`.
    isError: value.is_error !== false,
    summary: cut(resultSummary(value)),
    sessionId: sessionId ? cut(sessionId, MAX_ID) : null,
    durationMs: nonNegInt(value.duration_ms) ?? null,
    turns: nonNegInt(value.num_turns) ?? null,
    usage,
  });
  return events;
}

/** A failed API call Claude Code will retry: "API error 429 (rate_limit); retry 1 of 10 in 2.0s". */
function describeRetry(value: Obj): string {
  const status = nonNegInt(value.error_status);
  const delay = typeof value.retry_delay_ms === "number" && Number.isFinite(value.retry_delay_ms) ? ` in ${(value.retry_delay_ms / 1000).toFixed(1)}s` : "";
  const attempt = nonNegInt(value.attempt);
  const max = nonNegInt(value.max_retries);
  const which = attempt !== undefined ? ` ${attempt}${max !== undefined ? ` of ${max}` : ""}` : "";
  return `API error ${status ?? "(no status)"}${str(value.error) ? ` (${str(value.error)})` : ""}; retry${which}${delay}`;
}

/**
 * Subscription (claude.ai) accounts get the state of their usage windows: "rate limit rejected
 * (five_hour), resets at 2026-11-24T17:31:07Z". Without `rate_limit_info` the line is kept raw.
 */
function mapRateLimit(value: Obj): AgentEvent[] {
  const info = isObj(value.rate_limit_info) ? value.rate_limit_info : null;
  const status = str(info?.status);
  if (!info || !status) return [raw("rate_limit_event", value)];
  const type = str(info.rateLimitType);
  const resetsAt = epochSeconds(info.resetsAt);
  const resets = resetsAt !== null ? `, resets at ${new Date(resetsAt).toISOString().replace(/\.\d{3}Z$/, "Z")}` : "";
  return [{ kind: "status", text: cut(`rate limit ${status}${type ? ` (${type})` : ""}${resets}`) }];
}

/** What one stream-json value says about a failed API call, for the verdict (see ClaudeLineMapper). */
export interface ClaudeApiSignal {
  /** `result.api_error_status`: the HTTP status of the request that failed the run (null when none did). */
  status?: number | null;
  /** The `error` class of Claude Code's own assistant message for a failed call: rate_limit, authentication_failed, model_not_found, … */
  errorClass?: string | null;
  /** A `rate_limit_event`: rejected (with when the window resets, ms, if it said) or not. */
  rateLimit?: { rejected: true; resetsAt: number | null } | { rejected: false };
}

/** The API signal in one parsed stream-json value, or null when it carries none. Never throws. */
export function readApiSignal(value: unknown): ClaudeApiSignal | null {
  if (!isObj(value)) return null;
  if (value.type === "result") return { status: nonNegInt(value.api_error_status) ?? null };
  if (value.type === "assistant") return { errorClass: str(value.error) ?? null };
  const info = value.type === "rate_limit_event" && isObj(value.rate_limit_info) ? value.rate_limit_info : null;
  if (!info) return null;
  if (info.status !== "rejected") return { rateLimit: { rejected: false } };
  return { rateLimit: { rejected: true, resetsAt: epochSeconds(info.resetsAt) ?? epochSeconds(info.overageResetsAt) } };
}

/** Epoch seconds (as Claude Code reports resets) to ms, or null. */
function epochSeconds(value: unknown): number | null {
  const s = nonNegInt(value);
  return s !== undefined && s > 0 && s < 1e11 ? s * 1000 : null;
}

/** The final text; error results may carry `errors` instead (e.g. `error_max_turns`). */
function resultSummary(value: Obj): string {
  if (typeof value.result === "string") return value.result;
  if (Array.isArray(value.errors) && value.errors.length > 0) return value.errors.map((e) => (typeof e === "string" ? e : toJson(e))).join("\n");
  return str(value.subtype) ?? "";
}

/** Usage of this invocation; `total_cost_usd` is cumulative for a resumed session (see SETUP-NOTES). */
function readUsage(value: Obj): TokenUsage | null {
  const u = isObj(value.usage) ? value.usage : null;
  if (!u) return null;
  const usage: TokenUsage = { inputTokens: nonNegInt(u.input_tokens) ?? 0, outputTokens: nonNegInt(u.output_tokens) ?? 0 };
  const cacheRead = nonNegInt(u.cache_read_input_tokens);
  const cacheWrite = nonNegInt(u.cache_creation_input_tokens);
  const cost = value.total_cost_usd;
  if (cacheRead !== undefined) usage.cacheReadTokens = cacheRead;
  if (cacheWrite !== undefined) usage.cacheWriteTokens = cacheWrite;
  if (typeof cost === "number" && Number.isFinite(cost) && cost >= 0) usage.costUsd = cost;
  return usage;
}

function raw(type: string, value: unknown): AgentEvent {
  return { kind: "raw", type: cut(type, MAX_ID), json: cut(toJson(value)) };
}

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function nonNegInt(value: unknown): number | undefined {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return undefined;
  const n = Math.round(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** JSON text of any value; never throws (cycles, BigInt) and never returns undefined. */
function toJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(Object.prototype.toString.call(value));
  }
}

