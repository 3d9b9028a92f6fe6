/**
 * A task's transcript as rows to show: agent events (shared/src/events.ts) in (attempt, seq)
 * order become display items — streamed text deltas joined into one message, each tool call
 * paired with its result, thinking and raw events kept for folding, a divider per attempt.
 * It remembers the last seq taken of each attempt: events at or before it are dropped, so a replay
 * after a reconnect never doubles a row, and `cursor()` is what a reconnect sends to resume.
 * Events of an earlier attempt may still come after a later attempt's (a runner restarted on its
 * data directory finishes an attempt already declared lost), so rows are kept per attempt and go
 * under their own attempt's divider. Pure and incremental (append-only within an attempt apart
 * from the last message and tool rows): 10,000 events cost 10,000 small steps, not a rebuild per
 * event. Used by the issue page's run panel.
 */
import { formatViewerCursor, type AgentEvent } from "./protocol";

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
  /** Bumped on every change, so views know to re-render. */
  version = 0;
  /** Rows of each attempt, its divider first. */
  private readonly sections = new Map<number, TranscriptItem[]>();
  /** The last seq taken of each attempt. */
  private readonly held = new Map<number, number>();
  private readonly tools = new Map<string, TranscriptItem>();
  private flat: TranscriptItem[] = [];
  private flatVersion = 0;

  /** Every row, attempts in order. Rebuilt at most once per change, when read (once a frame at most). */
  get items(): readonly TranscriptItem[] {
    if (this.flatVersion !== this.version) {
      this.flat = [...this.sections].sort(([a], [b]) => a - b).flatMap(([, rows]) => rows);
      this.flatVersion = this.version;
    }
    return this.flat;
  }

  /** The resume cursor (`1:45,2:10`) for the stream's `cursor` parameter: what is held of each attempt. */
  cursor(): string {
    return formatViewerCursor(this.held);
  }

  /** Takes one event; returns false when its attempt already holds that seq (a duplicate). */
  apply({ attempt, seq, event }: SequencedAgentEvent): boolean {
    if (seq <= (this.held.get(attempt) ?? 0)) return false;
    this.held.set(attempt, seq);
    let rows = this.sections.get(attempt);
    if (!rows) this.sections.set(attempt, (rows = [{ id: `a${attempt}`, kind: "attempt", attempt }]));
    this.version++;
    const id = `${attempt}.${seq}`;
    const last = rows[rows.length - 1];
    switch (event.kind) {
      case "text_delta":
        if (last?.kind === "text" && last.streaming) last.text += event.text;
        else rows.push({ id, kind: "text", text: event.text, streaming: true });
        return true;
      case "message":
        // CLIs that stream deltas send the whole message too: it replaces what the deltas built.
        if (last?.kind === "text" && last.streaming && event.text.startsWith(last.text)) {
          last.text = event.text;
          last.streaming = false;
        } else rows.push({ id, kind: "text", text: event.text, streaming: false });
        return true;
      case "output":
        rows.push({ id, kind: "output", stream: event.stream, text: event.text });
        return true;
      case "thinking":
        rows.push({ id, kind: "thinking", text: event.text });
        return true;
      case "tool_call":
        rows.push({ id, kind: "tool", name: event.name, input: event.input, output: null, isError: false, cutFrom: null });
        this.tools.set(`${attempt}:${event.callId}`, rows[rows.length - 1]!);
        return true;
      case "tool_result": {
        const call = this.tools.get(`${attempt}:${event.callId}`);
        const cutFrom = event.originalLength !== undefined && event.originalLength > event.output.length ? event.originalLength : null;
        if (call?.kind === "tool") Object.assign(call, { output: event.output, isError: event.isError, cutFrom });
        else rows.push({ id, kind: "tool", name: "result", input: "", output: event.output, isError: event.isError, cutFrom });
        return true;
      }
      case "status":
        rows.push({ id, kind: "note", text: event.text, tone: "muted" });
        return true;
      case "session":
        rows.push({ id, kind: "note", text: `session ${event.sessionId}`, tone: "muted" });
        return true;
      case "usage":
        // Totals come with the attempt's status; a row per usage report would only be noise.
        return true;
      case "result": {
        const u = event.usage;
        rows.push({
          id, kind: "result", isError: event.isError, summary: event.summary, turns: event.turns, durationMs: event.durationMs,
          tokens: u ? u.inputTokens + u.outputTokens : null, costUsd: u?.costUsd ?? null,
        });
        return true;
      }
      case "raw":
        rows.push({ id, kind: "raw", type: event.type, json: event.json });
        return true;
      case "lifecycle":
        rows.push({ id, kind: "note", text: event.phase === "started" ? "process started" : event.phase === "cancelling" ? "cancelling…" : `process exited${event.detail ? ` (${event.detail})` : ""}`, tone: "muted" });
        return true;
      case "error":
        rows.push({ id, kind: "note", text: event.message, tone: "error" });
        return true;
    }
  }
}
