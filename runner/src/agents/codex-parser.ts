/**
 * Parses `codex exec --json` output (checked against @openai/codex 0.169) into normalized events.
 * Used by the Codex adapter, one parser per run. Codex reports token usage cumulatively for the
 * thread, so a resumed run is given the thread's usage so far and reports only what it added.
 */
import type { AgentEvent, TokenUsage } from "@multica/shared";
import {
  type JsonObject,
  MAX_EVENT_ID,
  type LineParser,
  type ParserFinal,
  addUsage,
  asCount,
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

export interface CodexParserOptions {
  /** The thread's cumulative usage before this run (from the previous run's final cumulative usage). */
  previousUsage?: TokenUsage | null;
}

/** Items whose tool_call is out but whose result is not; bounded against endless started items. */
const MAX_OPEN_ITEMS = 1_000;

export class CodexParser implements LineParser {
  private sessionId: string | null = null;
  private turns = 0;
  private lastMessage = "";
  private lastPlan = "";
  private cumulative: TokenUsage | null;
  private usage: TokenUsage | null = null;
  private sawResult = false;
  private failure: string | null = null;
  private readonly openItems = new Set<string>();

  constructor(options: CodexParserOptions = {}) {
    this.cumulative = options.previousUsage ?? null;
  }

  /** The thread's cumulative usage after this run: pass it as `previousUsage` to the next resume. */
  cumulativeUsage(): TokenUsage | null {
    return this.cumulative;
  }

  parse(json: unknown): AgentEvent[] {
    return parseSafely(json, () => this.parseEvent(json));
  }

  end(): AgentEvent[] {
    return [];
  }

  final(): ParserFinal {
    return { sawResult: this.sawResult, isError: this.failure !== null, error: this.failure, sessionId: this.sessionId, usage: this.usage };
  }

  private parseEvent(json: unknown): AgentEvent[] {
    const event = asObject(json);
    const type = event && typeOf(event);
    if (!event || type === null) return [rawEvent("unknown", json)];
    switch (type) {
      case "thread.started": {
        const id = asString(event.thread_id);
        if (id === null) return [rawEvent(type, json)];
        this.sessionId = cutText(id, MAX_EVENT_ID);
        return [{ kind: "session", sessionId: this.sessionId }];
      }
      case "turn.started":
        this.turns += 1;
        return [{ kind: "status", text: "turn started" }];
      case "item.started":
      case "item.updated":
      case "item.completed": {
        const item = asObject(event.item);
        return item ? this.parseItem(type, item) : [rawEvent(type, json)];
      }
      case "turn.completed":
        return this.completeTurn(asObject(event.usage));
      case "turn.failed": {
        const message = asString(asObject(event.error)?.message) ?? "turn failed";
        return this.fail(message);
      }
      case "error": {
        // A stream-level error; a turn that still completes afterwards clears it (completeTurn).
        const message = asString(event.message) ?? "error";
        this.failure = message;
        return [{ kind: "error", message: cutText(message) }];
      }
      default:
        return [rawEvent(type, json)];
    }
  }

  private parseItem(phase: string, item: JsonObject): AgentEvent[] {
    const id = asString(item.id) ?? "";
    const itemType = asString(item.type) ?? "unknown";
    const done = phase === "item.completed";
    switch (itemType) {
      case "agent_message": {
        const text = asString(item.text);
        if (!done || text === null) return [];
        this.lastMessage = cutText(text);
        return [{ kind: "message", text: this.lastMessage }];
      }
      case "reasoning": {
        const text = asString(item.text);
        return done && text !== null ? [{ kind: "thinking", text: cutText(text) }] : [];
      }
      case "command_execution":
        return this.toolItem(id, done, "shell", { command: item.command ?? null }, () => {
          const exit = item.exit_code;
          const failed = item.status === "failed" || item.status === "declined" || (typeof exit === "number" && exit !== 0);
          return [asString(item.aggregated_output) ?? "", failed];
        });
      case "file_change":
        return this.toolItem(id, done, "file_change", { changes: item.changes ?? null }, () => [describeChanges(item.changes), item.status === "failed"]);
      case "mcp_tool_call": {
        const name = `${asString(item.server) ?? "mcp"}.${asString(item.tool) ?? "tool"}`;
        return this.toolItem(id, done, name, item.arguments ?? null, () => {
          const error = asString(asObject(item.error)?.message);
          return [error ?? describeMcpResult(item.result), error !== null || item.status === "failed"];
        });
      }
      case "web_search":
        return this.toolItem(id, done, "web_search", { query: item.query ?? null }, () => ["", false]);
      case "todo_list":
        return this.plan(item.items);
      case "error": {
        // Codex reports non-fatal warnings as error items (e.g. unknown model metadata).
        const message = asString(item.message);
        return done && message !== null ? [{ kind: "error", message: cutText(message) }] : [];
      }
      default:
        return phase === "item.updated" ? [] : [rawEvent(`${phase}:${itemType}`, item)];
    }
  }

  /** A tool item: its call when it starts (or completes unannounced), its result when it completes. */
  private toolItem(id: string, done: boolean, name: string, input: unknown, result: () => [string, boolean]): AgentEvent[] {
    const events: AgentEvent[] = [];
    if (!this.openItems.has(id)) {
      if (!done && this.openItems.size >= MAX_OPEN_ITEMS) this.openItems.clear();
      if (!done) this.openItems.add(id);
      events.push(toolCallEvent(id, name, input));
    }
    if (done) {
      this.openItems.delete(id);
      const [output, isError] = result();
      events.push(toolResultEvent(id, output, isError));
    }
    return events;
  }

  private plan(items: unknown): AgentEvent[] {
    const lines = (Array.isArray(items) ? items : []).map((entry) => {
      const step = asObject(entry);
      return `${step?.completed === true ? "[x]" : "[ ]"} ${asString(step?.text) ?? ""}`;
    });
    const text = cutText(`plan:\n${lines.join("\n")}`);
    if (text === this.lastPlan) return [];
    this.lastPlan = text;
    return [{ kind: "status", text }];
  }

  private completeTurn(reported: JsonObject | null): AgentEvent[] {
    const events: AgentEvent[] = [];
    const cumulative = reported ? readUsage(reported) : null;
    if (cumulative) {
      const spent = difference(cumulative, this.cumulative);
      this.cumulative = cumulative;
      this.usage = addUsage(this.usage, spent);
      events.push(usageEvent(spent));
    }
    this.sawResult = true;
    this.failure = null;
    events.push(this.result(false, this.lastMessage));
    return events;
  }

  private fail(message: string): AgentEvent[] {
    this.sawResult = true;
    this.failure = message;
    return [{ kind: "error", message: cutText(message) }, this.result(true, message)];
  }

  private result(isError: boolean, summary: string): AgentEvent {
    return { kind: "result", isError, summary: cutText(summary), sessionId: this.sessionId, durationMs: null, turns: this.turns, usage: this.usage };
  }
}

function readUsage(usage: JsonObject): TokenUsage | null {
  const inputTokens = asCount(usage.input_tokens);
  const outputTokens = asCount(usage.output_tokens);
  if (inputTokens === null || outputTokens === null) return null;
  const read: TokenUsage = { inputTokens, outputTokens };
  const cacheRead = asCount(usage.cached_input_tokens);
  const cacheWrite = asCount(usage.cache_write_input_tokens);
  if (cacheRead !== null) read.cacheReadTokens = cacheRead;
  if (cacheWrite !== null) read.cacheWriteTokens = cacheWrite;
  return read;
}

/**
 * What a turn added to the thread's cumulative usage. A counter that went down means the
 * previous figure was not this thread's (a wrong `previousUsage`): the report is taken as is.
 */
function difference(now: TokenUsage, before: TokenUsage | null): TokenUsage {
  if (before === null) return now;
  const keys = ["inputTokens", "outputTokens", "cacheReadTokens", "cacheWriteTokens"] as const;
  if (keys.some((key) => (now[key] ?? 0) < (before[key] ?? 0))) return now;
  const spent: TokenUsage = { inputTokens: now.inputTokens - before.inputTokens, outputTokens: now.outputTokens - before.outputTokens };
  if (now.cacheReadTokens !== undefined) spent.cacheReadTokens = now.cacheReadTokens - (before.cacheReadTokens ?? 0);
  if (now.cacheWriteTokens !== undefined) spent.cacheWriteTokens = now.cacheWriteTokens - (before.cacheWriteTokens ?? 0);
  return spent;
}

function describeChanges(changes: unknown): string {
  const lines = (Array.isArray(changes) ? changes : []).map((entry) => {
    const change = asObject(entry);
    return `${asString(change?.kind) ?? "change"} ${asString(change?.path) ?? "?"}`;
  });
  return lines.join("\n");
}

/** The text blocks of an MCP result, or its JSON when it has none. */
function describeMcpResult(result: unknown): string {
  const content = asObject(result)?.content;
  const texts = (Array.isArray(content) ? content : []).flatMap((block) => {
    const text = asString(asObject(block)?.text);
    return text === null ? [] : [text];
  });
  if (texts.length > 0) return texts.join("\n");
  return result === null || result === undefined ? "" : toJsonText(result);
}
