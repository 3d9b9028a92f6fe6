/**
 * Real WebSocket clients for tests and benchmarks: a viewer that collects a task's stream, and a
 * raw runner that speaks the protocol frame by frame (for races and bad input the real runner
 * would never send).
 */
import WebSocket from "ws";
import type { ControlMessage, RunnerMessage, ViewerMessage } from "@multica/shared";
import { BoardMessage } from "@multica/shared";
import { parseControlMessage, parseViewerMessage, PROTOCOL_VERSION } from "@multica/shared";

export interface Closed {
  code: number;
  reason: string;
}

abstract class Client<In> {
  readonly received: In[] = [];
  readonly closed: Promise<Closed>;
  private waiters: { pred: (m: In) => boolean; resolve: (m: In) => void }[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const m = this.parse(data.toString());
      if (!m) return;
      this.received.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
    this.closed = new Promise((resolve) => ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  protected abstract parse(raw: string): In | null;

  /** Resolves with the first message (already received or future) matching `pred`. */
  next(pred: (m: In) => boolean, timeoutMs = 15_000): Promise<In> {
    const have = this.received.find(pred);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }

  close(): void {
    this.ws.close();
  }
}

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once("open", () => resolve(ws));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    ws.once("error", reject);
  });
}

export class Viewer extends Client<ViewerMessage> {
  static async connect(baseUrl: string, workspaceId: string, token: string, taskId: string, query = ""): Promise<Viewer> {
    const url = `${baseUrl.replace(/^http/, "ws")}/api/v1/workspaces/${workspaceId}/tasks/${taskId}/stream?token=${token}${query}`;
    return new Viewer(await open(url));
  }

  protected parse(raw: string) {
    return parseViewerMessage(raw);
  }

  /** Output texts of `task.event` frames received so far, in arrival order. */
  texts(): string[] {
    return this.received.flatMap((m) => (m.type === "task.event" && "text" in m.event ? [m.event.text] : []));
  }
}

export class RawRunner extends Client<ControlMessage> {
  static async connect(baseUrl: string, token: string): Promise<RawRunner> {
    return new RawRunner(await open(`${baseUrl.replace(/^http/, "ws")}/api/v1/runner/connect`, { authorization: `Bearer ${token}` }));
  }

  protected parse(raw: string) {
    return parseControlMessage(raw);
  }

  send(m: RunnerMessage | string): void {
    this.ws.send(typeof m === "string" ? m : JSON.stringify(m));
  }

  /** Sends hello and waits for welcome. */
  async hello(runnerId: string, runtimes: string[], concurrency = 1, active: { taskId: string; attempt: number }[] = []) {
    this.send({ type: "hello", protocol: PROTOCOL_VERSION, runnerId, name: runnerId, version: "test", concurrency, runtimes: runtimes.map((key) => ({ key, version: null })), active });
    return this.next((m) => m.type === "welcome");
  }
}

/** A board subscribed to a workspace's live feed (`/workspaces/:ws/live`). */
export class Board extends Client<BoardMessage> {
  static async connect(baseUrl: string, workspaceId: string, token: string): Promise<Board> {
    return new Board(await open(`${baseUrl.replace(/^http/, "ws")}/api/v1/workspaces/${workspaceId}/live?token=${encodeURIComponent(token)}`));
  }

  protected parse(raw: string) {
    const r = BoardMessage.safeParse(JSON.parse(raw));
    return r.success ? r.data : null;
  }
}
