/**
 * A viewer of one task's live stream that behaves like a careful browser tab. When its socket
 * drops (control-plane restart, server close) it reconnects with the stream's resume cursor — the
 * last seq it holds of each attempt — and drops repeats by (attempt, seq), as the protocol intends.
 * A single position ("the last event seen") would not do: a runner restarted on its data directory
 * delivers the rest of an attempt already declared lost after the retry's events have gone out
 * (chaos found this), and the per-attempt cursor replays those late events too.
 *
 * It records every new event in arrival order, and counts as faults what a correct stream never
 * does: a live (not replayed) duplicate, and an event that skips seqs within its attempt.
 * `pause()` makes it a slow viewer: it stops reading its socket while the stream goes on.
 */
import WebSocket from "ws";
import { formatViewerCursor, parseViewerMessage } from "@multica/shared";

export interface SeenEvent {
  attempt: number;
  seq: number;
}

export class TrackedViewer {
  /** New events, in arrival order. */
  readonly events: SeenEvent[] = [];
  /** Connections that opened: 1 plus every reconnection. */
  connections = 0;
  pauses = 0;
  /** Repeats inside a replay: the cursor should leave none; counted, dropped. */
  overlap = 0;
  /** Repeats on the live stream: a fan-out fault. */
  liveDuplicates = 0;
  /** Events that arrived after a gap in their attempt's seqs. */
  gaps = 0;
  private readonly have = new Map<number, number>();
  private ws: WebSocket | null = null;
  private pendingPause: number | null = null;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly baseUrl: string,
    private readonly workspaceId: string,
    private readonly token: string,
    readonly taskId: string,
  ) {
    this.loop = this.run();
  }

  /** What it holds of each attempt, so the replay sends every attempt's missing tail. */
  private cursor(): string {
    return `&cursor=${formatViewerCursor(this.have)}`;
  }

  private async run(): Promise<void> {
    let delay = 200;
    while (!this.stopped) {
      const opened = await this.connect();
      if (this.stopped) break;
      delay = opened ? 200 : Math.min(delay * 2, 2000);
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  private receive(attempt: number, seq: number, live: boolean): void {
    const held = this.have.get(attempt) ?? 0;
    if (seq <= held) {
      if (live) this.liveDuplicates += 1;
      else this.overlap += 1;
      return;
    }
    if (seq !== held + 1) this.gaps += 1;
    this.have.set(attempt, seq);
    this.events.push({ attempt, seq });
  }

  /** One connection, until it closes; false when it never opened. */
  private connect(): Promise<boolean> {
    return new Promise((resolve) => {
      const ws = new WebSocket(`${this.baseUrl.replace(/^http/, "ws")}/api/v1/workspaces/${this.workspaceId}/tasks/${this.taskId}/stream?token=${this.token}${this.cursor()}`);
      this.ws = ws;
      let opened = false;
      let live = false;
      ws.on("open", () => {
        opened = true;
        this.connections += 1;
        if (this.pendingPause !== null) this.pause(this.pendingPause);
        this.pendingPause = null;
      });
      ws.on("message", (data) => {
        const m = parseViewerMessage(data.toString());
        if (m?.type === "task.event") this.receive(m.attempt, m.seq, live);
        else if (m?.type === "replay.done") live = true;
      });
      ws.on("error", () => undefined);
      ws.on("close", () => {
        this.ws = null;
        resolve(opened);
      });
    });
  }

  /**
   * Stops reading the socket for `ms` (the server keeps sending), then reads again. Between
   * connections, the next connection is paused as soon as it opens.
   */
  pause(ms: number): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      this.pendingPause = ms;
      return;
    }
    this.pauses += 1;
    ws.pause();
    setTimeout(() => ws.resume(), ms);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.ws?.terminate();
    await this.loop;
  }
}
