/**
 * The fault suite's verdict, as pure functions over what the control plane stored and what the
 * viewers saw. A task passes when its last attempt succeeded, every earlier attempt was lost (the
 * only way a fault may end one), each attempt's seqs run 1, 2, 3… with no gap or repeat, its
 * output is a prefix of what the fixture printed (`line 1` … `line N`), complete for the attempt
 * that succeeded — and every viewer of it holds exactly the stored events (verifyViewer).
 */
import type { SeenEvent } from "./tracked-viewer";

export interface StoredEvent {
  attempt: number;
  seq: number;
  event: { kind: string; text?: string };
}

export interface TaskVerdict {
  events: number;
  attempts: number;
  /** Output lines the fixture printed that the succeeded attempt does not have (0 when it passed). */
  lost: number;
  duplicates: number;
  outOfOrder: number;
  problems: string[];
}

/** Checks one task's attempts and transcript against a fixture that printed `expectedLines` lines. */
export function verifyTask(taskId: string, attempts: { attempt: number; status: string }[], events: StoredEvent[], expectedLines: number): TaskVerdict {
  const v: TaskVerdict = { events: events.length, attempts: attempts.length, lost: 0, duplicates: 0, outOfOrder: 0, problems: [] };
  const last = attempts[attempts.length - 1];
  if (last?.status !== "succeeded") {
    v.lost = expectedLines;
    v.problems.push(`${taskId}: ended ${last?.status ?? "without an attempt"} after ${attempts.length} attempt(s)`);
  }
  for (const a of attempts.slice(0, -1)) if (a.status !== "lost") v.problems.push(`${taskId}: attempt ${a.attempt} ended ${a.status}, not lost`);

  for (const a of attempts) {
    const mine = events.filter((e) => e.attempt === a.attempt);
    const seqs = mine.map((e) => e.seq);
    v.duplicates += seqs.length - new Set(seqs).size;
    if (seqs.some((s, i) => s !== i + 1)) {
      v.outOfOrder += 1;
      v.problems.push(`${taskId}#${a.attempt}: seqs are not 1..${seqs.length}: ${seqs.slice(0, 20).join(",")}…`);
    }
    const lines = mine.filter((e) => e.event.kind === "output").map((e) => e.event.text ?? "");
    const bad = lines.findIndex((text, i) => text !== `line ${i + 1}`);
    if (bad >= 0) v.problems.push(`${taskId}#${a.attempt}: output ${bad + 1} is "${lines[bad]}", expected "line ${bad + 1}"`);
    if (a === last && a.status === "succeeded" && lines.length !== expectedLines) {
      v.lost += Math.max(0, expectedLines - lines.length);
      v.problems.push(`${taskId}#${a.attempt}: ${lines.length} output lines, the fixture printed ${expectedLines}`);
    }
  }
  return v;
}

export interface ViewerVerdict {
  missed: number;
  duplicates: number;
  outOfOrder: number;
  problem: string | null;
}

/**
 * A viewer must hold exactly the stored (attempt, seq) set, each attempt's events having arrived
 * in seq order with no gap, and no event repeated on the live stream. Repeats inside a replay
 * are dropped by the viewer (its per-attempt resume cursor should leave none); events of an
 * earlier attempt may arrive after a later attempt's (see tracked-viewer.ts).
 */
export function verifyViewer(taskId: string, v: { events: readonly SeenEvent[]; gaps: number; liveDuplicates: number }, stored: readonly StoredEvent[]): ViewerVerdict {
  const key = (e: SeenEvent) => `${e.attempt}#${e.seq}`;
  const seen = new Set(v.events.map(key));
  const storedKeys = new Set(stored.map(key));
  const missed = [...storedKeys].filter((k) => !seen.has(k)).length;
  const extra = [...seen].filter((k) => !storedKeys.has(k)).length;
  const ok = missed === 0 && extra === 0 && v.gaps === 0 && v.liveDuplicates === 0;
  return {
    missed, duplicates: v.liveDuplicates, outOfOrder: v.gaps,
    problem: ok ? null : `viewer of ${taskId}: ${missed} missed, ${v.liveDuplicates} duplicated live, ${v.gaps} after a gap, ${extra} never stored (holds ${seen.size}, stored ${stored.length})`,
  };
}
