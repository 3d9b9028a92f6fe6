/**
 * Fan-out of live task frames to the viewers of one task. Viewers are tagged `task:<id>` when
 * accepted, so only that task's subscribers are touched. A viewer still receiving its replay is
 * skipped here: the replay itself ends with everything stored up to that moment.
 */
import type { ViewerMessage } from "@multica/shared";

export const viewerTag = (taskId: string) => `task:${taskId}`;

export class Fanout {
  /** Sockets in the middle of their replay. In memory only: a replay never spans a hibernation. */
  private readonly replaying = new WeakSet<WebSocket>();
  private replays = 0;

  constructor(private readonly ctx: DurableObjectState) {}

  /** True while any replay runs; D1 flushes wait so that no event is in neither place being read. */
  get busy(): boolean {
    return this.replays > 0;
  }

  beginReplay(ws: WebSocket): void {
    this.replaying.add(ws);
    this.replays += 1;
  }

  endReplay(ws: WebSocket): void {
    if (this.replaying.delete(ws)) this.replays -= 1;
  }

  /** Sends one message to every live viewer of `taskId`; returns how many got it. */
  broadcast(taskId: string, message: ViewerMessage): number {
    const sockets = this.ctx.getWebSockets(viewerTag(taskId));
    if (sockets.length === 0) return 0;
    const data = JSON.stringify(message);
    let sent = 0;
    for (const ws of sockets) {
      if (this.replaying.has(ws)) continue;
      try {
        ws.send(data);
        sent += 1;
      } catch {
        // closing socket: its close handler runs next
      }
    }
    return sent;
  }
}
