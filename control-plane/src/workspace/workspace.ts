/**
 * The workspace's task engine, used by WorkspaceDO: applies state-machine transitions, carries
 * out their effects (push frames to runners, queue retries, fan out to viewers), plans dispatch
 * and sweeps expired leases. All state is in TaskStore; the only memory is caches that can be
 * rebuilt after hibernation.
 */
import type { ControlMessage, RuntimeInfo, SequencedEvent } from "@multica/shared";
import { MAX_RECONNECT_DELAY_MS, newId } from "@multica/shared";
import type { Config } from "../env";
import { readAttachment, sendJson } from "./attachments";
import { runDispatchPass, type QueuedAttempt, type RunnerSlots } from "./dispatch";
import type { Fanout } from "./fanout";
import { buildAssign, followUpPlacement } from "./follow-up";
import { newAttempt, toAttemptView, transition, type AttemptState, type Effect, type TaskEvent } from "./task-machine";
import type { QueuedRow, TaskPayload, TaskStore } from "./task-store";

export interface EnqueueInput {
  issueId: string;
  agentId: string;
  runtimes: string[];
  maxAttempts: number;
  payload: TaskPayload;
}

export class Workspace {
  constructor(
    private readonly ctx: DurableObjectState,
    readonly store: TaskStore,
    readonly fanout: Fanout,
    readonly config: Config,
    /** Called whenever something changed that D1 should mirror, or a lease was set. */
    readonly onChange: () => void,
  ) {}

  /**
   * Told of every accepted transition once it is stored, in the same synchronous stretch (so what
   * they store is kept or lost with it): the outbound webhooks' task events.
   */
  readonly transitionObservers: ((prev: AttemptState, next: AttemptState, effects: readonly Effect[], now: number) => void)[] = [];

  /** Cache of runnerSockets(); dropped on every runner hello or close, rebuilt after hibernation. */
  private sockets: Map<string, WebSocket> | null = null;

  /** Connected runner sockets by runner id (only those that said hello). */
  runnerSockets(): Map<string, WebSocket> {
    if (this.sockets) return this.sockets;
    const map = new Map<string, WebSocket>();
    for (const ws of this.ctx.getWebSockets("runner")) {
      // A socket whose close is being handled is still listed; it no longer counts.
      if (ws.readyState !== WebSocket.OPEN) continue;
      const a = readAttachment(ws);
      if (a?.role === "runner" && a.runnerId) map.set(a.runnerId, ws);
    }
    this.sockets = map;
    return map;
  }

  /** Call when a runner socket said hello or closed. */
  forgetSockets(): void {
    this.sockets = null;
  }

  sendToRunner(runnerId: string, message: ControlMessage): boolean {
    const ws = this.runnerSockets().get(runnerId);
    return ws ? sendJson(ws, message) : false;
  }

  enqueue(input: EnqueueInput, now: number): AttemptState {
    // Comments arriving while a follow-up still waits join it: one run answers them all.
    if (input.payload.followUp) {
      const waiting = this.store.queuedFollowUp(input.issueId, input.agentId);
      const payload = waiting ? this.store.payload(waiting.taskId) : null;
      if (waiting && payload?.followUp) {
        const comments = [...payload.followUp.comments, ...input.payload.followUp.comments];
        this.store.setPayload(waiting.taskId, { ...input.payload, followUp: { comments } });
        return waiting;
      }
    }
    const first = newAttempt({ taskId: newId("task"), issueId: input.issueId, agentId: input.agentId, runtimes: input.runtimes, maxAttempts: input.maxAttempts }, 1, now);
    this.store.createTask(first, input.payload);
    this.fanout.status(toAttemptView(first));
    this.onChange();
    this.dispatch(now);
    return this.store.getAttempt(first.taskId, 1) ?? first;
  }

