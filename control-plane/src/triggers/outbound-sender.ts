/**
 * Sends the workspace's queued outbound deliveries (outbound-queue.ts) and keeps D1's delivery
 * log (`outbound_deliveries`) up to date. Lives in the workspace Durable Object, which calls
 * `record` when something happens, `pump` from its alarm, and asks `nextWake` when to set it.
 *
 * Nothing here is awaited by the request or the runner message that caused an event: `record`
 * stores the delivery and starts the attempt on the side (ctx.waitUntil). A row taken for an
 * attempt gets a lease (its `next_at` moves past the attempt's timeout), so a crash mid-attempt
 * means one more attempt after restart, never none: receivers dedupe on X-Multica-Delivery.
 * Order between deliveries is not kept (retries overtake); events carry `createdAt`.
 */
import { eq } from "drizzle-orm";
import { createDb, schema } from "../db/client";
import type { BoardEvent } from "@multica/shared";
import { type AttemptState, type Effect, toAttemptView } from "../workspace/task-machine";
import { boardOutboundEvent, taskOutboundEvent, type OutboundChange } from "./outbound-events";
import { deliverOnce, type OutboundEvent } from "./outbound";
import { type OutboundQueue, type QueuedDelivery } from "./outbound-queue";
import { abandonDelivery, applyAttempt, type DeliveryLog, type RetryPolicy } from "./outbound-retry";

export interface OutboundSettings {
  retry: RetryPolicy;
  /** One attempt's whole exchange, connect to last byte. */
  timeoutMs: number;
}

/** Attempts in flight at once per workspace: a few hanging receivers do not hold up the rest. */
const MAX_IN_FLIGHT = 8;
const MIRROR_BATCH = 50;
/** When D1 could not take the log, the alarm tries again this much later. */
const MIRROR_RETRY_MS = 5_000;
/** A taken row is due again this long after its attempt's timeout, should the attempt never finish. */
const LEASE_SLACK_MS = 5_000;

export class OutboundSender {
  private inFlight = 0;
  private mirroring: Promise<void> | null = null;
  private mirrorAgain = false;

  constructor(
    readonly queue: OutboundQueue,
    private readonly d1: D1Database,
    private readonly settings: OutboundSettings,
    private readonly workspaceId: () => string,
    /** `waitUntil` keeps the object alive for a send; `rearm` sets the alarm from `nextWake`. */
    private readonly host: { waitUntil(p: Promise<unknown>): void; rearm(): void },
  ) {}

  /** Queues `change` for its subscribers and starts sending at once. Synchronous up to the queueing. */
  record(change: OutboundChange, now: number): number {
    const queued = this.queue.record(change, this.workspaceId(), now);
    if (queued.length > 0) this.kick();
    return queued.length;
  }

  /** A board frame the object sends: an issue or comment event, if anyone subscribes. */
  observeBoard(message: BoardEvent): void {
    if (!this.listening()) return;
    const change = boardOutboundEvent(message);
    if (change) this.record(change, Date.now());
  }

  /** An attempt's stored transition: a task event, if anyone subscribes. */
  observeTask(prev: AttemptState, next: AttemptState, effects: readonly Effect[], now: number): void {
    // Renewals, event batches and the like change no status: the common case costs one compare.
    if (prev.status === next.status || !this.listening()) return;
    const change = taskOutboundEvent(prev, toAttemptView(next), effects);
    if (change) this.record(change, now);
  }

  /** Whether any subscription is on (from memory after the first read). */
  private listening(): boolean {
    return this.queue.subscriptions().some((s) => s.enabled);
  }

  /** Starts a pump without waiting for it. */
  kick(): void {
    this.host.waitUntil(this.pump(Date.now()));
  }

  /** When the alarm is next needed for outbound work: a due attempt, or a log D1 has not taken. */
  nextWake(now: number): number | null {
    const due = this.queue.nextDueAt();
    const mirror = this.queue.hasUnmirrored() ? now + MIRROR_RETRY_MS : null;
    if (due === null) return mirror;
    return mirror === null ? due : Math.min(due, mirror);
  }

  /** Mirrors the log and starts every due attempt there is room for. Resolves when they are done. */
  async pump(now: number): Promise<void> {
    const work: Promise<void>[] = [this.mirror()];
    const room = MAX_IN_FLIGHT - this.inFlight;
    if (room > 0) {
      const lease = now + this.settings.timeoutMs + LEASE_SLACK_MS;
      for (const d of this.queue.take(now, room, lease)) work.push(this.attempt(d));
    }
    this.host.rearm();
    await Promise.all(work);
  }

