/**
 * The outbox: a local libSQL file (<dataDir>/runner.db) holding everything the control plane has
 * not acknowledged yet, so nothing an agent produced is lost when the network or the runner dies.
 * The job runner stores attempts, events and reports here; the transcript sender reads them back
 * to send and deletes them on `ack` / `report.ack`.
 *
 * Rules: an event is sent only after it is durably stored (the sender is told through
 * `onStored`); events are deleted when an ack with seq ≥ theirs arrives; the report is stored
 * after the attempt's last event and deleted, with the attempt, on `report.ack`.
 *
 * Size: this is disk, so it may grow while the control plane is unreachable (a chatty agent
 * writes a few MB per hour); what stays bounded is memory: see outbox-writer.ts for the write
 * queue and transcript-sender.ts for the send window.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Client, createClient } from "@libsql/client";
import {
  AgentEvent,
  type AttemptRef,
  type ControlTaskAssign,
  newId,
  RunnerTaskReport,
  type SequencedEvent,
} from "@multica/shared";
import type { Logger } from "./log";
import { OUTBOX_SCHEMA } from "./outbox-schema";
import { OutboxWriter } from "./outbox-writer";

export type { AttemptRef };

/** An attempt the outbox still holds, as the sender needs it after (re)connecting. */
export interface StoredAttempt extends AttemptRef {
  state: "running" | "finished";
  /** Seq of the last event stored for the attempt (0 when none). */
  lastSeq: number;
}

/** The report fields the job runner provides; `type` and `lastSeq` are filled in here. */
export type ReportBody = Omit<RunnerTaskReport, "type" | "lastSeq">;

const key = (ref: AttemptRef) => `${ref.taskId}#${ref.attempt}`;

export class Outbox {
  /** Last seq given out per attempt (stored or still queued). */
  private readonly lastSeq = new Map<string, number>();
  private readonly writer: OutboxWriter;

  private constructor(
    private readonly db: Client,
    readonly runnerId: string,
    private readonly log: Logger,
  ) {
    this.writer = new OutboxWriter(db, log);
  }

  /** Called after events or a report of this attempt became durable; set by the sender. */
  set onStored(listener: (ref: AttemptRef) => void) {
    this.writer.onStored = listener;
  }

  /** Opens (creating if needed) `<dataDir>/runner.db` and loads or makes the persistent runner id. */
  static async open(dataDir: string, log: Logger): Promise<Outbox> {
    mkdirSync(dataDir, { recursive: true });
    // One connection: pragmas are per connection, and writes are serialized here anyway.
    const db = createClient({ url: `file:${join(dataDir, "runner.db")}`, concurrency: 1 });
    await db.execute("PRAGMA journal_mode=WAL");
    // NORMAL in WAL mode survives a crash of this process (the case that matters: the control
    // plane holds the copy after ack); only a power loss may drop the last few transactions.
    await db.execute("PRAGMA synchronous=NORMAL");
    await db.executeMultiple(OUTBOX_SCHEMA);
    await db.execute({ sql: "INSERT OR IGNORE INTO meta (key, value) VALUES ('runner_id', ?)", args: [newId("runner")] });
    const row = await db.execute("SELECT value FROM meta WHERE key = 'runner_id'");
    const outbox = new Outbox(db, String(row.rows[0]?.value), log);
    for (const a of await outbox.attempts()) outbox.lastSeq.set(key(a), a.lastSeq);
    return outbox;
  }

  /**
   * Gives every attempt left `running` by a previous process a `lost` report after its stored
   * events, so the control plane learns and can retry. Call once, before running anything.
   */
  async recoverInterrupted(): Promise<AttemptRef[]> {
    const running = (await this.attempts()).filter((a) => a.state === "running");
    for (const a of running) {
      await this.finish(a, {
        taskId: a.taskId,
        attempt: a.attempt,
        status: "lost",
        exit: { exitCode: null, signal: null, error: "runner restarted while the attempt was running", durationMs: 0 },
        sessionId: null,
        usage: null,
        failure: { kind: "runner_lost", message: "runner restarted while the attempt was running", retryAt: null },
      });
    }
    return running.map(({ taskId, attempt }) => ({ taskId, attempt }));
  }

  /** Records an assigned attempt as running, durably. False when the outbox already has it. */
  async begin(assign: ControlTaskAssign): Promise<boolean> {
    const ref = { taskId: assign.taskId, attempt: assign.attempt };
    if (this.lastSeq.has(key(ref))) return false;
    this.lastSeq.set(key(ref), 0);
    await this.writer.write([
      {
        sql: "INSERT INTO attempts (task_id, attempt, state, assign_json, last_seq) VALUES (?, ?, 'running', ?, 0)",
        args: [ref.taskId, ref.attempt, JSON.stringify(assign)],
      },
    ], []);
    return true;
  }

  /** Numbers and queues an event for storage. Resolves at once unless too many are waiting. */
  append(ref: AttemptRef, event: AgentEvent): Promise<void> {
    const k = key(ref);
    const seq = (this.lastSeq.get(k) ?? 0) + 1;
    this.lastSeq.set(k, seq);
    return this.writer.addEvent(ref, seq, JSON.stringify(event));
  }

