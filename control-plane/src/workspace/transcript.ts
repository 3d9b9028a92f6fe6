/**
 * Reading a task's transcript: flushed chunks from D1 merged with the events the Durable Object
 * has not flushed yet, de-duplicated and in (attempt, seq) order. Serves both the REST read
 * (paged, from one position) and a viewer's replay before it goes live (from what the viewer
 * holds of each attempt: see shared/src/protocol/viewer.ts).
 */
import type { AgentEvent, HeldSeqs, ViewerMessage } from "@multica/shared";
import { sendJson } from "./attachments";
import { readChunks } from "./d1-sync";
import { toAttemptView } from "./task-machine";
import type { TaskStore } from "./task-store";

/** Position in a transcript: everything after `after` in attempt `attempt`, and later attempts. */
export interface TranscriptCursor {
  attempt: number;
  after: number;
}

export interface TranscriptEvent {
  attempt: number;
  seq: number;
  ts: number;
  event: AgentEvent;
}

export interface TranscriptPage {
  events: TranscriptEvent[];
  /** Cursor for the next page, or null when this page reached the end. */
  next: TranscriptCursor | null;
}

/** Which events a reader still needs. */
export type Wanted = (e: { attempt: number; seq: number }) => boolean;

/** Everything after one position: for paging, and for viewers resuming the old way (`attempt` + `after`). */
export const afterPosition =
  (c: TranscriptCursor): Wanted =>
  (e) =>
    e.attempt > c.attempt || (e.attempt === c.attempt && e.seq > c.after);

/** Everything a viewer does not hold, attempt by attempt: catches late events of an earlier attempt. */
export const notHeld =
  (held: HeldSeqs): Wanted =>
  (e) =>
    e.seq > (held.get(e.attempt) ?? 0);

/** Pure: the wanted events of `flushed` and `pending`, each (attempt, seq) once, in (attempt, seq) order. */
export function selectEvents(flushed: readonly TranscriptEvent[], pending: readonly TranscriptEvent[], wanted: Wanted): TranscriptEvent[] {
  const seen = new Set<string>();
  const out: TranscriptEvent[] = [];
  for (const e of [...flushed, ...pending]) {
    const key = `${e.attempt}#${e.seq}`;
    if (!wanted(e) || seen.has(key)) continue;
    seen.add(key);
    out.push({ attempt: e.attempt, seq: e.seq, ts: e.ts, event: e.event });
  }
  return out.sort((a, b) => a.attempt - b.attempt || a.seq - b.seq);
}

/** Merges D1 chunks read earlier with pending events read now. Call without awaiting in between. */
function merge(flushed: TranscriptEvent[], store: TaskStore, taskId: string, wanted: Wanted): TranscriptEvent[] {
  return selectEvents(flushed, store.pendingEvents(taskId), wanted);
}

export async function readTranscript(d1: D1Database, store: TaskStore, taskId: string, cursor: TranscriptCursor, limit: number): Promise<TranscriptPage> {
  const all = merge(await readChunks(d1, taskId), store, taskId, afterPosition(cursor));
  const events = all.slice(0, limit);
  const last = events[events.length - 1];
  return { events, next: all.length > limit && last ? { attempt: last.attempt, after: last.seq } : null };
}

/**
 * Sends a new viewer the task snapshot and every stored event it wants (`afterPosition` for the
 * old `attempt`/`after`, `notHeld` for a resume cursor), then `replay.done`. Everything after the D1 read is synchronous, so no live event can slip between
 * the replay and the live stream (the caller keeps the viewer out of fan-out until we return).
 */
export async function replayToViewer(d1: D1Database, store: TaskStore, ws: WebSocket, taskId: string, wanted: Wanted): Promise<void> {
  const flushed = await readChunks(d1, taskId);
  const events = merge(flushed, store, taskId, wanted);
  const snapshot: ViewerMessage = { type: "task.snapshot", taskId, attempts: store.attempts(taskId).map(toAttemptView) };
  sendJson(ws, snapshot);
  for (const e of events) sendJson(ws, { type: "task.event", taskId, attempt: e.attempt, seq: e.seq, ts: e.ts, event: e.event } satisfies ViewerMessage);
  sendJson(ws, { type: "replay.done", taskId, replayed: events.length } satisfies ViewerMessage);
}
