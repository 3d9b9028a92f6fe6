/**
 * Parses `opencode run --format json` output (checked against opencode-ai 1.18) into normalized
 * events. Used by the OpenCode adapter, one parser per run. OpenCode prints no init and no result
 * event: every event carries the session id, each step ends with a `step_finish` carrying that
 * step's tokens and cost, and the run's end is a last `step_finish` whose reason is "stop".
 */
import type { AgentEvent, TokenUsage } from "@multica/shared";
import {
  type JsonObject,
  type LineParser,
  MAX_EVENT_ID,
  type ParserFinal,
  addUsage,
  asCost,
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

/** Tool calls announced but not finished; bounded against endless running tool parts. */
const MAX_OPEN_CALLS = 1_000;

export class OpenCodeParser implements LineParser {
  private sessionId: string | null = null;
  private steps = 0;
  private lastText = "";
  private stopped = false;
  private error: string | null = null;
  private usage: TokenUsage | null = null;
  private readonly openCalls = new Set<string>();

  parse(json: unknown): AgentEvent[] {
    return parseSafely(json, () => this.parseEvent(json));
  }

  end(): AgentEvent[] {
    return [];
  }

  final(): ParserFinal {
    return { sawResult: this.stopped, isError: this.error !== null, error: this.error, sessionId: this.sessionId, usage: this.usage };
  }

  private parseEvent(json: unknown): AgentEvent[] {
    const event = asObject(json);
    const type = event && typeOf(event);
    if (!event || type === null) return [rawEvent("unknown", json)];
    const part = asObject(event.part);
    const events = this.noteSession(asString(event.sessionID) ?? asString(part?.sessionID));
    events.push(...this.parseTyped(type, event, part));
    return events;
  }

  /** A `session` event the first time the run's session id shows. */
  private noteSession(id: string | null): AgentEvent[] {
    if (id === null || this.sessionId !== null) return [];
    this.sessionId = cutText(id, MAX_EVENT_ID);
    return [{ kind: "session", sessionId: this.sessionId }];
  }

  private parseTyped(type: string, event: JsonObject, part: JsonObject | null): AgentEvent[] {
    switch (type) {
      case "step_start":
        this.steps += 1;
        this.stopped = false;
        return [{ kind: "status", text: `step ${this.steps} started` }];
      case "text": {
        const text = asString(part?.text);
        if (text === null) return [rawEvent(type, event)];
        this.lastText = cutText(text);
        return [{ kind: "message", text: this.lastText }];
      }
      case "reasoning": {
        const text = asString(part?.text);
        return text === null ? [rawEvent(type, event)] : [{ kind: "thinking", text: cutText(text) }];
      }
      case "tool_use":
        return part ? this.tool(part) : [rawEvent(type, event)];
      case "step_finish":
        return part ? this.finishStep(part) : [rawEvent(type, event)];
      case "error": {
        const message = readError(event.error);
        this.error = message;
        return [{ kind: "error", message: cutText(message) }];
      }
      default:
        return [rawEvent(type, event)];
    }
  }

  /** A tool part: its call once, its result when the state is final (completed or error). */
  private tool(part: JsonObject): AgentEvent[] {
    const callId = asString(part.callID) ?? asString(part.id) ?? "";
    const state = asObject(part.state);
    const status = asString(state?.status);
    const done = status === "completed" || status === "error";
    const events: AgentEvent[] = [];
    if (!this.openCalls.has(callId)) {
      events.push(toolCallEvent(callId, asString(part.tool) ?? "unknown", state?.input ?? null));
      if (!done && this.openCalls.size >= MAX_OPEN_CALLS) this.openCalls.clear();
      if (!done) this.openCalls.add(callId);
    }
    if (done) {
      this.openCalls.delete(callId);
      const output = status === "error" ? (asString(state?.error) ?? "tool failed") : (asString(state?.output) ?? "");
      events.push(toolResultEvent(callId, output, status === "error"));
    }
    return events;
  }

  private finishStep(part: JsonObject): AgentEvent[] {
    const events: AgentEvent[] = [];
    const spent = readUsage(part);
    if (spent) {
      this.usage = addUsage(this.usage, spent);
      events.push(usageEvent(spent));
    }
    this.stopped = part.reason === "stop";
    if (this.stopped) {
      events.push({ kind: "result", isError: this.error !== null, summary: this.lastText, sessionId: this.sessionId, durationMs: null, turns: this.steps, usage: this.usage });
    }
    return events;
  }
}

/** One step's tokens and cost; `tokens.reasoning` has no field of its own and is left out. */
function readUsage(part: JsonObject): TokenUsage | null {
  const tokens = asObject(part.tokens);
  const inputTokens = asCount(tokens?.input);
  const outputTokens = asCount(tokens?.output);
  if (inputTokens === null || outputTokens === null) return null;
  const usage: TokenUsage = { inputTokens, outputTokens };
  const cache = asObject(tokens?.cache);
  const read = asCount(cache?.read);
  const write = asCount(cache?.write);
  const cost = asCost(part.cost);
  if (read !== null) usage.cacheReadTokens = read;
  if (write !== null) usage.cacheWriteTokens = write;
  if (cost !== null) usage.costUsd = cost;
  return usage;
}

/** OpenCode errors are `{ name, data: { message } }`; older ones carry `message` directly. */
function readError(error: unknown): string {
  const object = asObject(error);
  return asString(asObject(object?.data)?.message) ?? asString(object?.message) ?? asString(object?.name) ?? asString(error) ?? "error";
}
