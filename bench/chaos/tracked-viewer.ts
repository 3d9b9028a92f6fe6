/**
 * A viewer of one task's live stream that behaves like a browser tab: when its socket drops
 * (control-plane restart, server close) it reconnects with the cursor of the last event it saw,
 * so the replay continues where it stopped. It records every `task.event` in arrival order — the
 * fault suite then checks that list equals the stored transcript (nothing missed, nothing twice).
 * `pause()` makes it a slow viewer: it stops reading its socket while the stream goes on.
 */
import WebSocket from "ws";
import { parseViewerMessage } from "@multica/shared";

export interface SeenEvent {
  attempt: number;
  seq: number;
}

export class TrackedViewer {
  readonly events: SeenEvent[] = [];
  /** Connections that opened: 1 plus every reconnection. */
  connections = 0;
  pauses = 0;
  private ws: WebSocket | null = null;
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

  private url(): string {
    const last = this.events[this.events.length - 1];
    const cursor = last ? `&attempt=${last.attempt}&after=${last.seq}` : "";
    return `${this.baseUrl.replace(/^http/, "ws")}/api/v1/workspaces/${this.workspaceId}/tasks/${this.taskId}/stream?token=${this.token}${cursor}`;
  }

  private async run(): Promise<void> {
    let delay = 200;
    while (!this.stopped) {
      const opened = await this.connect();
      if (this.stopped) break;
      if (opened) delay = 200;
      else delay = Math.min(delay * 2, 2000);
      this.connections += opened ? 1 : 0;
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** One connection, until it closes; false when it never opened. */
  private connect(): Promise<boolean> {
    return new Promise((resolve) => {
      const ws = new WebSocket(this.url());
      this.ws = ws;
      let opened = false;
      ws.on("open", () => (opened = true));
      ws.on("message", (data) => {
        const m = parseViewerMessage(data.toString());
        if (m?.type === "task.event") this.events.push({ attempt: m.attempt, seq: m.seq });
      });
      ws.on("error", () => undefined);
      ws.on("close", () => {
        this.ws = null;
        resolve(opened);
      });
    });
  }

  /** Stops reading the socket for `ms` (the server keeps sending), then reads again. */
  pause(ms: number): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
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
