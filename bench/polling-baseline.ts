/**
 * The polling baseline for the dispatch figure: a runner that claims work the way Multica's
 * runners do — by asking every `intervalMs` (Multica polls every 30 s) — against the same real
 * control plane our push dispatch is measured on. Each poll is one request for work: connect,
 * hello (the control plane hands over whatever is queued for this runner's runtime), a probe
 * frame whose answer proves everything queued has been handed over, complete what came, go
 * away. Between polls nothing is connected, so nothing can be pushed to it.
 */
import { newId } from "@multica/shared";
import { RawRunner } from "../test/helpers/sockets";
import { completeAt } from "./fake-runners";
import { nowMs } from "./stats";

export class PollingRunner {
  /** When each task was handed over, by task id (this machine's clock, ms). */
  readonly claimedAt = new Map<string, number>();
  polls = 0;
  failedPolls = 0;
  private stopped = false;
  private readonly loop: Promise<void>;
  /** Ends the wait for the next poll early when stopping. */
  private wake: (() => void) | null = null;

  /** Starts polling at a random phase within the first interval, as a runner started at any moment would. */
  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly runtime: string,
    readonly intervalMs: number,
  ) {
    this.loop = this.run(Math.random() * intervalMs);
  }

  private async run(phase: number): Promise<void> {
    const t0 = nowMs() + phase;
    for (let k = 0; !this.stopped; k++) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, t0 + k * this.intervalMs - nowMs()));
        this.wake = () => (clearTimeout(timer), resolve());
      });
      if (this.stopped) break;
      // A failed poll (the control plane going away at the end of a run) waits for the next one.
      await this.poll().catch(() => (this.failedPolls += 1));
    }
  }

  /** One poll: connect, take what is queued, finish it, disconnect. */
  private async poll(): Promise<void> {
    this.polls += 1;
    const r = await RawRunner.connect(this.url, this.token);
    const assigned: { taskId: string; attempt: number }[] = [];
    r.ws.on("message", (data) => {
      const m = JSON.parse(data.toString()) as { type: string; taskId: string; attempt: number };
      if (m.type !== "task.assign") return;
      this.claimedAt.set(m.taskId, nowMs());
      assigned.push({ taskId: m.taskId, attempt: m.attempt });
    });
    try {
      const probe = newId("task");
      await r.hello(`rnr_poll${this.intervalMs}`, [this.runtime], 64);
      // Frames are handled in order: the probe's answer comes after every assignment of the hello.
      r.send({ type: "task.claim", taskId: probe });
      await r.next((m) => m.type === "claim.result" && m.taskId === probe);
      for (const a of assigned) completeAt(r, a.taskId, a.attempt);
      await Promise.all(assigned.map((a) => r.next((m) => m.type === "report.ack" && m.taskId === a.taskId)));
    } finally {
      r.close();
      await r.closed;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }
}
