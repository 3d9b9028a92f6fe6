/**
 * Parses GitHub Copilot CLI's `--output-format json` lines (checked against @github/copilot
 * 1.0.102; shapes in runner/test/fixtures/agent-transcripts/copilot-*.jsonl) into normalized
 * events. Used by the Copilot adapter, one parser per run. The CLI prints its session events
 * (`assistant.message`, `tool.execution_complete`, …; schema in schemas/session-events.schema.json
 * of the package it unpacks) and ends with a `result` line carrying the session id and the exit
 * code. It prints no token counts (its JSON output leaves `assistant.usage` out): `readUsageFile`
 * reads them from the `--usage-output-file` report, which copilot.ts asks for.
 */
import { readFileSync } from "node:fs";
import type { AgentEvent, TokenUsage } from "@multica/shared";
import {
  type JsonObject,
  type LineParser,
  MAX_EVENT_ID,
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
} from "./line-parser";

/**
 * Events that only repeat what another event says in full (deltas of tool input, partial tool
 * output, the prompt echoed back) or mark internal progress; dropped rather than kept as raw noise.
 */
const REDUNDANT = new Set([
  "user.message",
  "assistant.message_start",
  "assistant.tool_call_delta",
  "assistant.reasoning_delta",
  "assistant.turn_end",
  "assistant.turn_retry",
  "assistant.idle",
  "tool.execution_partial_result",
  "tool.shell_output",
  "model.call_start",
  "model.call_finished",
  "model.call_final_result",
  "session.background_tasks_changed",
]);
/** Tool calls announced by `assistant.message`, so `tool.execution_start` does not repeat them. */
const MAX_ANNOUNCED = 1_000;

/** The last `session.error` of a run: its category decides how a failure is classified. */
export interface CopilotError {
  /** "authentication", "authorization", "quota", "rate_limit", "context_limit", "query", … */
  type: string | null;
  message: string;
  statusCode: number | null;
}

export class CopilotParser implements LineParser {
  private sessionId: string | null = null;
  private lastMessage = "";
  private turns = 0;
  private sawResult = false;
  private exitCode: number | null = null;
  private lastError: CopilotError | null = null;
  private readonly announced = new Set<string>();

  parse(json: unknown): AgentEvent[] {
    return parseSafely(json, () => this.parseEvent(json));
  }

  end(): AgentEvent[] {
    return [];
  }

  final(): ParserFinal {
    const isError = this.sawResult ? this.exitCode !== 0 : this.lastError !== null;
    const error = isError ? (this.lastError?.message ?? `copilot ended with exit code ${this.exitCode ?? "unknown"}`) : null;
    return { sawResult: this.sawResult, isError, error, sessionId: this.sessionId, usage: null };
  }

  /** The last error the CLI reported, with its category. */
  error(): CopilotError | null {
    return this.lastError;
  }

  private parseEvent(json: unknown): AgentEvent[] {
    const event = asObject(json);
    const type = event && typeOf(event);
    if (!event || type === null) return [rawEvent("unknown", json)];
    if (REDUNDANT.has(type)) return [];
    const data = asObject(event.data) ?? {};
    switch (type) {
      case "assistant.turn_start":
        this.turns++;
        return [];
      case "assistant.message_delta": {
        const delta = asString(data.deltaContent);
        return delta === null ? [rawEvent(type, event)] : delta === "" ? [] : [{ kind: "text_delta", text: cutText(delta) }];
      }
      case "assistant.message":
        return this.message(data, event);
      case "assistant.reasoning": {
        const text = asString(data.content);
        return text === null ? [rawEvent(type, event)] : [{ kind: "thinking", text: cutText(text) }];
      }
      case "tool.execution_start": {
        const id = asString(data.toolCallId) ?? "";
        if (this.announced.has(id)) return [];
        return [toolCallEvent(id, asString(data.toolName) ?? "unknown", data.arguments ?? {})];
      }
      case "tool.execution_complete":
        return [this.toolResult(data)];
      case "session.error":
        return this.sessionError(data, event);
      case "session.info":
      case "session.warning": {
        const text = asString(data.message);
        const kind = asString(data.infoType) ?? asString(data.warningType);
        return text === null ? [rawEvent(type, event)] : [{ kind: "status", text: cutText(kind ? `${kind}: ${text}` : text) }];
      }
      case "result":
        return this.result(event);
      default:
        return [rawEvent(type, event)];
    }
  }

