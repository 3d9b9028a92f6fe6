/**
 * Parses `gemini -p … --output-format stream-json` output (checked against @google/gemini-cli
 * 0.61) into normalized events. Used by the Gemini adapter, one parser per run. Gemini streams
 * the assistant's text only as deltas: they are passed on as they come and gathered into one
 * `message` when something else happens (a tool, the result) or stdout ends.
 */
import { type AgentEvent, MAX_EVENT_TEXT, type TokenUsage } from "@multica/shared";
import {
  type JsonObject,
  type LineParser,
  MAX_EVENT_ID,
  type ParserFinal,
  asCount,
  asObject,
  asString,
  cutText,
  parseSafely,
  rawEvent,
  toolCallEvent,
  toolResultEvent,
  typeOf,
  usageEvent,
} from "./line-parser";

export class GeminiParser implements LineParser {
  private sessionId: string | null = null;
  /** Deltas of the message being written; held to MAX_EVENT_TEXT, the most a message can carry. */
  private pending: string | null = null;
  private lastMessage = "";
  private lastError: string | null = null;
  private sawResult = false;
  private resultError: string | null = null;
  private resultFailed = false;
  private usage: TokenUsage | null = null;
  /** The result's `timestamp` (ms since epoch), when it had a valid one. */
  private resultAt: number | null = null;

  parse(json: unknown): AgentEvent[] {
    return parseSafely(json, () => this.parseEvent(json));
  }

  end(): AgentEvent[] {
    return parseSafely(null, () => this.flush());
  }

  final(): ParserFinal {
    const isError = this.sawResult ? this.resultFailed : this.lastError !== null;
    const error = isError ? (this.resultError ?? this.lastError ?? "gemini reported an error") : null;
    return { sawResult: this.sawResult, isError, error, sessionId: this.sessionId, usage: this.usage };
  }

  private parseEvent(json: unknown): AgentEvent[] {
    const event = asObject(json);
    const type = event && typeOf(event);
    if (!event || type === null) return [rawEvent("unknown", json)];
    if (type === "message" && event.role === "assistant" && event.delta === true) return this.delta(event);
    const events = this.flush();
    events.push(...this.parseOther(type, event));
    return events;
  }

  private delta(event: JsonObject): AgentEvent[] {
    const text = asString(event.content);
    if (text === null) return [rawEvent("message", event)];
    this.pending = cutText((this.pending ?? "") + text, MAX_EVENT_TEXT);
    return [{ kind: "text_delta", text: cutText(text) }];
  }

  /** The gathered deltas as one message, if any are held. */
  private flush(): AgentEvent[] {
    if (this.pending === null) return [];
    this.lastMessage = this.pending;
    this.pending = null;
    return [{ kind: "message", text: this.lastMessage }];
  }

  private parseOther(type: string, event: JsonObject): AgentEvent[] {
    switch (type) {
      case "init": {
        const id = asString(event.session_id);
        if (id === null) return [rawEvent(type, event)];
        this.sessionId = cutText(id, MAX_EVENT_ID);
        return [{ kind: "session", sessionId: this.sessionId }];
      }
      case "message": {
        const text = asString(event.content);
        if (event.role === "user") return []; // the prompt we sent, echoed back
        if (event.role !== "assistant" || text === null) return [rawEvent(type, event)];
        this.lastMessage = cutText(text);
        return [{ kind: "message", text: this.lastMessage }];
      }
      case "tool_use":
        return [toolCallEvent(asString(event.tool_id) ?? "", asString(event.tool_name) ?? "unknown", event.parameters ?? null)];
      case "tool_result": {
        const error = asString(asObject(event.error)?.message);
        const output = asString(event.output) ?? error ?? "";
        return [toolResultEvent(asString(event.tool_id) ?? "", output, event.status !== "success")];
      }
      case "error": {
        // Mid-run errors and warnings; the result's status decides whether the run failed.
        const message = asString(event.message) ?? "error";
        this.lastError = message;
        return [{ kind: "error", message: cutText(message) }];
      }
      case "result":
        return this.result(event);
      default:
        return [rawEvent(type, event)];
    }
  }

  /** When the CLI wrote its result (its `timestamp`), or null: delays in its error count from then. */
  resultTime(): number | null {
    return this.resultAt;
  }

  private result(event: JsonObject): AgentEvent[] {
    const events: AgentEvent[] = [];
    const at = Date.parse(asString(event.timestamp) ?? "");
    this.resultAt = Number.isNaN(at) ? null : at;
    const usage = readUsage(asObject(event.stats));
    if (usage) {
      this.usage = usage;
      events.push(usageEvent(usage));
    }
    this.sawResult = true;
    this.resultFailed = event.status !== "success";
    this.resultError = this.resultFailed ? (asString(asObject(event.error)?.message) ?? asString(event.error) ?? null) : null;
    const summary = this.resultFailed ? (this.resultError ?? this.lastError ?? `status ${asString(event.status) ?? "missing"}`) : this.lastMessage;
        const durationMs = asCount(asObject(event.stats)?.duration_ms);
    events.push({ kind: "result", isError: this.resultFailed, summary: cutText(summary), sessionId: this.sessionId, durationMs, turns: null, usage: this.usage });
    return events;
  }
}

/** Gemini's stats: `input_tokens` counts the whole prompt, `cached` the part read from cache. */
function readUsage(stats: JsonObject | null): TokenUsage | null {
  if (!stats) return null;
  const inputTokens = asCount(stats.input_tokens);
  const outputTokens = asCount(stats.output_tokens);
  if (inputTokens === null || outputTokens === null) return null;
  const usage: TokenUsage = { inputTokens, outputTokens };
  const cached = asCount(stats.cached);
  if (cached !== null) usage.cacheReadTokens = cached;
  return usage;
}