  /** Reloads the subscriptions from D1 (after every change an admin makes). */
  async syncSubscriptions(): Promise<void> {
    const s = schema.webhookSubscriptions;
    const rows = await createDb(this.d1).select({ id: s.id, url: s.url, secret: s.secret, events: s.events, enabled: s.enabled }).from(s).where(eq(s.workspaceId, this.workspaceId()));
    this.queue.setSubscriptions(rows);
  }

  private async attempt(d: QueuedDelivery): Promise<void> {
    this.inFlight += 1;
    try {
      const sub = this.queue.subscription(d.subscriptionId);
      // Deleted meanwhile: setSubscriptions took its rows out of the queue and D1 dropped its log.
      if (!sub) return;
      let log: DeliveryLog;
      if (!sub.enabled) {
        log = abandonDelivery(d.log, "the subscription was disabled before this delivery's turn");
      } else {
        const event = JSON.parse(d.payload) as OutboundEvent;
        const result = await deliverOnce(sub, event, { deliveryId: d.id, timeoutMs: this.settings.timeoutMs });
        log = applyAttempt({ ...d.log, url: sub.url }, result, Date.now(), Math.random(), { ...this.settings.retry, maxAttempts: d.maxAttempts });
      }
      this.queue.save(d.id, log);
      if (log.disableSubscription) await this.disable(d.subscriptionId, `the receiver answered 410 Gone to delivery ${d.id}`);
    } catch (err) {
      console.error(`[outbound ${this.workspaceId()}] delivery ${d.id} failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.inFlight -= 1;
      this.host.rearm();
    }
    await this.mirror();
    // A row may have waited for this slot.
    const next = this.queue.nextDueAt();
    if (next !== null && next <= Date.now()) this.kick();
  }

  private async disable(subscriptionId: string, reason: string): Promise<void> {
    this.queue.disableSubscription(subscriptionId);
    const s = schema.webhookSubscriptions;
    try {
      await createDb(this.d1).update(s).set({ enabled: false, disabledReason: reason }).where(eq(s.id, subscriptionId));
    } catch (err) {
      console.error(`[outbound ${this.workspaceId()}] could not record subscription ${subscriptionId} as disabled: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Writes every row D1 does not have in its latest state; one write at a time, batched. */
  private mirror(): Promise<void> {
    if (this.mirroring) {
      this.mirrorAgain = true;
      return this.mirroring;
    }
    this.mirroring = this.mirrorLoop().finally(() => {
      this.mirroring = null;
      this.host.rearm();
    });
    return this.mirroring;
  }

  private async mirrorLoop(): Promise<void> {
    const db = createDb(this.d1);
    const o = schema.outboundDeliveries;
    try {
      do {
        this.mirrorAgain = false;
        const rows = this.queue.unmirrored(MIRROR_BATCH);
        const [first, ...rest] = rows.map((r) => {
          const values = toD1(r, this.workspaceId(), Date.now());
          const { id: _id, subscriptionId: _s, workspaceId: _w, eventId: _e, createdAt: _c, ...changing } = values;
          return db.insert(o).values(values).onConflictDoUpdate({ target: o.id, set: changing });
        });
        if (!first) return;
        await db.batch([first, ...rest]);
        for (const r of rows) this.queue.markMirrored(r.id, r.version);
        if (rows.length === MIRROR_BATCH) this.mirrorAgain = true;
      } while (this.mirrorAgain);
    } catch (err) {
      console.error(`[outbound ${this.workspaceId()}] delivery log not written to D1; retrying: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function toD1(r: QueuedDelivery, workspaceId: string, now: number): typeof schema.outboundDeliveries.$inferInsert {
  const { log } = r;
  return {
    id: r.id, subscriptionId: r.subscriptionId, workspaceId, eventId: r.eventId, eventType: r.eventType, payload: r.payload,
    status: log.status, attempt: log.attempt, nextAttemptAt: log.nextAttemptAt, lastStatus: log.lastStatus, lastError: log.lastError,
    failReason: log.failReason, attempts: log.attempts, createdAt: r.createdAt, updatedAt: now,
  };
}
