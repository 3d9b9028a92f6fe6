/**
 * A WebSocket that stays connected: reconnects after a drop with exponential backoff and jitter
 * (0.5 s doubling to 15 s), pings every 25 s so idle proxies keep it open, and reports its state.
 * The session cookie authenticates the upgrade (same origin). Used by the live board feed and the
 * transcript viewer; each decides what to do on reconnect (refetch, or resume from a cursor).
 */

export type SocketState = "connecting" | "open" | "reconnecting" | "closed";

export interface LiveSocketOptions {
  /** Called before each connection attempt: the URL may carry a resume cursor. */
  url: () => string;
  onMessage: (data: string) => void;
  /** `reconnected` is true after a drop (the consumer may have missed frames). */
  onOpen?: (reconnected: boolean) => void;
  onState?: (state: SocketState) => void;
}

const PING_MS = 25_000;
const MAX_BACKOFF_MS = 15_000;
/** Close codes after which trying again cannot help (protocol error, policy). */
const FATAL = new Set([1002, 1003, 1008]);

export class LiveSocket {
  private ws: WebSocket | null = null;
  private attempts = 0;
  private opened = false;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ping: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly opts: LiveSocketOptions) {
    this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    this.opts.onState?.(this.opened ? "reconnecting" : "connecting");
    const ws = new WebSocket(this.opts.url());
    this.ws = ws;
    ws.onopen = () => {
      const reconnected = this.opened;
      this.opened = true;
      this.attempts = 0;
      this.opts.onState?.("open");
      this.ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send("ping"), PING_MS);
      this.opts.onOpen?.(reconnected);
    };
    ws.onmessage = (e) => {
      if (typeof e.data === "string" && e.data !== "pong") this.opts.onMessage(e.data);
    };
    ws.onclose = (e) => {
      if (this.ping) clearInterval(this.ping);
      this.ws = null;
      if (this.stopped) return;
      if (FATAL.has(e.code)) {
        console.warn(`[socket] closed for good: ${e.code} ${e.reason}`);
        this.opts.onState?.("closed");
        return;
      }
      const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempts++);
      this.opts.onState?.("reconnecting");
      this.timer = setTimeout(() => this.connect(), base / 2 + Math.random() * (base / 2));
    };
  }

  /** Drops the connection now and reconnects at once (tests and "retry" buttons). */
  reconnectNow(): void {
    this.attempts = 0;
    this.ws?.close(4000, "reconnect");
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.ping) clearInterval(this.ping);
    this.ws?.close(1000, "done");
  }
}
