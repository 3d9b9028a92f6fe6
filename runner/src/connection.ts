/**
 * The runner's one outbound WebSocket to the control plane (`<url>/api/v1/runner/connect`).
 * It says `hello`, waits for `welcome`, then passes every valid frame to runner.ts. It keeps the
 * link alive with text pings, and reconnects after any drop with backoff and jitter — except
 * when the control plane refused this runner for good (bad token, unsupported protocol,
 * replaced), which ends the connection and, through `onFatal`, the runner (exit code 3).
 */
import {
  ApiErrorBody,
  CloseCode,
  type ControlMessage,
  type ControlWelcome,
  ControlMessage as ControlMessageSchema,
  MAX_FRAME_BYTES,
  MAX_RECONNECT_DELAY_MS,
  PING_FRAME,
  PONG_FRAME,
  parseFrame,
  type RunnerHello,
  type RunnerMessage,
  UNRECOVERABLE_CLOSE_CODES,
} from "@multica/shared";
import WebSocket from "ws";
import { Backoff } from "./backoff";
import type { Logger } from "./log";

export interface ConnectionOptions {
  url: URL;
  token: string;
  log: Logger;
  /** Builds the hello frame at each connect (its `active` list changes). */
  hello: () => Promise<RunnerHello>;
  onWelcome: (welcome: ControlWelcome) => void;
  /** Every valid frame after the welcome. */
  onMessage: (msg: ControlMessage) => void;
  /** The socket is gone (a reconnect may follow). */
  onDown: () => void;
  /** The control plane refused this runner for good; the connection will not retry. */
  onFatal: (reason: string) => void;
  pingIntervalMs?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** A connection that stayed up this long after its welcome resets the backoff. */
  healthyAfterMs?: number;
}

/** Control `error` codes that mean our stream is out of step; a reconnect resends and repairs it. */
const RESYNC_ERRORS = new Set(["seq_gap", "report_before_events"]);

