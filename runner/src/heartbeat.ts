/**
 * Renews the leases of running attempts: while connected, sends `heartbeat` with the attempts
 * this process runs every `welcome.heartbeatMs`. Started and stopped by runner.ts on welcome
 * and on disconnect.
 */
import type { AttemptRef, RunnerMessage } from "@multica/shared";

export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly send: (msg: RunnerMessage) => boolean,
    private readonly active: () => AttemptRef[],
  ) {}

  /** (Re)starts beating every `intervalMs`. */
  start(intervalMs: number): void {
    this.stop();
    this.timer = setInterval(() => this.send({ type: "heartbeat", active: this.active() }), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