  /** Stores the attempt's report after all its events; `lastSeq` is the last appended seq. */
  async finish(ref: AttemptRef, body: ReportBody): Promise<RunnerTaskReport> {
    const report: RunnerTaskReport = { type: "task.report", ...body, lastSeq: this.lastSeq.get(key(ref)) ?? 0 };
    await this.writer.write([
      {
        sql: "INSERT OR REPLACE INTO reports (task_id, attempt, report_json) VALUES (?, ?, ?)",
        args: [ref.taskId, ref.attempt, JSON.stringify(report)],
      },
      { sql: "UPDATE attempts SET state = 'finished' WHERE task_id = ? AND attempt = ?", args: [ref.taskId, ref.attempt] },
    ], [ref]);
    return report;
  }

  /** The control plane stored everything up to `seq`: those events may go (coalesced). */
  ack(ref: AttemptRef, seq: number): void {
    this.writer.addAck(ref, seq);
  }

  /** The report is stored by the control plane: forget the attempt entirely. */
  async reportAcked(ref: AttemptRef): Promise<void> {
    const args = [ref.taskId, ref.attempt];
    await this.writer.write([
      { sql: "DELETE FROM events WHERE task_id = ? AND attempt = ?", args },
      { sql: "DELETE FROM reports WHERE task_id = ? AND attempt = ?", args },
      { sql: "DELETE FROM attempts WHERE task_id = ? AND attempt = ?", args },
    ], []);
    this.lastSeq.delete(key(ref));
  }

  /** Attempts still held, oldest first. */
  async attempts(): Promise<StoredAttempt[]> {
    const rs = await this.db.execute("SELECT task_id, attempt, state, last_seq FROM attempts ORDER BY rowid");
    return rs.rows.map((r) => ({
      taskId: String(r.task_id),
      attempt: Number(r.attempt),
      state: r.state === "running" ? "running" : "finished",
      lastSeq: Number(r.last_seq),
    }));
  }

  /** Stored events of an attempt with seq > `afterSeq`, in order, at most `limit`. */
  async eventsAfter(ref: AttemptRef, afterSeq: number, limit: number): Promise<SequencedEvent[]> {
    const rs = await this.db.execute({
      sql: "SELECT seq, ts, event_json FROM events WHERE task_id = ? AND attempt = ? AND seq > ? ORDER BY seq LIMIT ?",
      args: [ref.taskId, ref.attempt, afterSeq, limit],
    });
    return rs.rows.map((r) => ({ seq: Number(r.seq), ts: Number(r.ts), event: this.readEvent(String(r.event_json), ref) }));
  }

  /**
   * Where sending starts for an attempt: the first stored (unacked) seq, or null when none is
   * stored, and the last seq ever stored. Null when the outbox no longer holds the attempt.
   */
  async sendStart(ref: AttemptRef): Promise<{ firstSeq: number | null; lastSeq: number } | null> {
    const rs = await this.db.execute({
      sql: `SELECT a.last_seq AS last_seq, (SELECT min(seq) FROM events e WHERE e.task_id = a.task_id AND e.attempt = a.attempt) AS first_seq
            FROM attempts a WHERE a.task_id = ? AND a.attempt = ?`,
      args: [ref.taskId, ref.attempt],
    });
    const row = rs.rows[0];
    if (!row) return null;
    return { firstSeq: row.first_seq === null ? null : Number(row.first_seq), lastSeq: Number(row.last_seq) };
  }

  /** The stored report of an attempt, if it has finished. */
  async report(ref: AttemptRef): Promise<RunnerTaskReport | null> {
    const rs = await this.db.execute({
      sql: "SELECT report_json FROM reports WHERE task_id = ? AND attempt = ?",
      args: [ref.taskId, ref.attempt],
    });
    const row = rs.rows[0];
    if (!row) return null;
    const parsed = RunnerTaskReport.safeParse(safeJson(String(row.report_json)));
    if (parsed.success) return parsed.data;
    this.log.error(`outbox: the stored report of ${ref.taskId}/${ref.attempt} is unreadable; reporting the attempt lost`);
    const error = "the report could not be read back from the runner's outbox";
    const exit = { exitCode: null, signal: null, error, durationMs: 0 };
    const failure = { kind: "runner_lost" as const, message: error, retryAt: null };
    return { type: "task.report", ...ref, status: "lost", lastSeq: this.lastSeq.get(key(ref)) ?? 0, exit, sessionId: null, usage: null, failure };
  }

  /** Writes what is pending and closes the file. */
  async close(): Promise<void> {
    await this.writer.close();
    this.db.close();
  }

  /** Resolves once everything appended or acked so far is written. */
  flushNow(): Promise<void> {
    return this.writer.flushNow();
  }

  private readEvent(json: string, ref: AttemptRef): AgentEvent {
    const result = AgentEvent.safeParse(safeJson(json));
    if (result.success) return result.data;
    this.log.error(`outbox: a stored event of ${ref.taskId}/${ref.attempt} is unreadable; sending a placeholder`);
    return { kind: "error", message: "this event could not be read back from the runner's outbox" };
  }
}

/** JSON.parse that yields null instead of throwing; rows are validated with zod after. */
function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
