/**
 * A scripted OpenAI Responses API on 127.0.0.1 for driving the real `codex` CLI in tests
 * (runner/src/agents/codex.test.ts). It answers `POST /v1/responses` with the SSE stream Codex
 * 0.169 expects (response.created, response.output_item.added, output_text / function-call
 * argument deltas, response.output_item.done, response.completed with usage), answers
 * `GET /v1/models` with the pinned model, and records every request so tests can assert on what
 * the CLI sent. Unknown paths get a 404 and stay in `requests`, so a test can see what was called.
 *
 * The step to answer is the number of `function_call_output` items the CLI has sent back since
 * the last user message: 0 for a fresh prompt, 1 after the first tool ran, and so on.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One scripted answer of the model. */
export type MockStep =
  /** Ask the CLI to call a function tool, e.g. `shell_command` with `{ command: "…" }`. */
  | { kind: "function_call"; name: string; arguments: Record<string, unknown> }
  /** A final assistant message. */
  | { kind: "message"; text: string }
  /**
   * An HTTP error with an OpenAI-shaped error body; `error` adds fields to it (e.g. `code:
   * "rate_limit_exceeded"`, or ChatGPT's `type: "usage_limit_reached"` with `resets_at` in epoch
   * seconds), `headers` to the response (e.g. `retry-after`, `x-ratelimit-reset-requests`).
   */
  | { kind: "http_error"; status: number; message: string; error?: Record<string, unknown>; headers?: Record<string, string> }
  /** Start the stream, then fail it with `response.failed` (how the API reports e.g. `rate_limit_exceeded` mid-stream). */
  | { kind: "response_failed"; code: string; message: string }
  /** Send response.created and then nothing: the stream hangs until the client goes away. */
  | { kind: "hang" };

/** What the script sees when it picks a step. */
export interface StepContext {
  /** `function_call_output` items since the last user message: 0 for a fresh prompt. */
  step: number;
  /** Text of the last user message. */
  prompt: string;
  body: ResponsesBody;
}

export type MockScript = MockStep[] | ((ctx: StepContext) => MockStep);

/** An item of the request's `input` (messages, function calls and their outputs). */
export interface InputItem {
  type?: string;
  role?: string;
  content?: unknown;
  name?: string;
  call_id?: string;
  output?: unknown;
  [key: string]: unknown;
}

