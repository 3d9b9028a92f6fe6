/**
 * A task's transcript as rows to show: agent events (shared/src/events.ts) in (attempt, seq)
 * order become display items — streamed text deltas joined into one message, each tool call
 * paired with its result, thinking and raw events kept for folding, a divider per attempt.
 * Events at or before the cursor are dropped, so a replay after a reconnect never doubles a row.
 * Pure and incremental (append-only apart from the last message and tool rows): 10,000 events
 * cost 10,000 small steps, not a rebuild per event. Used by the issue page's run panel.
 */
import type { AgentEvent } from "./protocol";

export type TranscriptItem =
  | { id: string; kind: "attempt"; attempt: number }
  | { id: string; kind: "text"; text: string; streaming: boolean }
  | { id: string; kind: "output"; stream: "stdout" | "stderr"; text: string }
  | { id: string; kind: "thinking"; text: string }
  | { id: string; kind: "tool"; name: string; input: string; output: string | null; isError: boolean; cutFrom: number | null }
  | { id: string; kind: "note"; text: string; tone: "muted" | "error" }
  | { id: string; kind: "raw"; type: string; json: string }
  | { id: string; kind: "result"; isError: boolean; summary: string; turns: number | null; durationMs: number | null; tokens: number | null; costUsd: number | null };

export interface SequencedAgentEvent {
  attempt: number;
  seq: number;
  event: AgentEvent;
}

export class TranscriptModel {
  readonly items: TranscriptItem[] = [];
  /** The last event taken: a reconnect resumes after it. */
  cursor = { attempt: 0, after: 0 };
  /** Bumped on every change, so views know to re-render. */
  version = 0;
  private readonly tools = new Map<string, number>();

  /** Takes one event; returns false when it was at or before the cursor (a duplicate). */
  apply({ attempt, seq, event }: SequencedAgentEvent): boolean {
    const { cursor } = this;
    if (attempt < cursor.attempt || (attempt === cursor.attempt && seq <= cursor.after)) return false;
    if (attempt !== cursor.attempt) this.items.push({ id: `a${attempt}`, kind: "attempt", attempt });
    this.cursor = { attempt, after: seq };
    this.version++;
    const id = `${attempt}.${seq}`;
    const last = this.items[this.items.length - 1];
    switch (event.kind) {
      case "text_delta":
        if (last?.kind === "text" && last.streaming) last.text += event.text;
        else this.items.push({ id, kind: "text", text: event.text, streaming: true });
        return true;
      case "message":
        // CLIs that stream deltas send the whole message too: it replaces what the deltas built.
        if (last?.kind === "text" && last.streaming && event.text.startsWith(last.text)) {
          last.text = event.text;
          last.streaming = false;
        } else this.items.push({ id, kind: "text", text: event.text, streaming: false });
        return true;
      case "output":
        this.items.push({ id, kind: "output", stream: event.stream, text: event.text });
        return true;
      case "thinking":
        this.items.push({ id, kind: "thinking", text: event.text });
        return true;
      case "tool_call":
        this.tools.set(`${attempt}:${event.callId}`, this.items.length);
        this.items.push({ id, kind: "tool", name: event.name, input: event.input, output: null, isError: false, cutFrom: null });
        return true;
      case "tool_result": {
        const at = this.tools.get(`${attempt}:${event.callId}`);
        const call = at === undefined ? undefined : this.items[at];
        const cutFrom = event.originalLength !== undefined && event.originalLength > event.output.length ? event.originalLength : null;
        if (call?.kind === "tool") Object.assign(call, { output: event.output, isError: event.isError, cutFrom });
        else this.items.push({ id, kind: "tool", name: "result", input: "", output: event.output, isError: event.isError, cutFrom });
        return true;
      }
      case "status":
        this.items.push({ id, kind: "note", text: event.text, tone: "muted" });
        return true;
      case "session":
        this.items.push({ id, kind: "note", text: `session ${event.sessionId}`, tone: "muted" });
        return true;
      case "usage":
        // Totals come with the attempt's status; a row per usage report would only be noise.
        return true;
      case "result": {
        const u = event.usage;
        this.items.push({
          id, kind: "result", isError: event.isError, summary: event.summary, turns: event.turns, durationMs: event.durationMs,
          tokens: u ? u.inputTokens + u.outputTokens : null, costUsd: u?.costUsd ?? null,
        });
        return true;
      }
      case "raw":
        this.items.push({ id, kind: "raw", type: event.type, json: event.json });
        return true;
      case "lifecycle":
        this.items.push({ id, kind: "note", text: event.phase === "started" ? "process started" : event.phase === "cancelling" ? "cancelling…" : `process exited${event.detail ? ` (${event.detail})` : ""}`, tone: "muted" });
        return true;
      case "error":
        this.items.push({ id, kind: "note", text: event.message, tone: "error" });
        return true;
    }
  }
}
