/**
 * A tiny control plane for runner tests: a real WebSocket server on 127.0.0.1 that checks the
 * bearer token, answers pings, records every runner frame (validated with the shared schemas),
 * and can welcome, assign, ack and drop as a test script says.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type ControlMessage,
  type ControlWelcome,
  PING_FRAME,
  PONG_FRAME,
  parseRunnerMessage,
  type RunnerMessage,
} from "@multica/shared";
import { WebSocket, WebSocketServer } from "ws";

export interface FakeOptions {
  token?: string;
  /** Send `welcome` right after `hello` (default true). */
  autoWelcome?: boolean;
  /** Ack every `task.events` and `task.report` (default true). */
  autoAck?: boolean;
  welcome?: Partial<ControlWelcome>;
}

export class FakeControlPlane {
  readonly received: RunnerMessage[] = [];
  readonly invalid: string[] = [];
  connections = 0;
  autoAck: boolean;
  /** Answer text pings (set false to play a silent, half-dead peer). */
  answerPings = true;
  /** Merged into every `welcome` sent from now on. */
  welcome: Partial<ControlWelcome>;
  private socket: WebSocket | null = null;
  private waiters: { test: () => boolean; resolve: () => void }[] = [];

  private constructor(
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    private readonly options: FakeOptions,
  ) {
    this.autoAck = options.autoAck ?? true;
    this.welcome = options.welcome ?? {};
  }

  static async start(options: FakeOptions = {}): Promise<FakeControlPlane> {
    const http = createServer((_req, res) => res.writeHead(404).end());
    const wss = new WebSocketServer({ noServer: true });
    const fake = new FakeControlPlane(http, wss, options);
    http.on("upgrade", (req, socket, head) => {
      if (req.url !== "/api/v1/runner/connect" || req.headers.authorization !== `Bearer ${options.token ?? "tok"}`) {
        const body = JSON.stringify({ error: { code: "unauthorized", message: "invalid token" } });
        socket.end(`HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => fake.accept(ws));
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  /** Sends a frame to the connected runner. */
  send(msg: ControlMessage): void {
    this.socket?.send(JSON.stringify(msg));
  }

  sendRaw(text: string): void {
    this.socket?.send(text);
  }

  /** Closes the runner's socket with a code, or cuts it without a close frame. */
  drop(code?: number, reason = ""): void {
    if (code === undefined) this.socket?.terminate();
    else this.socket?.close(code, reason);
  }

  of<T extends RunnerMessage["type"]>(type: T): Extract<RunnerMessage, { type: T }>[] {
    return this.received.filter((m): m is Extract<RunnerMessage, { type: T }> => m.type === type);
  }

  /** Resolves once `test` holds (checked on every frame), or rejects after `timeoutMs`. */
  waitFor(test: () => boolean, timeoutMs = 4000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { test, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out; received: ${this.received.map((m) => m.type).join(", ")}`));
      }, timeoutMs).unref();
    });
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    this.connections++;
    this.socket = ws;
    ws.on("message", (data) => {
      const text = data.toString();
      if (text === PING_FRAME) {
        if (this.answerPings) ws.send(PONG_FRAME);
        return;
      }
      const msg = parseRunnerMessage(text);
      if (!msg) {
        this.invalid.push(text);
        return;
      }
      this.received.push(msg);
      this.react(ws, msg);
      for (const w of [...this.waiters]) {
        if (w.test()) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve();
        }
      }
    });
  }

  private react(ws: WebSocket, msg: RunnerMessage): void {
    if (msg.type === "hello" && (this.options.autoWelcome ?? true)) {
      const welcome: ControlWelcome = {
        type: "welcome",
        protocol: 1,
        workspaceId: "ws_test0001",
        leaseMs: 30_000,
        heartbeatMs: 200,
        revoked: [],
        ...this.welcome,
      };
      ws.send(JSON.stringify(welcome));
    }
    if (!this.autoAck) return;
    if (msg.type === "task.events") {
      const seq = msg.events.at(-1)?.seq ?? 0;
      ws.send(JSON.stringify({ type: "ack", taskId: msg.taskId, attempt: msg.attempt, seq }));
    }
    if (msg.type === "task.report") {
      ws.send(JSON.stringify({ type: "report.ack", taskId: msg.taskId, attempt: msg.attempt }));
    }
  }
}