export interface ResponsesBody {
  model?: string;
  stream?: boolean;
  input?: InputItem[];
  tools?: { type?: string; name?: string; parameters?: unknown }[];
  [key: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  /** The parsed JSON body, or null when there was none or it was not JSON. */
  body: ResponsesBody | null;
}

export interface ResponsesMock {
  /** `http://127.0.0.1:PORT/v1`, for a model provider's `base_url`. */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Requests to `POST /v1/responses` (the agent's turns). */
  turnRequests(): RecordedRequest[];
  /** Requests to paths the mock does not serve, as "METHOD /path". */
  unknownPaths(): string[];
  close(): Promise<void>;
}

/** Usage reported on every completed response; Codex sums it up per thread. */
export const MOCK_USAGE = { input_tokens: 100, cached_input: 10, output_tokens: 20 };

/** Starts the mock on a free port. `model` is what `GET /v1/models` lists. */
export async function startResponsesMock(script: MockScript, model = "gpt-5-codex"): Promise<ResponsesMock> {
  const requests: RecordedRequest[] = [];
  const unknown: string[] = [];
  let idCounter = 0;
  const nextId = (prefix: string) => `${prefix}_mock${String(++idCounter).padStart(6, "0")}`;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let body: ResponsesBody | null = null;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as ResponsesBody;
      } catch {
        body = null;
      }
      requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const path = (req.url ?? "").split("?")[0];
      if (req.method === "POST" && path === "/v1/responses" && body) return answer(res, body);
      if (req.method === "GET" && path === "/v1/models") return json(res, 200, { object: "list", data: [{ id: model, object: "model", owned_by: "mock" }] });
      unknown.push(`${req.method} ${path}`);
      json(res, 404, { error: { message: `mock: no route ${req.method} ${path}`, type: "invalid_request_error" } });
    });
  });

  const answer = (res: ServerResponse, body: ResponsesBody): void => {
    const step = pickStep(script, body);
    if (step.kind === "http_error") {
      const error = { message: step.message, type: step.status >= 500 ? "server_error" : "invalid_request_error", code: null, ...step.error };
      json(res, step.status, { error }, step.headers);
      return;
    }
    const responseId = nextId("resp");
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "x-request-id": nextId("req") });
    const send = (data: Record<string, unknown> & { type: string }) => res.write(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
    const response = { id: responseId, object: "response", created_at: Math.floor(Date.now() / 1000), model: body.model ?? model, output: [] };
    send({ type: "response.created", response: { ...response, status: "in_progress" } });
    if (step.kind === "hang") return; // the socket stays open until the client is killed
    if (step.kind === "response_failed") {
      send({ type: "response.failed", response: { ...response, status: "failed", error: { code: step.code, message: step.message } } });
      res.end();
      return;
    }

    let item: Record<string, unknown>;
    if (step.kind === "function_call") {
      const args = JSON.stringify(step.arguments);
      const base = { type: "function_call", id: nextId("fc"), call_id: nextId("call"), name: step.name };
      send({ type: "response.output_item.added", output_index: 0, item: { ...base, arguments: "", status: "in_progress" } });
      // Two pieces, as real streams split arguments.
      const half = Math.floor(args.length / 2);
      for (const delta of [args.slice(0, half), args.slice(half)]) {
        send({ type: "response.function_call_arguments.delta", item_id: base.id, output_index: 0, delta });
      }
      send({ type: "response.function_call_arguments.done", item_id: base.id, output_index: 0, arguments: args });
      item = { ...base, arguments: args, status: "completed" };
    } else {
      const base = { type: "message", id: nextId("msg"), role: "assistant" };
      send({ type: "response.output_item.added", output_index: 0, item: { ...base, status: "in_progress", content: [] } });
      send({ type: "response.content_part.added", item_id: base.id, output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } });
      send({ type: "response.output_text.delta", item_id: base.id, output_index: 0, content_index: 0, delta: step.text });
      send({ type: "response.output_text.done", item_id: base.id, output_index: 0, content_index: 0, text: step.text });
      item = { ...base, status: "completed", content: [{ type: "output_text", text: step.text, annotations: [] }] };
    }
    send({ type: "response.output_item.done", output_index: 0, item });
    const { input_tokens, cached_input, output_tokens } = MOCK_USAGE;
    const usage = {
      input_tokens,
      input_tokens_details: { cached_tokens: cached_input },
      output_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input_tokens + output_tokens,
    };
    send({ type: "response.completed", response: { ...response, status: "completed", output: [item], usage } });
    res.end();
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    turnRequests: () => requests.filter((r) => r.method === "POST" && r.url.split("?")[0] === "/v1/responses"),
    unknownPaths: () => [...unknown],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The step for this request: scripted by step, the last step repeating once the script runs out. */
function pickStep(script: MockScript, body: ResponsesBody): MockStep {
  const ctx = readConversation(body);
  if (typeof script === "function") return script(ctx);
  return script[Math.min(ctx.step, script.length - 1)] ?? { kind: "message", text: "mock: empty script" };
}

/** Walks back from the end of `input` to the last user message, counting function outputs after it. */
export function readConversation(body: ResponsesBody): StepContext {
  const input = body.input ?? [];
  let step = 0;
  let prompt = "";
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i];
    if (item?.type === "function_call_output" || item?.type === "custom_tool_call_output") step++;
    if (item?.role === "user" && (item.type === "message" || item.type === undefined)) {
      prompt = textOf(item.content);
      break;
    }
  }
  return { step, prompt, body };
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.flatMap((part: { text?: unknown }) => (typeof part?.text === "string" ? [part.text] : [])).join("\n");
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, "content-type": "application/json" });
  res.end(JSON.stringify(value));
}