  /**
   * Applies one event to one attempt and carries out the effects. Returns the new state, or the
   * reason the event was refused (the state is then unchanged).
   */
  apply(s: AttemptState, event: TaskEvent): { ok: true; state: AttemptState } | { ok: false; reason: string } {
    const result = transition(s, event);
    if (!result.ok) return result;
    const next = result.state;
    if (next !== s) {
      this.store.putAttempt(next);
      if (next.status !== s.status || next.cancelRequested !== s.cancelRequested) {
        this.fanout.status(toAttemptView(next));
      }
    }
    for (const effect of result.effects) {
      switch (effect.type) {
        case "send_assign":
          this.sendAssign(next);
          break;
        case "send_cancel":
          this.sendToRunner(effect.runnerId, { type: "task.cancel", taskId: next.taskId, attempt: next.attempt, reason: effect.reason });
          break;
        case "retry":
        case "park": {
          const parked = effect.type === "park";
          const base = parked ? { ...next, maxAttempts: next.maxAttempts + 1, parks: (next.parks ?? 0) + 1 } : next;
          const retry = newAttempt(base, next.attempt + 1, event.now, parked ? effect.until : null);
          this.store.putAttempt(retry);
          this.fanout.status(toAttemptView(retry));
          break;
        }
        case "ended":
          break;
      }
    }
    if (next !== s) for (const observe of this.transitionObservers) observe(s, next, result.effects, event.now);
    this.onChange();
    return { ok: true, state: next };
  }

  private sendAssign(s: AttemptState): void {
    const payload = this.store.payload(s.taskId);
    if (!payload || !s.runnerId || !s.runtime) return;
    const sent = this.sendToRunner(s.runnerId, buildAssign(this.store, s, payload, Date.now()));
    // The socket vanished between planning and sending: the attempt never left, so requeue it.
    if (!sent) this.apply(s, { type: "runner_absent", runnerId: s.runnerId, now: Date.now() });
  }

  /**
   * Stores a runner's new transcript events (contiguous, after `s.lastSeq`), renews its lease in
   * the same write, and fans the events out. Returns the new state.
   */
  recordEvents(s: AttemptState, fresh: readonly SequencedEvent[], runnerId: string, now: number): AttemptState {
    let next: AttemptState = { ...s, lastSeq: fresh[fresh.length - 1]?.seq ?? s.lastSeq };
    const renewed = transition(next, { type: "renew", runnerId, now, leaseMs: this.config.leaseMs });
    if (renewed.ok) next = renewed.state;
    this.store.appendEvents(next, fresh);
    for (const e of fresh) {
      this.fanout.broadcast(s.taskId, { type: "task.event", taskId: s.taskId, attempt: s.attempt, seq: e.seq, ts: e.ts, event: e.event });
    }
    // Late events of an ended attempt change what viewers know of it (its lastSeq).
    if (!renewed.ok) this.fanout.broadcast(s.taskId, { type: "task.status", attempt: toAttemptView(next) });
    this.onChange();
    return next;
  }

  /** Free slots of connected runners, with per-agent load. */
  private slots(): { runners: RunnerSlots[]; agentBusy: Map<string, number> } {
    const busyByRunner = new Map<string, number>();
    const agentBusy = new Map<string, number>();
    for (const h of this.store.heldCounts()) {
      busyByRunner.set(h.runnerId, (busyByRunner.get(h.runnerId) ?? 0) + h.n);
      agentBusy.set(h.agentId, (agentBusy.get(h.agentId) ?? 0) + h.n);
    }
    const runners: RunnerSlots[] = [];
    for (const runnerId of this.runnerSockets().keys()) {
      const rec = this.store.getRunner(runnerId);
      if (!rec) continue;
      runners.push({ runnerId, runtimes: new Set(rec.runtimes.map((r: RuntimeInfo) => r.key)), concurrency: rec.concurrency, busy: busyByRunner.get(runnerId) ?? 0 });
    }
    return { runners, agentBusy };
  }

