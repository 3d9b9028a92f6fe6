/**
 * The runner's lifecycle: start (lock the data dir, open the outbox, report attempts a previous
 * process left behind as lost, detect runtimes, connect), route control frames to the job
 * runner and the transcript sender, and stop — gracefully or at once. cli.ts drives it.
 */
import type { AttemptRef, ControlMessage, ControlWelcome, RunnerHello } from "@multica/shared";
import { MAX_HELD_ATTEMPTS, PROTOCOL_VERSION } from "@multica/shared";
import { buildRegistry, type RuntimeRegistry } from "./agents/registry";
import type { RunnerConfig } from "./config";
import { Connection, type ConnectionOptions } from "./connection";
import { type DataDirLock, lockDataDir } from "./data-dir-lock";
import { Heartbeat } from "./heartbeat";
import { JobRunner } from "./job-runner";
import type { Logger } from "./log";
import { Outbox } from "./outbox";
import { TranscriptSender } from "./transcript-sender";
import { VERSION } from "./version";

/** Control-plane error codes after which resending an attempt's frames can never succeed. */
const PERMANENT_REJECTIONS = new Set(["unknown_task", "not_holder"]);

/** Process exit codes (see --help). */
export const ExitCode = { ok: 0, internal: 1, usage: 2, refused: 3 } as const;

export interface RunnerOptions {
  log: Logger;
  /** Timings of the connection; tests shorten them. */
  connection?: Pick<ConnectionOptions, "pingIntervalMs" | "backoffBaseMs" | "backoffCapMs" | "healthyAfterMs">;
  /** How long a graceful stop waits for reports to be acknowledged (default: 10 s, or the cancel grace + 2 s). */
  stopTimeoutMs?: number;
}

export class Runner {
  /** Resolves with the exit code once the runner has stopped, by `stop()` or because it was refused. */
  readonly exited: Promise<number>;
  private resolveExited: (code: number) => void = () => {};
  private stopping = false;
  private readonly jobs: JobRunner;
  private readonly sender: TranscriptSender;
  private readonly heartbeat: Heartbeat;
  private readonly connection: Connection;

