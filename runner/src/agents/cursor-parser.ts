/**
 * Parses Cursor Agent's `cursor-agent -p --output-format stream-json` lines into normalized
 * events. Used by the Cursor adapter, one parser per run. The CLI cannot be run here (no npm
 * package, no local model endpoint), so the shapes come from its documentation:
 *   https://cursor.com/docs/cli/reference/output-format (system/init, user, assistant,
 *   tool_call started/completed with readToolCall / writeToolCall / `function`, result),
 * and from captures of the real binary published in reifying/cursor-hack
 * (docs/stream-json-events.md: thinking delta/completed, shellToolCall, lsToolCall, model_call_id).
 * runner/test/fixtures/agent-transcripts/cursor-*.jsonl are written from those sources.
 */
import { type AgentEvent, MAX_EVENT_TEXT, type TokenUsage } from "@multica/shared";
import {
  type JsonObject,
  type LineParser,
  MAX_EVENT_ID,
  type ParserFinal,
  asCount,
  asCost,
  asObject,
  asString,
  cutText,
  parseSafely,
  rawEvent,
  toolCallEvent,
  toJsonText,
  toolResultEvent,
  typeOf,
  usageEvent,
} from "./line-parser";

export class CursorParser implements LineParser {
  private sessionId: string | null = null;
  private sawResult = false;
  private resultFailed = false;
  private lastMessage = "";
  private messages = 0;
  private lastError: string | null = null;
  private usage: TokenUsage | null = null;
  /** Thinking deltas gathered until `thinking/completed`, held to what one event may carry. */
  private thinking: string | null = null;

  parse(json: unknown): AgentEvent[] {
    return parseSafely(json, () => this.parseEvent(json));
  }

  end(): AgentEvent[] {
    return parseSafely(null, () => this.flushThinking());
  }

  final(): ParserFinal {
    const isError = this.sawResult ? this.resultFailed : this.lastError !== null;
    const error = isError ? (this.lastError ?? "cursor-agent reported an error") : null;
    return { sawResult: this.sawResult, isError, error, sessionId: this.sessionId, usage: this.usage };
  }

  /** How many assistant messages the run printed (a run without a result is judged with it). */
  messageCount(): number {
    return this.messages;
  }

  private parseEvent(json: unknown): AgentEvent[] {
    const event = asObject(json);
    const type = event && typeOf(event);
    if (!event || type === null) return [rawEvent("unknown", json)];
    const session = asString(event.session_id);
    if (session && this.sessionId === null && type !== "system") this.sessionId = cutText(session, MAX_EVENT_ID);
    if (type === "thinking") return this.thinkingEvent(event);
    const events = this.flushThinking();
    events.push(...this.parseOther(type, event));
    return events;
  }

  private parseOther(type: string, event: JsonObject): AgentEvent[] {
    switch (type) {
      case "system": {
        const id = asString(event.session_id);
        if (event.subtype !== "init" || !id) return [rawEvent(`system.${asString(event.subtype) ?? "unknown"}`, event)];
        this.sessionId = cutText(id, MAX_EVENT_ID);
        return [{ kind: "session", sessionId: this.sessionId }];
      }
      case "user":
        return []; // the prompt we sent, echoed back
      case "assistant": {
        const text = messageText(event);
        if (text === null) return [rawEvent(type, event)];
        if (text === "") return [];
        this.messages++;
        this.lastMessage = cutText(text);
        return [{ kind: "message", text: this.lastMessage }];
      }
      case "tool_call":
        return this.toolCall(event);
      case "error": {
        const message = asString(event.message) ?? asString(asObject(event.error)?.message) ?? toJsonText(event);
        this.lastError = message;
        return [{ kind: "error", message: cutText(message) }];
      }
      case "result":
        return this.result(event);
      default:
        return [rawEvent(type, event)];
    }
  }

  /** Thinking arrives as deltas ended by `completed`; passed on as one `thinking` event. */
  private thinkingEvent(event: JsonObject): AgentEvent[] {
    if (event.subtype === "completed") return this.flushThinking();
    const text = asString(event.text);
    if (event.subtype !== "delta" || text === null) return [rawEvent("thinking", event)];
    this.thinking = cutText((this.thinking ?? "") + text, MAX_EVENT_TEXT);
    return [];
  }

  private flushThinking(): AgentEvent[] {
    if (this.thinking === null) return [];
    const text = this.thinking;
    this.thinking = null;
    return text === "" ? [] : [{ kind: "thinking", text }];
  }

  private toolCall(event: JsonObject): AgentEvent[] {
    const tool = readTool(asObject(event.tool_call));
    const callId = asString(event.call_id) ?? "";
    if (!tool || (event.subtype !== "started" && event.subtype !== "completed")) return [rawEvent("tool_call", event)];
    if (event.subtype === "started") return [toolCallEvent(callId, tool.name, tool.args)];
    const { output, isError } = toolOutput(tool.result);
    return [toolResultEvent(callId, output, isError)];
  }

