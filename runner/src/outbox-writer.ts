/**
 * Batches the outbox's writes: events, acks and other statements queued within a few ms become
 * one transaction, so a burst of agent output costs one commit instead of thousands. Only
 * outbox.ts uses it. After each commit it tells `onStored` which attempts got durable data —
 * the only point from which anything may be sent.
 *
 * Bounded: at most MAX_PENDING events wait in memory; `addEvent` makes its caller wait for the
 * next commit beyond that. A failed commit (disk full, file locked) is retried, keeping order.
 */
import type { Client, InStatement } from "@libsql/client";
import type { AttemptRef } from "@multica/shared";
import { describeError, type Logger } from "./log";

/** Writes are coalesced for this long, so a burst of output becomes one transaction. */
const FLUSH_DELAY_MS = 5;
/** Events waiting in memory for a write; `addEvent` waits for the flush beyond this. */
const MAX_PENDING = 2000;
/** Delay before retrying a failed write; appends wait meanwhile. */
const RETRY_DELAY_MS = 1000;

const key = (ref: AttemptRef) => `${ref.taskId}#${ref.attempt}`;

type PendingEvent = { ref: AttemptRef; seq: number; ts: number; json: string };
type Write = { statements: InStatement[]; stored: AttemptRef[]; done: () => void };

export class OutboxWriter {
  /** Called after a commit for every attempt whose events or report it made durable. */
  onStored: (ref: AttemptRef) => void = () => {};

  private pending: PendingEvent[] = [];
  private acks = new Map<string, { ref: AttemptRef; seq: number }>();
  private extra: Write[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private flushed: { promise: Promise<void>; resolve: () => void } | null = null;
  private closed = false;

  constructor(
    private readonly db: Client,
    private readonly log: Logger,
  ) {}

  /** Queues an event row. Resolves at once unless too many events are waiting. */
  addEvent(ref: AttemptRef, seq: number, json: string): Promise<void> {
    this.pending.push({ ref, seq, ts: Date.now(), json });
    this.schedule();
    return this.pending.length >= MAX_PENDING ? this.nextFlush() : Promise.resolve();
  }

  /** Queues deleting the attempt's events up to `seq` (acks for one attempt coalesce). */
  addAck(ref: AttemptRef, seq: number): void {
    const prev = this.acks.get(key(ref));
    if (!prev || prev.seq < seq) this.acks.set(key(ref), { ref, seq });
    this.schedule();
  }

  /** Runs statements in the next transaction, after the events queued before them. */
  write(statements: InStatement[], stored: AttemptRef[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the outbox is closed"));
    return new Promise((done) => {
      this.extra.push({ statements, stored, done });
      void this.flushNow();
    });
  }

  /** Resolves once everything queued so far is committed. */
  flushNow(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flushing = this.flushing.then(() => this.flush());
    return this.flushing;
  }

  /** Commits what is queued; later writes are refused. */
  async close(): Promise<void> {
    await this.flushNow();
    this.closed = true;
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => void this.flushNow(), this.pending.length >= MAX_PENDING ? 0 : FLUSH_DELAY_MS);
  }

  private nextFlush(): Promise<void> {
    if (!this.flushed) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => (resolve = r));
      this.flushed = { promise, resolve };
    }
    return this.flushed.promise;
  }

  /** One transaction: pending events (and each attempt's last_seq), acks, then queued writes. */
  private async flush(): Promise<void> {
    const events = this.pending;
    const acks = [...this.acks.values()];
    const extra = this.extra;
    if (events.length === 0 && acks.length === 0 && extra.length === 0) return;
    this.pending = [];
    this.acks = new Map();
    this.extra = [];
    const lastByAttempt = new Map<string, PendingEvent>();
    const statements: InStatement[] = events.map((e) => {
      lastByAttempt.set(key(e.ref), e);
      return {
        sql: "INSERT OR REPLACE INTO events (task_id, attempt, seq, ts, event_json) VALUES (?, ?, ?, ?, ?)",
        args: [e.ref.taskId, e.ref.attempt, e.seq, e.ts, e.json],
      };
    });
    for (const e of lastByAttempt.values()) {
      statements.push({
        sql: "UPDATE attempts SET last_seq = max(last_seq, ?) WHERE task_id = ? AND attempt = ?",
        args: [e.seq, e.ref.taskId, e.ref.attempt],
      });
    }
    for (const a of acks) {
      statements.push({
        sql: "DELETE FROM events WHERE task_id = ? AND attempt = ? AND seq <= ?",
        args: [a.ref.taskId, a.ref.attempt, a.seq],
      });
    }
    for (const w of extra) statements.push(...w.statements);
    try {
      await this.db.batch(statements, "write");
    } catch (err) {
      // Nothing was written: put it all back in order and try again later.
      this.log.error(`outbox: write failed, retrying in ${RETRY_DELAY_MS / 1000}s: ${describeError(err)}`);
      this.pending = events.concat(this.pending);
      for (const a of acks) if ((this.acks.get(key(a.ref))?.seq ?? -1) < a.seq) this.acks.set(key(a.ref), a);
      this.extra = extra.concat(this.extra);
      await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
      if (!this.closed) void this.flushNow();
      return;
    }
    const waiting = this.flushed;
    this.flushed = null;
    waiting?.resolve();
    for (const w of extra) w.done();
    const touched = new Map<string, AttemptRef>();
    for (const e of lastByAttempt.values()) touched.set(key(e.ref), e.ref);
    for (const w of extra) for (const ref of w.stored) touched.set(key(ref), ref);
    for (const ref of touched.values()) this.onStored(ref);
  }
}