  private constructor(
    private readonly config: RunnerConfig,
    private readonly opts: RunnerOptions,
    private readonly lock: DataDirLock,
    private readonly outbox: Outbox,
    registry: RuntimeRegistry,
  ) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    const log = opts.log;
    this.connection = new Connection({
      url: config.url,
      token: config.token,
      log,
      ...opts.connection,
      hello: () => this.hello(registry),
      onWelcome: (w) => this.onWelcome(w),
      onMessage: (m) => this.onMessage(m),
      onDown: () => {
        this.heartbeat.stop();
        this.sender.disconnected();
      },
      onFatal: (reason) => {
        log.error(`stopping: ${reason}`);
        void this.shutdown(ExitCode.refused, false);
      },
    });
    const send = this.connection.send.bind(this.connection);
    this.sender = new TranscriptSender(outbox, send, log);
    outbox.onStored = (ref) => this.sender.stored(ref);
    this.jobs = new JobRunner({
      outbox,
      registry,
      dataDir: config.dataDir,
      url: config.url,
      token: config.token,
      concurrency: config.concurrency,
      log,
      onStarted: (ref) => send({ type: "task.started", ...ref }),
    });
    this.heartbeat = new Heartbeat(send, () => this.jobs.active());
  }

  /** Starts a runner; throws DataDirBusyError when another process holds the data dir. */
  static async start(config: RunnerConfig, opts: RunnerOptions): Promise<Runner> {
    const log = opts.log;
    const lock = lockDataDir(config.dataDir);
    try {
      const outbox = await Outbox.open(config.dataDir, log);
      for (const ref of await outbox.recoverInterrupted()) {
        log.warn(`task ${ref.taskId}/${ref.attempt} was running when the runner last stopped; reporting it lost`);
      }
      const registry = await buildRegistry(config, log);
      const runtimes = registry.runtimes().map((r) => (r.version ? `${r.key} ${r.version}` : r.key));
      log.info(
        `multica-runner ${VERSION}: name "${config.name}", runner id ${outbox.runnerId}, url ${config.url.href}, ` +
          `concurrency ${config.concurrency}, runtimes: ${runtimes.join(", ") || "none (add commands to the config file; see --help)"}`,
      );
      const runner = new Runner(config, opts, lock, outbox, registry);
      runner.connection.start();
      return runner;
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /** Graceful stop: cancel running attempts, wait (bounded) for their reports to be acked, close. */
  stop(): Promise<number> {
    return this.shutdown(ExitCode.ok, true);
  }

  /** Immediate stop: kill every agent process tree now. Unacked data stays in the outbox. */
  stopNow(): void {
    this.jobs.killAllNow();
    this.lock.release();
  }

  /**
   * `active` lists every attempt this runner still holds: running ones, and finished ones whose
   * report is not acknowledged yet (the control plane must not take those for lost).
   */
  private async hello(registry: RuntimeRegistry): Promise<RunnerHello> {
    const held = new Map(this.jobs.active().map((a) => [`${a.taskId}#${a.attempt}`, a]));
    for (const a of await this.outbox.attempts()) held.set(`${a.taskId}#${a.attempt}`, { taskId: a.taskId, attempt: a.attempt });
    return {
      type: "hello",
      protocol: PROTOCOL_VERSION,
      runnerId: this.outbox.runnerId,
      name: this.config.name,
      version: VERSION,
      concurrency: this.config.concurrency,
      runtimes: registry.runtimes(),
      active: [...held.values()].slice(0, MAX_HELD_ATTEMPTS),
    };
  }

  private onWelcome(w: ControlWelcome): void {
    const log = this.opts.log;
    log.info(`welcome from workspace ${w.workspaceId} (lease ${w.leaseMs / 1000}s, heartbeat ${w.heartbeatMs / 1000}s)`);
    if (w.protocol !== PROTOCOL_VERSION) log.warn(`the control plane speaks protocol ${w.protocol}, this runner ${PROTOCOL_VERSION}`);
    for (const r of w.revoked) {
      log.warn(`task ${r.taskId}/${r.attempt} was revoked by the control plane (${r.reason}); cancelling it`);
      this.jobs.cancel(r, `revoked by the control plane: ${r.reason}`);
    }
    this.heartbeat.start(w.heartbeatMs);
    // task.started may have been sent on a connection that dropped; repeating it is harmless.
    for (const ref of this.jobs.started()) this.connection.send({ type: "task.started", ...ref });
    void this.sender.connected();
  }

  private onMessage(msg: ControlMessage): void {
    const log = this.opts.log;
    switch (msg.type) {
      case "task.assign":
        this.jobs.assign(msg);
        return;
      case "task.cancel":
        if (this.jobs.cancel(msg, msg.reason)) log.info(`task ${msg.taskId}/${msg.attempt}: cancel requested (${msg.reason})`);
        else log.info(`task ${msg.taskId}/${msg.attempt}: cancel for an attempt not running here; ignored`);
        return;
      case "ack":
        this.sender.acked(msg, msg.seq);
        return;
      case "report.ack":
        void this.sender.reportAcked(msg);
        return;
      case "claim.result":
        log.info(`claim of task ${msg.taskId}: ${msg.ok ? "granted" : `refused${msg.reason ? ` (${msg.reason})` : ""}`}`);
        return;
      case "error":
        log.warn(`control plane error ${msg.code}: ${msg.message}`);
        if (msg.taskId && msg.attempt && PERMANENT_REJECTIONS.has(msg.code)) this.dropRejected({ taskId: msg.taskId, attempt: msg.attempt });
        return;
      case "welcome":
        return;
    }
  }

  /**
   * The control plane will never accept this attempt's frames (it does not know the attempt, or
   * another runner holds it). Stop working on it; once it is not running, forget it, or the
   * outbox would resend it on every reconnect forever.
   */
  private dropRejected(ref: AttemptRef): void {
    if (this.jobs.cancel(ref, "the control plane no longer accepts this attempt")) return;
    this.opts.log.warn(`task ${ref.taskId}/${ref.attempt}: dropping it from the outbox`);
    void this.sender.reportAcked(ref);
  }

  private async shutdown(code: number, waitForAcks: boolean): Promise<number> {
    if (this.stopping) return this.exited;
    this.stopping = true;
    const log = this.opts.log;
    const deadline = Date.now() + (this.opts.stopTimeoutMs ?? Math.max(10_000, this.config.cancelGraceMs + 2000));
    const running = this.jobs.active().length;
    if (running > 0) log.info(`stopping: cancelling ${running} running attempt(s)`);
    await this.jobs.stopAll("runner stopping");
    if (waitForAcks) {
      let left: AttemptRef[] = await this.outbox.attempts();
      while (left.length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        left = await this.outbox.attempts();
      }
      if (left.length > 0) log.warn(`${left.length} attempt(s) not acknowledged yet; they stay in the outbox for the next start`);
    }
    this.heartbeat.stop();
    await this.connection.close();
    await this.outbox.close();
    this.lock.release();
    log.info("stopped");
    this.resolveExited(code);
    return code;
  }
}