  private result(event: JsonObject): AgentEvent[] {
    this.sawResult = true;
    // Only an explicit `false` is success, as for Claude Code, whose format this one follows.
    this.resultFailed = event.is_error !== false;
    const id = asString(event.session_id);
    if (id) this.sessionId = cutText(id, MAX_EVENT_ID);
    const text = asString(event.result);
    if (this.resultFailed) this.lastError = text || this.lastError || `result ${asString(event.subtype) ?? "without a subtype"}`;
    const usage = readUsage(asObject(event.usage));
    const events: AgentEvent[] = [];
    if (usage) {
      this.usage = usage;
      events.push(usageEvent(usage));
    }
    // `result` concatenates every message of the run; the last one is the agent's final word.
    const summary = this.resultFailed ? (this.lastError ?? "") : this.lastMessage || (text ?? "");
    const durationMs = asCount(event.duration_ms);
    events.push({ kind: "result", isError: this.resultFailed, summary: cutText(summary), sessionId: this.sessionId, durationMs, turns: null, usage });
    return events;
  }
}

/** The text of an assistant message's text blocks, or null when it has none. */
function messageText(event: JsonObject): string | null {
  const content = asObject(event.message)?.content;
  if (!Array.isArray(content)) return null;
  const texts = content.map((block) => asString(asObject(block)?.text)).filter((t): t is string => t !== null);
  return texts.length > 0 ? texts.join("") : null;
}

interface Tool {
  name: string;
  args: unknown;
  result: unknown;
}

/**
 * `tool_call` holds one key naming the tool: `writeToolCall: { args, result }` (named for us
 * "write"), `function: { name, arguments }` for other tools, or, in some builds,
 * `tool: { case: "shellToolCall", value: { args, result } }`.
 */
function readTool(toolCall: JsonObject | null): Tool | null {
  if (!toolCall) return null;
  const fn = asObject(toolCall.function);
  if (fn) return { name: asString(fn.name) ?? "function", args: fn.arguments ?? {}, result: fn.result };
  const wrapped = asObject(toolCall.tool);
  const entries = Object.entries(toolCall).filter(([, value]) => asObject(value) !== null);
  // Sibling fields (e.g. `completedAtMs`) may sit next to the tool's key.
  const named = entries.find(([k]) => k.endsWith("ToolCall")) ?? entries[0];
  const [key, body] = wrapped && typeof wrapped.case === "string" ? [wrapped.case, wrapped.value] : (named ?? []);
  const inner = asObject(body);
  if (typeof key !== "string" || !inner) return null;
  const name = key.endsWith("ToolCall") && key.length > "ToolCall".length ? key.slice(0, -"ToolCall".length) : key;
  return { name, args: inner.args ?? {}, result: inner.result };
}

/**
 * A tool's result is `{ success: {...} }` or another single key for failures (`error`,
 * `rejected`, …; not documented). Text fields are preferred; a shell command that exited non-zero
 * counts as an error.
 */
function toolOutput(result: unknown): { output: string; isError: boolean } {
  const r = asObject(result);
  if (!r) return { output: typeof result === "string" ? result : result === undefined ? "" : toJsonText(result), isError: false };
  const success = asObject(r.success);
  if (!success) {
    const [, detail] = Object.entries(r)[0] ?? [];
    const d = asObject(detail);
    const text = asString(detail) ?? asString(d?.error) ?? asString(d?.message) ?? asString(d?.reason) ?? asString(d?.stderr);
    return { output: text ?? toJsonText(r), isError: true };
  }
  const exit = success.exitCode;
  const failedShell = typeof exit === "number" && exit !== 0;
  const stdout = asString(success.stdout);
  const stderr = asString(success.stderr);
  const text = asString(success.content) ?? asString(success.output) ?? (stdout !== null || stderr !== null ? [stdout, stderr].filter(Boolean).join("") : null);
  return { output: text ?? toJsonText(success), isError: failedShell };
}

/**
 * Token usage, when the result carries it: Cursor's changelog says stream-json gained token
 * totals, but the output-format reference does not name the fields, so both spellings are read.
 */
function readUsage(u: JsonObject | null): TokenUsage | null {
  if (!u) return null;
  const input = asCount(u.input_tokens ?? u.inputTokens);
  const output = asCount(u.output_tokens ?? u.outputTokens);
  if (input === null || output === null) return null;
  const usage: TokenUsage = { inputTokens: input, outputTokens: output };
  const cacheRead = asCount(u.cache_read_input_tokens ?? u.cache_read_tokens ?? u.cacheReadTokens);
  const cacheWrite = asCount(u.cache_creation_input_tokens ?? u.cache_write_tokens ?? u.cacheWriteTokens);
  const cost = asCost(u.total_cost_usd ?? u.cost_usd ?? u.costUsd);
  if (cacheRead !== null) usage.cacheReadTokens = cacheRead;
  if (cacheWrite !== null) usage.cacheWriteTokens = cacheWrite;
  if (cost !== null) usage.costUsd = cost;
  return usage;
}
