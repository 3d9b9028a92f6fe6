/**
 * Handles the frames of one runner connection (already parsed by `parseFrame`): hello and
 * reconciliation, transcript events (dedup by seq, ack), reports, lease renewals and claims.
 * Used by WorkspaceDO.webSocketMessage. Every refusal is an `error` frame with a stable code;
 * nothing is stored for a refused frame.
 */
import type { ControlMessage, RunnerHello, RunnerMessage, RunnerTaskEvents, RunnerTaskReport } from "@multica/shared";
import { CloseCode, PROTOCOL_VERSION } from "@multica/shared";
import { closeQuietly, readAttachment, sendJson, writeAttachment, type Attachment } from "./attachments";
import type { Workspace } from "./workspace";

type RunnerAttachment = Extract<Attachment, { role: "runner" }>;

export class RunnerSession {
  constructor(
    private readonly ws: WebSocket,
    private readonly att: RunnerAttachment,
    private readonly w: Workspace,
    private readonly workspaceId: string,
  ) {}

  private send(m: ControlMessage): void {
    sendJson(this.ws, m);
  }

  private error(code: string, message: string, ref?: { taskId: string; attempt: number }): void {
    this.send({ type: "error", code, message, ...(ref ? { taskId: ref.taskId, attempt: ref.attempt } : {}) });
  }

  handle(m: RunnerMessage, now: number): void {
    if (m.type === "hello") return this.hello(m, now);
    const runnerId = this.att.runnerId;
    if (!runnerId) return closeQuietly(this.ws, CloseCode.protocolError, "send hello first");
    switch (m.type) {
      case "task.events":
        return this.events(runnerId, m, now);
      case "task.report":
        return this.report(runnerId, m, now);
      case "task.started": {
        const s = this.w.store.getAttempt(m.taskId, m.attempt);
        if (!s) return this.error("unknown_task", `unknown attempt ${m.taskId}#${m.attempt}`, m);
        const r = this.w.apply(s, { type: "started", runnerId, now, leaseMs: this.w.config.leaseMs });
        if (!r.ok) this.send({ type: "task.cancel", taskId: m.taskId, attempt: m.attempt, reason: r.reason });
        return;
      }
      case "heartbeat":
        for (const ref of m.active) {
          const s = this.w.store.getAttempt(ref.taskId, ref.attempt);
          const r = s ? this.w.apply(s, { type: "renew", runnerId, now, leaseMs: this.w.config.leaseMs }) : { ok: false as const, reason: "unknown attempt" };
          // A runner working on an attempt it no longer holds must stop: someone else may have it.
          if (!r.ok) {
            this.send({ type: "task.cancel", taskId: ref.taskId, attempt: ref.attempt, reason: `no longer held: ${r.reason}` });
          }
        }
        return;
      case "task.claim": {
        const r = this.w.claim(runnerId, m.taskId, now);
        return this.send({ type: "claim.result", taskId: m.taskId, ok: r.ok, reason: r.ok ? null : r.reason });
      }
    }
  }