  /** Pushes queued attempts to runners with a matching runtime and a free slot (dispatch.ts). */
  dispatch(now: number): number {
    const { runners, agentBusy } = this.slots();
    if (runners.every((r) => r.busy >= r.concurrency)) return 0;
    return runDispatchPass<QueuedRow>({
      agents: this.store.queuedAgents(),
      runners,
      agentBusy,
      read: (agentId, after, limit) => this.store.queuedOf(agentId, after, limit, now),
      candidate: (q, current) => this.candidate(q, current),
      commit: (q, p) => {
        const s = this.store.getAttempt(q.taskId, q.attempt);
        return s !== null && this.apply(s, { type: "dispatch", runnerId: p.runnerId, runtime: p.runtime, now, leaseMs: this.config.leaseMs }).ok;
      },
    });
  }

  /** A queued row as dispatch planning sees it; null for a follow-up that must wait. */
  private candidate(q: QueuedRow, runners: readonly RunnerSlots[]): QueuedAttempt | null {
    const base: QueuedAttempt = { key: `${q.taskId}#${q.attempt}`, agentId: q.agentId, runtimes: q.runtimes, maxConcurrent: q.maxConcurrent, allowedRunners: q.runnerIds };
    if (!q.followUp) return base;
    const place = followUpPlacement(this.store, q, runners);
    return place === "wait" ? null : { ...base, ...place };
  }

  /** An explicit claim of one queued task by a runner: check-and-set, so only one can win. */
  claim(runnerId: string, taskId: string, now: number): { ok: true } | { ok: false; reason: string } {
    const s = this.store.latestAttempt(taskId);
    if (!s) return { ok: false, reason: "unknown task" };
    if (s.status !== "queued") return { ok: false, reason: `task is ${s.status}` };
    const { runners } = this.slots();
    const me = runners.find((r) => r.runnerId === runnerId);
    if (!me) return { ok: false, reason: "runner is not registered" };
    if (me.busy >= me.concurrency) return { ok: false, reason: "runner has no free slot" };
    const runtime = s.runtimes.find((k) => me.runtimes.has(k));
    if (!runtime) return { ok: false, reason: "runner has none of the agent's runtimes" };
    const pool = this.store.payload(taskId)?.runnerIds;
    if (pool && pool.length > 0 && !pool.includes(runnerId)) return { ok: false, reason: "runner is not in the agent's runner pool" };
    const r = this.apply(s, { type: "dispatch", runnerId, runtime, now, leaseMs: this.config.leaseMs });
    return r.ok ? { ok: true } : r;
  }

  cancel(taskId: string, now: number): { ok: true; state: AttemptState } | { ok: false; reason: string } {
    const s = this.store.latestAttempt(taskId);
    if (!s) return { ok: false, reason: "unknown task" };
    const r = this.apply(s, { type: "cancel", now });
    if (r.ok) this.dispatch(now);
    return r;
  }

  /**
   * After an outage of the control plane itself, no runner could renew: give every held lease
   * long enough from now for its runner to reconnect (its longest backoff) and renew.
   */
  graceLeasesAfterOutage(now: number): number {
    const until = now + MAX_RECONNECT_DELAY_MS + this.config.leaseMs;
    let n = 0;
    for (const s of this.store.heldAll()) {
      if (s.leaseExpiresAt !== null && s.leaseExpiresAt >= until) continue;
      this.store.putAttempt({ ...s, leaseExpiresAt: until });
      n += 1;
    }
    if (n > 0) this.onChange();
    return n;
  }

  /** Marks attempts whose lease ran out as lost (queuing retries) and dispatches the retries. */
  sweepLeases(now: number): number {
    const expired = this.store.expiredLeases(now);
    for (const s of expired) this.apply(s, { type: "lease_expired", now });
    if (expired.length > 0) this.dispatch(now);
    return expired.length;
  }
}
