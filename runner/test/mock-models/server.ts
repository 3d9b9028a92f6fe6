/**
 * The HTTP plumbing the scripted model mocks in this folder share (anthropic.ts,
 * openai-responses.ts, openai-chat.ts, gemini-api.ts): a server on a free port of 127.0.0.1 that
 * reads each request's JSON body, records the request and hands it to the mock's router; JSON and
 * SSE answers; picking a scripted step; ids. Each mock keeps its own routes and wire format.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as a mock received it. */
export interface RecordedRequest<Body> {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  /** The parsed JSON body, or null when there was none or it was not JSON. */
  body: Body | null;
}

/** Answers one recorded request; `path` is its URL without the query. */
export type Router<Body> = (req: RecordedRequest<Body>, path: string, res: ServerResponse) => void;

export interface MockServer<Body> {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** Every request received, in order. */
  requests: RecordedRequest<Body>[];
  /** Stops the server, dropping open connections (a hanging stream among them). */
  close(): Promise<void>;
}

/** Starts a server on a free port of 127.0.0.1 that records every request, then lets `route` answer it. */
export async function startMockServer<Body>(route: Router<Body>): Promise<MockServer<Body>> {
  const requests: RecordedRequest<Body>[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const recorded: RecordedRequest<Body> = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: parseJson<Body>(Buffer.concat(chunks)) };
      requests.push(recorded);
      route(recorded, pathOf(recorded.url), res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function parseJson<Body>(raw: Buffer): Body | null {
  try {
    return JSON.parse(raw.toString("utf8")) as Body;
  } catch {
    return null;
  }
}

/** A URL without its query string. */
export function pathOf(url: string): string {
  return url.split("?")[0] ?? "";
}

/** Answers with `value` as JSON, plus any extra `headers`. */
export function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, "content-type": "application/json" });
  res.end(JSON.stringify(value));
}

/** Starts a 200 server-sent events answer, plus any extra `headers` (e.g. a request id). */
export function startEvents(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...headers });
}

/** Writes one server-sent event with `data` as JSON, named `event` when given; lines end with `eol`. */
export function writeEvent(res: ServerResponse, data: unknown, event?: string, eol = "\n"): void {
  res.write(`${event === undefined ? "" : `event: ${event}${eol}`}data: ${JSON.stringify(data)}${eol}${eol}`);
}

/**
 * The scripted answer for a request: what a script function picks, else the entry for the
 * request's step, the last entry repeating once the script runs out, and `empty` for an empty one.
 */
export function pickScripted<Step, Ctx extends { step: number }>(script: Step[] | ((ctx: Ctx) => Step), ctx: Ctx, empty: Step): Step {
  if (typeof script === "function") return script(ctx);
  return script[Math.min(ctx.step, script.length - 1)] ?? empty;
}

/** Makes ids like `msg_mock000001`, one counter for every prefix. */
export function idMaker(): (prefix: string) => string {
  let counter = 0;
  return (prefix) => `${prefix}_mock${String(++counter).padStart(6, "0")}`;
}

/** The text of an OpenAI-style message content: a string, or the `text` of each part. */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.flatMap((part: { text?: unknown }) => (typeof part?.text === "string" ? [part.text] : [])).join("\n");
}
