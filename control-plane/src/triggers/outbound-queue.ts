/**
 * The durable queue of outbound deliveries, in the workspace Durable Object's own SQLite storage
 * (`ctx.storage.sql`): a copy of the workspace's subscriptions, and one row per (event,
 * subscription) until D1's delivery log holds its final state. Used by outbound-sender.ts.
 *
 * Why here and not only in D1: an event is recorded in the same synchronous stretch of the
 * object's code as the change that caused it (a task's new status is stored a line earlier), so
 * both are kept or neither; no await, no D1 round trip on the task's hot path. Rows survive
 * restarts, and the object's alarm wakes it for the next due attempt. D1 gets each row's state
 * after every attempt (the log members read); a row leaves the queue once D1 has its final state.
 *
 * Bounded: past MAX_QUEUED undelivered rows (a receiver down for long under heavy traffic), new
 * deliveries are dropped with an error in the log rather than growing the object's storage.
 */
import type { OutboundChange } from "./outbound-events";
import { createEvent, newDeliveryId, type OutboundEvent } from "./outbound";
import { createDeliveryLog, type DeliveryLog } from "./outbound-retry";

export const MAX_QUEUED = 10_000;

/** A subscription as the object knows it (copied from D1 by `setSubscriptions`). */
export interface QueueSubscription {
  id: string;
  url: string;
  secret: string;
  events: string[];
  enabled: boolean;
}

export interface QueuedDelivery {
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  /** The JSON body, sent byte for byte on every attempt. */
  payload: string;
  log: DeliveryLog;
  /** Attempts allowed in all: the policy's, or one more than made for a manual retry. */
  maxAttempts: number;
  /** Bumped on every change, so a D1 write of an older state does not mark a newer one mirrored. */
  version: number;
  createdAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbound_subscriptions (
  id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, events TEXT NOT NULL, enabled INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbound_queue (
  id TEXT PRIMARY KEY, subscription_id TEXT NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL,
  payload TEXT NOT NULL, log TEXT NOT NULL, max_attempts INTEGER NOT NULL, next_at INTEGER,
  version INTEGER NOT NULL DEFAULT 1, mirrored INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS outbound_queue_due ON outbound_queue (next_at);
CREATE INDEX IF NOT EXISTS outbound_queue_mirror ON outbound_queue (mirrored);
`;

type Row = { id: string; subscription_id: string; event_id: string; event_type: string; payload: string; log: string; max_attempts: number; version: number; created_at: number };
const COLUMNS = "id, subscription_id, event_id, event_type, payload, log, max_attempts, version, created_at";

function toDelivery(r: Row): QueuedDelivery {
  return {
    id: r.id, subscriptionId: r.subscription_id, eventId: r.event_id, eventType: r.event_type, payload: r.payload,
    log: JSON.parse(r.log) as DeliveryLog, maxAttempts: r.max_attempts, version: r.version, createdAt: r.created_at,
  };
}

export class OutboundQueue {
  /** In memory after the first read: matching an event costs no query while nobody subscribes. */
  private subs: QueueSubscription[] | null = null;
  /**
   * Answers of nextDueAt and hasUnmirrored, which the object asks on every change it makes (to
   * set its alarm); every write to the queue forgets them.
   */
  private due: number | null | undefined;
  private dirty: boolean | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly maxAttempts: number,
  ) {
    sql.exec(SCHEMA);
  }

  subscriptions(): QueueSubscription[] {
    this.subs ??= this.sql
      .exec<{ id: string; url: string; secret: string; events: string; enabled: number }>("SELECT id, url, secret, events, enabled FROM outbound_subscriptions")
      .toArray()
      .map((r) => ({ id: r.id, url: r.url, secret: r.secret, events: JSON.parse(r.events) as string[], enabled: r.enabled === 1 }));
    return this.subs;
  }

  subscription(id: string): QueueSubscription | null {
    return this.subscriptions().find((s) => s.id === id) ?? null;
  }

  /** Replaces the copy with D1's list; rows of deleted subscriptions leave the queue (D1 dropped their log). */
  setSubscriptions(list: QueueSubscription[]): void {
    this.sql.exec("DELETE FROM outbound_subscriptions");
    for (const s of list) {
      this.sql.exec("INSERT INTO outbound_subscriptions (id, url, secret, events, enabled) VALUES (?, ?, ?, ?, ?)", s.id, s.url, s.secret, JSON.stringify(s.events), s.enabled ? 1 : 0);
    }
    const ids = list.map((s) => s.id);
    this.sql.exec(`DELETE FROM outbound_queue WHERE subscription_id NOT IN (SELECT value FROM json_each(?))`, JSON.stringify(ids));
    this.forget();
    this.subs = list.map((s) => ({ ...s, events: [...s.events] }));
  }

  /** After a 410: no new deliveries; queued ones fail as "disabled" when their turn comes. */
  disableSubscription(id: string): void {
    this.sql.exec("UPDATE outbound_subscriptions SET enabled = 0 WHERE id = ?", id);
    this.subs = this.subscriptions().map((s) => (s.id === id ? { ...s, enabled: false } : s));
  }

  /** Queues `change` for every enabled subscription to its type; returns the deliveries queued. */
  record(change: OutboundChange, workspaceId: string, now: number): QueuedDelivery[] {
    const subs = this.subscriptions().filter((s) => s.enabled && s.events.includes(change.type));
    if (subs.length === 0) return [];
    return this.enqueue(createEvent(change.type, workspaceId, change.data, now), subs, now);
  }

  /** Queues a `ping` to one subscription (the admin's test), whatever events it takes. */
  recordPing(subscriptionId: string, workspaceId: string, now: number): QueuedDelivery | null {
    const sub = this.subscription(subscriptionId);
    if (!sub) return null;
    const event = createEvent("ping", workspaceId, { subscriptionId, url: sub.url, events: sub.events }, now);
    return this.enqueue(event, [sub], now)[0] ?? null;
  }

  private enqueue(event: OutboundEvent, subs: QueueSubscription[], now: number): QueuedDelivery[] {
    const payload = JSON.stringify(event);
    const out: QueuedDelivery[] = [];
    for (const sub of subs) {
      if (this.undelivered() >= MAX_QUEUED) {
        console.error(`[outbound] queue full (${MAX_QUEUED} undelivered): ${event.type} ${event.id} not queued for ${sub.id}`);
        break;
      }
      const id = newDeliveryId();
      const log = createDeliveryLog({ deliveryId: id, eventId: event.id, url: sub.url }, now);
      this.sql.exec(
        `INSERT INTO outbound_queue (${COLUMNS}, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
        id, sub.id, event.id, event.type, payload, JSON.stringify(log), this.maxAttempts, now, now,
      );
      this.forget();
      out.push({ id, subscriptionId: sub.id, eventId: event.id, eventType: event.type, payload, log, maxAttempts: this.maxAttempts, version: 1, createdAt: now });
    }
    return out;
  }

