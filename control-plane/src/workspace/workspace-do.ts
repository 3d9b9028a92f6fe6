/**
 * WorkspaceDO: one Durable Object per workspace, a thin shell. It accepts runner and viewer
 * WebSockets (hibernation API), answers RPC from the Worker's routes, and runs the alarm that
 * sweeps leases, retries D1 mirroring and sends outbound webhooks. The logic lives in
 * Workspace, RunnerSession, task-machine, dispatch, fanout, d1-sync and triggers/outbound-*.
 * Every handler is guarded: an exception is logged with the object's id and never escapes.
 */
import { DurableObject } from "cloudflare:workers";
import type { AttemptView, BoardEvent } from "@multica/shared";
import { CloseCode, parseFrame, parseViewerCursor, PING_FRAME, PONG_FRAME, RunnerMessage } from "@multica/shared";
import { createDb } from "../db/client";
import { readConfig, type Env } from "../env";
import type { RpcError } from "../errors";
import type { OutboundChange } from "../triggers/outbound-events";
import { OutboundQueue, type QueuedDelivery } from "../triggers/outbound-queue";
import { OutboundSender } from "../triggers/outbound-sender";
import { closeQuietly, readAttachment, sendJson, writeAttachment } from "./attachments";
import { flushToD1 } from "./d1-sync";
import { type RunEndWrite, runEndEvents } from "./run-end-news";
import { BOARD_TAG, Fanout, viewerTag } from "./fanout";
import { RunnerSession } from "./runner-session";
import { ScheduleClock } from "./schedule-clock";
import { toAttemptView } from "./task-machine";
import { TaskStore } from "./task-store";
import { afterPosition, notHeld, readTranscript, replayToViewer, type TranscriptCursor, type TranscriptPage } from "./transcript";
import { Workspace, type EnqueueInput } from "./workspace";
import type { ScheduleRunRow } from "../triggers/schedule-runner";

/** Delay that coalesces many changes into one D1 batch. */
const SYNC_DELAY_MS = 150;
const SYNC_RETRY_MS = 2_000;
/** Lateness of a lease tick beyond which the object is taken to have been down (see noticeOutage). */
const OUTAGE_SLACK_MS = 1_000;

/** Internal headers the Worker sets on requests it forwards here (never taken from clients). */
export const INTERNAL = { workspace: "x-multica-workspace", tokenId: "x-multica-token-id" } as const;

