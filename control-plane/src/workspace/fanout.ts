/**
 * Fan-out of live frames: a task's transcript and status to the viewers of that task (tagged
 * `task:<id>` when accepted, so only its subscribers are touched), and every status change plus
 * the API's issue and comment changes to the workspace's boards (tagged `board`). A viewer still
 * receiving its replay is skipped here: the replay itself ends with everything stored up to then.
 */
import type { AttemptView, BoardEvent, ViewerMessage } from "@multica/shared";

export const viewerTag = (taskId: string) => `task:${taskId}`;
export const BOARD_TAG = "board";

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

  /** An attempt's new status: to its task's viewers and to every board. */
  status(attempt: AttemptView): void {
    const message = { type: "task.status" as const, attempt };
    this.broadcast(attempt.taskId, message);
    this.board(message);
  }

  /**
   * Told of every board frame, whoever makes it (the API through `publish`, a schedule's fire, a
   * status change), before it is sent: the outbound webhooks record their events from it.
   */
  onBoard: ((message: BoardEvent) => void) | null = null;

  /** Sends one frame to every board of the workspace; returns how many got it. */
  board(message: BoardEvent): number {
    this.onBoard?.(message);
    return this.send(this.ctx.getWebSockets(BOARD_TAG), message);
  }

  /** Sends one message to every live viewer of `taskId`; returns how many got it. */
  broadcast(taskId: string, message: ViewerMessage): number {
    return this.send(this.ctx.getWebSockets(viewerTag(taskId)), message);
  }

  private send(sockets: WebSocket[], message: ViewerMessage | BoardEvent): number {
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