  private hello(m: RunnerHello, now: number): void {
    if (m.protocol !== PROTOCOL_VERSION) {
      return closeQuietly(this.ws, CloseCode.unsupportedVersion, `protocol ${m.protocol} not supported; this control plane speaks ${PROTOCOL_VERSION}`);
    }
    if (this.att.runnerId && this.att.runnerId !== m.runnerId) return closeQuietly(this.ws, CloseCode.protocolError, "runner id changed on this connection");
    // One connection per runner id: the newest wins, the older one is told it was replaced.
    for (const [id, other] of this.w.runnerSockets()) {
      if (id === m.runnerId && other !== this.ws) closeQuietly(other, CloseCode.replaced, "replaced by a newer connection of the same runner");
    }
    writeAttachment(this.ws, { ...this.att, runnerId: m.runnerId });
    this.att.runnerId = m.runnerId;
    this.w.forgetSockets();
    this.w.store.putRunner({
      runnerId: m.runnerId, name: m.name, version: m.version, concurrency: m.concurrency, runtimes: m.runtimes,
      online: true, connectedAt: now, lastSeenAt: now,
    });
    this.w.onChange();

    const active = new Set(m.active.map((a) => `${a.taskId}#${a.attempt}`));
    const cancels: ControlMessage[] = [];
    for (const s of this.w.store.heldBy(m.runnerId)) {
      const key = `${s.taskId}#${s.attempt}`;
      if (!active.has(key)) {
        this.w.apply(s, { type: "runner_absent", runnerId: m.runnerId, now });
        continue;
      }
      active.delete(key);
      this.w.apply(s, { type: "renew", runnerId: m.runnerId, now, leaseMs: this.w.config.leaseMs });
      if (s.cancelRequested) cancels.push({ type: "task.cancel", taskId: s.taskId, attempt: s.attempt, reason: "cancelled by a member" });
    }
    // What the runner still runs but no longer holds (lost meanwhile, or never ours) must stop.
    const revoked = [...active].map((key) => {
      const [taskId = "", attempt = "0"] = key.split("#");
      const s = this.w.store.getAttempt(taskId, Number(attempt));
      return { taskId, attempt: Number(attempt), reason: s ? `attempt is ${s.status}${s.runnerId !== m.runnerId ? " on another runner" : ""}` : "unknown attempt" };
    });
    this.send({ type: "welcome", protocol: PROTOCOL_VERSION, workspaceId: this.workspaceId, leaseMs: this.w.config.leaseMs, heartbeatMs: this.w.config.heartbeatMs, revoked });
    for (const c of cancels) this.send(c);
    this.w.dispatch(now);
  }

  private events(runnerId: string, m: RunnerTaskEvents, now: number): void {
    const s = this.w.store.getAttempt(m.taskId, m.attempt);
    if (!s) return this.error("unknown_task", `unknown attempt ${m.taskId}#${m.attempt}`, m);
    if (s.runnerId !== runnerId) return this.error("not_holder", `attempt ${m.taskId}#${m.attempt} is not held by this runner`, m);
    // Resends after a reconnect overlap what is stored: drop what we have, insist on no gaps.
    const fresh = m.events.filter((e) => e.seq > s.lastSeq);
    for (let i = 0; i < fresh.length; i++) {
      if (fresh[i]!.seq !== s.lastSeq + 1 + i) {
        return this.error("seq_gap", `attempt ${m.taskId}#${m.attempt}: expected seq ${s.lastSeq + 1 + i}, got ${fresh[i]!.seq}`, m);
      }
    }
    const next = fresh.length > 0 ? this.w.recordEvents(s, fresh, runnerId, now) : s;
    this.send({ type: "ack", taskId: m.taskId, attempt: m.attempt, seq: next.lastSeq });
  }

  private report(runnerId: string, m: RunnerTaskReport, now: number): void {
    const s = this.w.store.getAttempt(m.taskId, m.attempt);
    if (!s) return this.error("unknown_task", `unknown attempt ${m.taskId}#${m.attempt}`, m);
    if (s.runnerId !== runnerId) return this.error("not_holder", `attempt ${m.taskId}#${m.attempt} is not held by this runner`, m);
    if (m.lastSeq > s.lastSeq) {
      return this.error("report_before_events", `attempt ${m.taskId}#${m.attempt}: report names seq ${m.lastSeq}, stored ${s.lastSeq}`, m);
    }
    const r = this.w.apply(s, { type: "report", runnerId, status: m.status, exit: m.exit, sessionId: m.sessionId, usage: m.usage, failure: m.failure ?? null, now });
    if (!r.ok) return this.error("report_refused", r.reason, m);
    this.send({ type: "report.ack", taskId: m.taskId, attempt: m.attempt });
    this.w.dispatch(now);
  }
}

export function runnerAttachment(ws: WebSocket): RunnerAttachment | null {
  const a = readAttachment(ws);
  return a?.role === "runner" ? a : null;
}