/** The WebSocket endpoint for a control plane base URL: http → ws, https → wss. */
export function connectUrl(base: URL): URL {
  const url = new URL(base);
  url.protocol = url.protocol === "https:" || url.protocol === "wss:" ? "wss:" : "ws:";
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/api/v1/runner/connect`;
  return url;
}

export class Connection {
  private ws: WebSocket | null = null;
  private welcomed = false;
  private stopped = false;
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | null = null;
  private closedWaiters: (() => void)[] = [];

  constructor(private readonly o: ConnectionOptions) {
    this.backoff = new Backoff(o.backoffBaseMs ?? 500, o.backoffCapMs ?? MAX_RECONNECT_DELAY_MS);
  }

  /** True between welcome and the socket going down: only then do frames other than hello go out. */
  get ready(): boolean {
    return this.welcomed && this.ws?.readyState === WebSocket.OPEN;
  }

  start(): void {
    this.connect();
  }

  /** Sends a frame if the connection is ready; false otherwise (the caller keeps it for later). */
  send(msg: RunnerMessage): boolean {
    if (!this.ready || !this.ws) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** Stops reconnecting and closes the socket with `code`; resolves once it is closed. */
  close(code: number = CloseCode.normal, reason = "runner stopping"): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.closedWaiters.push(resolve));
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else ws.close(code, reason);
    // A peer that never answers the close handshake must not hold the exit.
    setTimeout(() => ws.terminate(), 2000).unref();
    return closed;
  }

  private connect(): void {
    const endpoint = connectUrl(this.o.url);
    const ws = new WebSocket(endpoint, {
      headers: { Authorization: `Bearer ${this.o.token}` },
      handshakeTimeout: 15_000,
      maxPayload: MAX_FRAME_BYTES,
    });
    this.ws = ws;
    const pingMs = this.o.pingIntervalMs ?? 15_000;
    let lastHeard = Date.now();
    let welcomedAt = 0;
    let httpFailure: { status: number; message: string } | null = null;
    let lastError = "";
    let pinger: NodeJS.Timeout | null = null;

    ws.on("unexpected-response", (_req, res) => {
      // The upgrade was answered with plain HTTP; keep its status and error message, then give up on it.
      const status = res.statusCode ?? 0;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        if (body.length < 4096) body += chunk;
      });
      const finish = () => {
        httpFailure = { status, message: errorMessage(body) };
        ws.terminate();
      };
      res.on("end", finish);
      setTimeout(finish, 2000).unref();
    });
    ws.on("open", () => {
      this.o.log.info(`connected to ${endpoint.origin}; saying hello`);
      this.o.hello().then(
        (hello) => ws.readyState === ws.OPEN && ws.send(JSON.stringify(hello)),
        (err: unknown) => {
          this.o.log.error(`could not build hello: ${err instanceof Error ? err.message : String(err)}`);
          ws.terminate();
        },
      );
      pinger = setInterval(() => {
        if (Date.now() - lastHeard > 2 * pingMs) {
          this.o.log.warn(`nothing heard from the control plane for ${Math.round((Date.now() - lastHeard) / 1000)}s; reconnecting`);
          ws.terminate();
          return;
        }
        ws.send(PING_FRAME);
      }, pingMs);
    });
    ws.on("message", (data, isBinary) => {
      lastHeard = Date.now();
      const raw = isBinary ? new ArrayBuffer(0) : data.toString();
      if (raw === PONG_FRAME) return;
      const parsed = parseFrame(ControlMessageSchema, raw);
      if (!parsed.ok) {
        this.o.log.warn(`ignoring a frame from the control plane: ${parsed.reason}`);
        return;
      }
      const msg = parsed.value;
      if (msg.type === "welcome") {
        this.welcomed = true;
        welcomedAt = Date.now();
        this.o.onWelcome(msg);
        return;
      }
      if (msg.type === "error" && RESYNC_ERRORS.has(msg.code)) {
        this.o.log.warn(`control plane: ${msg.code}: ${msg.message}; reconnecting to resend`);
        ws.close(CloseCode.normal, "resync");
        setTimeout(() => ws.terminate(), 2000).unref();
        return;
      }
      this.o.onMessage(msg);
    });
    ws.on("error", (err) => {
      lastError = err.message;
    });
    ws.on("close", (code, reasonBuf) => {
      if (pinger) clearInterval(pinger);
      const wasWelcomed = this.welcomed;
      this.welcomed = false;
      this.ws = null;
      if (wasWelcomed) this.o.onDown();
      for (const resolve of this.closedWaiters.splice(0)) resolve();
      if (this.stopped) return;
      const reason = reasonBuf.toString();
      const fatal = classifyFatal(code, reason, httpFailure);
      if (fatal) {
        this.stopped = true;
        this.o.onFatal(fatal);
        return;
      }
      if (welcomedAt > 0 && Date.now() - welcomedAt >= (this.o.healthyAfterMs ?? 30_000)) this.backoff.reset();
      const delay = this.backoff.next();
      const why = httpFailure
        ? `HTTP ${httpFailure.status}${httpFailure.message ? `: ${httpFailure.message}` : ""}`
        : code === 1006 && lastError
          ? lastError
          : `close ${code}${reason ? ` ${reason}` : ""}`;
      this.o.log.warn(`${wasWelcomed ? "disconnected" : "could not connect"} (${why}); reconnecting in ${(delay / 1000).toFixed(1)}s`);
      this.retryTimer = setTimeout(() => this.connect(), delay);
    });
  }
}

/** A one-line reason when the control plane refused this runner for good; null when retrying may help. */
export function classifyFatal(code: number, reason: string, http: { status: number; message: string } | null): string | null {
  const detail = (text: string) => (text ? ` (${text})` : "");
  if (http && (http.status === 401 || http.status === 403)) {
    return `the control plane rejected the token (HTTP ${http.status})${detail(http.message)}: check --token / MULTICA_TOKEN; it must be a valid, unrevoked runner token of the workspace`;
  }
  if (http || !UNRECOVERABLE_CLOSE_CODES.includes(code)) return null;
  if (code === CloseCode.unauthorized) {
    return `the control plane rejected the token (close ${code})${detail(reason)}: check --token / MULTICA_TOKEN`;
  }
  if (code === CloseCode.unsupportedVersion) {
    return `the control plane does not support this runner's protocol version (close ${code})${detail(reason)}: upgrade multica-runner`;
  }
  return `another runner connected with this runner's id (close ${code})${detail(reason)}: two processes share one data directory; give each its own --name or --data-dir`;
}

/** The `error.message` of an API error body, else the start of the body. */
function errorMessage(body: string): string {
  try {
    const parsed = ApiErrorBody.safeParse(JSON.parse(body));
    if (parsed.success) return parsed.data.error.message.slice(0, 200);
  } catch {
    // not JSON: fall through
  }
  return body.trim().split("\n")[0]?.slice(0, 200) ?? "";
}