export class WorkspaceDO extends DurableObject<Env> {
  private readonly store: TaskStore;
  private readonly fanout: Fanout;
  private readonly workspace: Workspace;
  private readonly schedules: ScheduleClock;
  private readonly outbound: OutboundSender;
  private syncTimer: ReturnType<typeof setTimeout> | null = null;
  private syncing = false;
  /** Earliest alarm we know is set; avoids a storage write per lease renewal. */
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new TaskStore(ctx.storage.sql);
    this.fanout = new Fanout(ctx);
    const config = readConfig(env);
    this.workspace = new Workspace(ctx, this.store, this.fanout, config, () => this.changed());
    const queue = new OutboundQueue(ctx.storage.sql, config.outbound.retry.maxAttempts);
    this.outbound = new OutboundSender(queue, env.DB, config.outbound, () => this.workspaceId, { waitUntil: (p) => ctx.waitUntil(p), rearm: () => this.armAlarm() });
    this.workspace.transitionObservers.push((prev, next, effects, now) => this.outbound.observeTask(prev, next, effects, now));
    this.fanout.onBoard = (event) => this.outbound.observeBoard(event);
    this.schedules = new ScheduleClock(ctx.storage.sql, this.store, this.workspace, env, () => this.workspaceId, (m) => this.log("schedules", m));
    // A scheduled task's outcome is stored in the step that ended it, then written to D1.
    this.workspace.transitionObservers.push((_prev, next, effects) => {
      if (this.schedules.taskOver(next, effects)) this.schedules.settleSoon();
    });
    // Runners' keep-alive pings are answered without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
    // After a restart, finish mirroring whatever the previous instance had not flushed.
    if (this.store.hasDirty()) this.scheduleSync(0);
    // …and write the outcomes of scheduled tasks that had not reached D1.
    if (this.schedules.hasFinished()) this.schedules.settleSoon();
    // …and send what was due while it was down.
    if (this.outbound.nextWake(Date.now()) !== null) this.outbound.kick();
    // Know the alarm an earlier instance set, so armAlarm never moves it later.
    void ctx.blockConcurrencyWhile(async () => {
      this.alarmAt = await ctx.storage.getAlarm();
    });
  }

  private get workspaceId(): string {
    return this.store.getMeta("workspace_id") ?? "";
  }

  private bindWorkspace(id: string): void {
    if (this.store.getMeta("workspace_id") !== id) this.store.setMeta("workspace_id", id);
  }

  // ---- RPC from the Worker's routes -------------------------------------------------------

  async enqueue(workspaceId: string, input: EnqueueInput): Promise<AttemptView> {
    this.bindWorkspace(workspaceId);
    return toAttemptView(this.workspace.enqueue(input, Date.now()));
  }

  async cancel(taskId: string): Promise<AttemptView | RpcError> {
    const r = this.workspace.cancel(taskId, Date.now());
    if (r.ok) return toAttemptView(r.state);
    if (r.reason === "unknown task") return { apiError: { status: 404, code: "not_found", message: `task ${taskId} not found in this workspace` } };
    return { apiError: { status: 409, code: "conflict", message: `cannot cancel: ${r.reason}` } };
  }

  async getTask(taskId: string, cursor: TranscriptCursor, limit: number): Promise<{ attempts: AttemptView[]; transcript: TranscriptPage } | RpcError> {
    const attempts = this.store.attempts(taskId);
    if (attempts.length === 0) return { apiError: { status: 404, code: "not_found", message: `task ${taskId} not found in this workspace` } };
    const transcript = await readTranscript(this.env.DB, this.store, taskId, cursor, limit);
    // Re-read: the attempt may have moved on while D1 was read.
    return { attempts: this.store.attempts(taskId).map(toAttemptView), transcript };
  }

  /** Pushes a change the API made (an issue, a comment, an activity) to every board. */
  async publish(event: BoardEvent): Promise<number> {
    return this.fanout.board(event);
  }

  // ---- Outbound webhooks (triggers/outbound-*.ts) -------------------------------------------

  /** An event no board frame carries (a skill proposal): queued for its subscribers. */
  async recordOutbound(workspaceId: string, change: OutboundChange): Promise<number> {
    this.bindWorkspace(workspaceId);
    return this.outbound.record(change, Date.now());
  }

  /** Reloads the subscriptions from D1: the routes call it after every change. */
  async syncSubscriptions(workspaceId: string): Promise<void> {
    this.bindWorkspace(workspaceId);
    await this.outbound.syncSubscriptions();
  }

  /** Queues a `ping` to one subscription; returns its delivery id. */
  async pingSubscription(workspaceId: string, subscriptionId: string): Promise<{ deliveryId: string } | RpcError> {
    this.bindWorkspace(workspaceId);
    const d = this.outbound.queue.recordPing(subscriptionId, workspaceId, Date.now());
    if (!d) return { apiError: { status: 404, code: "not_found", message: `subscription ${subscriptionId} not found in this workspace` } };
    this.outbound.kick();
    return { deliveryId: d.id };
  }

  /** One more attempt, now, of a delivery that failed (D1's copy of it, if the queue let it go). */
  async retryOutbound(workspaceId: string, failed: Omit<QueuedDelivery, "maxAttempts" | "version">): Promise<{ ok: true } | RpcError> {
    this.bindWorkspace(workspaceId);
    const queued = this.outbound.queue.get(failed.id);
    if (queued && queued.log.status !== "failed") return { apiError: { status: 409, code: "conflict", message: `delivery ${failed.id} is ${queued.log.status}, not failed` } };
    this.outbound.queue.requeue(queued ?? failed, Date.now());
    this.outbound.kick();
    return { ok: true };
  }

  // ---- Schedules (triggers/schedule-*.ts) ---------------------------------------------------

  /** Learns the next fire from D1 again and re-arms the alarm: the schedule routes call it after every change. */
  async schedulesChanged(workspaceId: string): Promise<void> {
    this.bindWorkspace(workspaceId);
    await this.schedules.refresh(Date.now());
    this.armAlarm(this.schedules.wakeAt(Date.now()));
  }

  /** "Run now": one manual run of a schedule, fired here where its task is queued. */
  async runSchedule(workspaceId: string, scheduleId: string): Promise<ScheduleRunRow | RpcError> {
    this.bindWorkspace(workspaceId);
    const run = await this.schedules.runNow(scheduleId, Date.now());
    return run ?? { apiError: { status: 404, code: "not_found", message: `schedule ${scheduleId} not found in this workspace` } };
  }

  /** Whether this workspace has that attempt; authoritative at once, unlike D1's mirror. */
  async hasAttempt(taskId: string, attempt: number): Promise<boolean> {
    return this.store.getAttempt(taskId, attempt) !== null;
  }

  /** Ids of runners connected right now (D1 has the durable list). */
  async connectedRunners(): Promise<string[]> {
    return [...this.workspace.runnerSockets().keys()];
  }

  // ---- WebSocket upgrades -----------------------------------------------------------------

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const workspaceId = request.headers.get(INTERNAL.workspace);
    if (!workspaceId || request.headers.get("upgrade") !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    this.bindWorkspace(workspaceId);
    const { 0: client, 1: server } = new WebSocketPair();

    if (url.pathname === "/runner") {
      this.ctx.acceptWebSocket(server, ["runner"]);
      writeAttachment(server, { role: "runner", tokenId: request.headers.get(INTERNAL.tokenId) ?? "", runnerId: null, connectedAt: Date.now() });
      return new Response(null, { status: 101, webSocket: client });
    }

    if (url.pathname === "/board") {
      this.ctx.acceptWebSocket(server, [BOARD_TAG]);
      writeAttachment(server, { role: "board" });
      sendJson(server, { type: "board.hello", workspaceId, at: Date.now() });
      return new Response(null, { status: 101, webSocket: client });
    }

    const taskId = url.searchParams.get("taskId") ?? "";
    if (url.pathname === "/viewer" && this.store.attempts(taskId).length > 0) {
      this.ctx.acceptWebSocket(server, ["viewer", viewerTag(taskId)]);
      writeAttachment(server, { role: "viewer", taskId });
      // The route validated the query; a resume cursor, when given, wins over the old single position.
      const held = parseViewerCursor(url.searchParams.get("cursor") ?? "");
      const wanted = url.searchParams.has("cursor") && held ? notHeld(held) : afterPosition({ attempt: Number(url.searchParams.get("attempt") ?? 0), after: Number(url.searchParams.get("after") ?? 0) });
      this.fanout.beginReplay(server);
      replayToViewer(this.env.DB, this.store, server, taskId, wanted)
        .catch((err) => {
          this.log("viewer replay failed", err);
          closeQuietly(server, 1011, "replay failed; reconnect");
        })
        .finally(() => this.fanout.endReplay(server));
      return new Response(null, { status: 101, webSocket: client });
    }
    return new Response("not found", { status: 404 });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    try {
      const att = readAttachment(ws);
      if (att?.role !== "runner") {
        closeQuietly(ws, CloseCode.protocolError, "viewers send no messages (only 'ping')");
        return;
      }
      const parsed = parseFrame(RunnerMessage, message);
      if (!parsed.ok) {
        closeQuietly(ws, parsed.tooBig ? CloseCode.tooBig : CloseCode.protocolError, parsed.reason);
        return;
      }
      new RunnerSession(ws, att, this.workspace, this.workspaceId).handle(parsed.value, Date.now());
    } catch (err) {
      this.log("webSocketMessage failed", err);
      closeQuietly(ws, 1011, "internal error; reconnect");
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      const att = readAttachment(ws);
      if (att?.role === "runner") this.workspace.forgetSockets();
      if (att?.role === "runner" && att.runnerId && !this.workspace.runnerSockets().has(att.runnerId)) {
        const rec = this.store.getRunner(att.runnerId);
        // Leases decide the fate of its attempts: a dropped socket often comes straight back.
        if (rec) this.store.putRunner({ ...rec, online: false, lastSeenAt: Date.now() });
        this.changed();
      }
    } catch (err) {
      this.log("webSocketClose failed", err);
    } finally {
      closeQuietly(ws, code, reason);
    }
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.log("webSocketError", error);
    closeQuietly(ws, 1011, "socket error");
  }

  // ---- Alarm: leases and D1 mirroring ------------------------------------------------------

  override async alarm(): Promise<void> {
    this.alarmAt = null;
    try {
      const now = Date.now();
      this.noticeOutage(now);
      this.workspace.sweepLeases(now);
      // Parked attempts whose time has come (the alarm was set for them) go out now.
      this.workspace.dispatch(now);
      if (this.store.hasDirty()) await this.sync();
      await this.schedules.tick(now);
      // Not awaited: a hanging receiver must not hold up the next lease tick.
      this.outbound.kick();
    } catch (err) {
      this.log("alarm failed", err);
    } finally {
      this.armAlarm();
    }
  }

  /**
   * While leases are held the alarm ticks every `tickMs`. A gap between ticks much longer than
   * that means the object was not running at all (crash, restart, outage): runners could not
   * renew meanwhile, so that time must not cost them their attempts. Eviction or hibernation
   * does not stop alarms, so it never looks like an outage.
   */
  private noticeOutage(now: number): void {
    const last = Number(this.store.getMeta("last_tick") ?? 0);
    const held = this.store.nextLeaseExpiry() !== null;
    this.store.setMeta("last_tick", held ? String(now) : "0");
    if (!held || last === 0 || now - last <= this.tickMs + OUTAGE_SLACK_MS) return;
    const n = this.workspace.graceLeasesAfterOutage(now);
    if (n > 0) this.log(`no alarm for ${Math.round((now - last) / 1000)} s (the control plane was down)`, `${n} lease(s) extended for reconnection`);
  }

  private get tickMs(): number {
    return Math.min(10_000, Math.ceil(this.workspace.config.leaseMs / 3));
  }

  private changed(): void {
    this.scheduleSync(SYNC_DELAY_MS);
    this.armAlarm();
  }

  /**
   * Keeps one alarm: the next lease tick (or expiry, if sooner) or D1 mirroring retry, a parked
   * attempt's time, an outbound delivery's, or a schedule's fire. `soon` is a wake-up the caller
   * knows of that may be sooner than a tick (a schedule just changed).
   */
  private armAlarm(soon: number | null = null): void {
    // An alarm due within a tick is soon enough for leases: any lease set since expires at least a
    // lease (≥ 3 ticks) from now, and alarm() re-arms whenever it runs. This skips the lease query
    // on nearly every change. Outbound retries (answered from memory) and `soon` keep their own
    // clock, often sooner than a tick, so they are never made to wait for it.
    const now = Date.now();
    const outbound = this.outbound.nextWake(now);
    const soonest = outbound === null ? soon : soon === null ? outbound : Math.min(outbound, soon);
    if (this.alarmAt !== null && this.alarmAt <= now + this.tickMs && (soonest === null || this.alarmAt <= soonest)) return;
    const lease = this.store.nextLeaseExpiry();
    const unpark = this.store.nextUnpark(now);
    const wants = [lease !== null ? Math.min(lease, now + this.tickMs) : this.store.hasDirty() ? now + SYNC_RETRY_MS : null, unpark, outbound, this.schedules.wakeAt(now)];
    const due = wants.filter((t): t is number => t !== null);
    const want = due.length > 0 ? Math.min(...due) : null;
    if (want === null || (this.alarmAt !== null && this.alarmAt <= want)) return;
    this.alarmAt = want;
    // The first lease starts the tick clock (noticeOutage measures gaps from here).
    if (lease !== null && Number(this.store.getMeta("last_tick") ?? 0) === 0) this.store.setMeta("last_tick", String(now));
    void this.ctx.storage.setAlarm(want);
  }

  private scheduleSync(delay: number): void {
    if (this.syncTimer) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      void this.sync();
    }, delay);
  }

  private async sync(): Promise<void> {
    // One flush at a time; and none while a viewer replays (it reads D1, then pending events).
    if (this.syncing || this.fanout.busy) return this.scheduleSync(SYNC_DELAY_MS);
    this.syncing = true;
    try {
      const ended = await flushToD1(this.env.DB, this.store, this.workspaceId, Date.now());
      if (ended.length > 0) this.ctx.waitUntil(this.announceRunEnds(ended));
      if (this.store.hasDirty()) this.scheduleSync(SYNC_DELAY_MS);
    } catch (err) {
      this.log("D1 mirror failed; will retry", err);
      this.scheduleSync(SYNC_RETRY_MS);
    } finally {
      this.syncing = false;
    }
  }

  /** Tells the boards what a run's end changed once it is in D1 (run-end-news.ts); never throws. */
  private async announceRunEnds(ended: RunEndWrite[]): Promise<void> {
    try {
      for (const e of await runEndEvents(createDb(this.env.DB), this.workspaceId, ended)) this.fanout.board(e);
    } catch (err) {
      // Boards catch up on their next read; the change itself is stored.
      this.log("run end not announced", err);
    }
  }

  private log(what: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    console.error(`[WorkspaceDO ${this.workspaceId || this.ctx.id.toString()}] ${what}: ${message}`);
  }
}