  /**
   * A failed delivery back in the queue for one more attempt now (a member's manual retry). Its
   * earlier attempts stay in the log; `row` is D1's copy when the queue no longer has it.
   */
  requeue(row: Omit<QueuedDelivery, "maxAttempts" | "version">, now: number): QueuedDelivery {
    const log: DeliveryLog = { ...row.log, status: "retrying", nextAttemptAt: now, failReason: null, disableSubscription: false };
    const maxAttempts = log.attempt + 1;
    this.sql.exec("DELETE FROM outbound_queue WHERE id = ?", row.id);
    this.sql.exec(
      `INSERT INTO outbound_queue (${COLUMNS}, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
      row.id, row.subscriptionId, row.eventId, row.eventType, row.payload, JSON.stringify(log), maxAttempts, row.createdAt, now,
    );
    this.forget();
    return { ...row, log, maxAttempts, version: 1 };
  }

  get(id: string): QueuedDelivery | null {
    const r = this.sql.exec<Row>(`SELECT ${COLUMNS} FROM outbound_queue WHERE id = ?`, id).toArray()[0];
    return r ? toDelivery(r) : null;
  }

  /**
   * Takes up to `limit` due rows, oldest first, for an attempt each: they are not due again
   * before `leaseUntil` (by then their attempt has stored its outcome, or never will).
   */
  take(now: number, limit: number, leaseUntil: number): QueuedDelivery[] {
    const rows = this.sql.exec<Row>(`SELECT ${COLUMNS} FROM outbound_queue WHERE next_at <= ? ORDER BY next_at LIMIT ?`, now, limit).toArray();
    for (const r of rows) this.sql.exec("UPDATE outbound_queue SET next_at = ? WHERE id = ?", leaseUntil, r.id);
    if (rows.length > 0) this.forget();
    return rows.map(toDelivery);
  }

  /** When the next attempt is due (epoch ms), or null when nothing waits. */
  nextDueAt(): number | null {
    if (this.due === undefined) this.due = this.sql.exec<{ t: number | null }>("SELECT min(next_at) AS t FROM outbound_queue").toArray()[0]?.t ?? null;
    return this.due;
  }

  /** Whether D1 lacks the latest state of some row. */
  hasUnmirrored(): boolean {
    this.dirty ??= this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM (SELECT 1 FROM outbound_queue WHERE mirrored = 0 LIMIT 1)").toArray()[0]?.n === 1;
    return this.dirty;
  }

  private forget(): void {
    this.due = undefined;
    this.dirty = undefined;
  }

  /** Stores the log after an attempt; the row now needs mirroring. Returns the new version. */
  save(id: string, log: DeliveryLog): number | null {
    this.sql.exec("UPDATE outbound_queue SET log = ?, next_at = ?, version = version + 1, mirrored = 0 WHERE id = ?", JSON.stringify(log), log.nextAttemptAt, id);
    this.forget();
    return this.get(id)?.version ?? null;
  }

  /** Rows whose latest state D1 does not have yet. */
  unmirrored(limit: number): QueuedDelivery[] {
    return this.sql.exec<Row>(`SELECT ${COLUMNS} FROM outbound_queue WHERE mirrored = 0 ORDER BY created_at LIMIT ?`, limit).toArray().map(toDelivery);
  }

  /** D1 has `version` of the row: a finished row leaves the queue, a pending one stays for its attempts. */
  markMirrored(id: string, version: number): void {
    this.sql.exec("DELETE FROM outbound_queue WHERE id = ? AND version = ? AND next_at IS NULL", id, version);
    this.sql.exec("UPDATE outbound_queue SET mirrored = 1 WHERE id = ? AND version = ?", id, version);
    this.forget();
  }

  undelivered(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbound_queue").toArray()[0]?.n ?? 0;
  }
}