  /** A whole message: its text, then the tools it asks for (their results follow as tool.execution_complete). */
  private message(data: JsonObject, event: JsonObject): AgentEvent[] {
    const text = asString(data.content);
    const requests = Array.isArray(data.toolRequests) ? data.toolRequests : [];
    if (text === null && requests.length === 0) return [rawEvent("assistant.message", event)];
    const events: AgentEvent[] = [];
    if (text) {
      this.lastMessage = cutText(text);
      events.push({ kind: "message", text: this.lastMessage });
    }
    for (const request of requests) {
      const r = asObject(request);
      const id = asString(r?.toolCallId) ?? "";
      this.announce(id);
      events.push(toolCallEvent(id, asString(r?.name) ?? "unknown", r?.arguments ?? {}));
    }
    return events;
  }

  private announce(id: string): void {
    this.announced.add(id);
    const oldest = this.announced.values().next();
    if (this.announced.size > MAX_ANNOUNCED && !oldest.done) this.announced.delete(oldest.value);
  }

  /** A shell command that ran but exited non-zero is `success: true` to the CLI; for us it is an error. */
  private toolResult(data: JsonObject): AgentEvent {
    const result = asObject(data.result);
    const error = asObject(data.error);
    const text = asString(result?.content) ?? asString(result?.detailedContent);
    const output = data.success === true ? (text ?? "") : (asString(error?.message) ?? text ?? toJsonText(data.error ?? ""));
    const shellExit = asObject(data.shellExecution)?.exitCode;
    const failedShell = typeof shellExit === "number" && shellExit !== 0;
    return toolResultEvent(asString(data.toolCallId) ?? "", output, data.success !== true || failedShell);
  }

  private sessionError(data: JsonObject, event: JsonObject): AgentEvent[] {
    const message = asString(data.message);
    if (message === null) return [rawEvent("session.error", event)];
    this.lastError = { type: asString(data.errorType), message, statusCode: asCount(data.statusCode) };
    return [{ kind: "error", message: cutText(message) }];
  }

  private result(event: JsonObject): AgentEvent[] {
    this.sawResult = true;
    // Only an explicit 0 is success: a result without an exit code is not one we understand.
    this.exitCode = typeof event.exitCode === "number" ? event.exitCode : null;
    const id = asString(event.sessionId);
    if (id) this.sessionId = cutText(id, MAX_EVENT_ID);
    const isError = this.exitCode !== 0;
    const summary = isError ? (this.lastError?.message ?? `copilot ended with exit code ${this.exitCode ?? "unknown"}`) : this.lastMessage;
    const durationMs = asCount(asObject(event.usage)?.sessionDurationMs);
    return [{ kind: "result", isError, summary: cutText(summary), sessionId: this.sessionId, durationMs, turns: this.turns, usage: null }];
  }
}

/** Token totals of a `--usage-output-file` report (summed over its models), or null when there is none. */
export function readUsageFile(path: string): TokenUsage | null {
  let report: unknown;
  try {
    report = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return null;
  }
  const models = asObject(asObject(report)?.modelMetrics);
  let total: TokenUsage | null = null;
  for (const model of Object.values(models ?? {})) {
    const u = asObject(asObject(model)?.usage);
    if (!u) continue;
    const usage: TokenUsage = { inputTokens: asCount(u.inputTokens) ?? 0, outputTokens: asCount(u.outputTokens) ?? 0 };
    const cacheRead = asCount(u.cacheReadTokens);
    const cacheWrite = asCount(u.cacheWriteTokens);
    if (cacheRead !== null) usage.cacheReadTokens = cacheRead;
    if (cacheWrite !== null) usage.cacheWriteTokens = cacheWrite;
    total = addUsage(total, usage);
  }
  return total;
}

/** What a run added to a session's cumulative usage (counts never below zero). */
export function subtractUsage(total: TokenUsage, before: TokenUsage | null): TokenUsage {
  if (!before) return total;
  const spent: TokenUsage = { inputTokens: Math.max(0, total.inputTokens - before.inputTokens), outputTokens: Math.max(0, total.outputTokens - before.outputTokens) };
  for (const key of ["cacheReadTokens", "cacheWriteTokens"] as const) {
    const t = total[key];
    if (t !== undefined) spent[key] = Math.max(0, t - (before[key] ?? 0));
  }
  return spent;
}
