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
import type { ServerResponse } from "node:http";
import { idMaker, json, pathOf, pickScripted, type RecordedRequest as Recorded, startEvents, startMockServer, textOf, writeEvent } from "./server";

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

export type RecordedRequest = Recorded<ResponsesBody>;

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
  const unknown: string[] = [];
  const nextId = idMaker();
  const server = await startMockServer<ResponsesBody>(({ method, body }, path, res) => {
    if (method === "POST" && path === "/v1/responses" && body) return answer(res, body);
    if (method === "GET" && path === "/v1/models") return json(res, 200, { object: "list", data: [{ id: model, object: "model", owned_by: "mock" }] });
    unknown.push(`${method} ${path}`);
    json(res, 404, { error: { message: `mock: no route ${method} ${path}`, type: "invalid_request_error" } });
  });

  const answer = (res: ServerResponse, body: ResponsesBody): void => {
    const step = pickScripted(script, readConversation(body), { kind: "message", text: "mock: empty script" });
    if (step.kind === "http_error") {
      const error = { message: step.message, type: step.status >= 500 ? "server_error" : "invalid_request_error", code: null, ...step.error };
      json(res, step.status, { error }, step.headers);
      return;
    }
    const responseId = nextId("resp");
    startEvents(res, { "x-request-id": nextId("req") });
    const send = (data: Record<string, unknown> & { type: string }) => writeEvent(res, data, data.type);
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

  const { origin, requests, close } = server;
  return {
    url: `${origin}/v1`,
    requests,
    turnRequests: () => requests.filter((r) => r.method === "POST" && pathOf(r.url) === "/v1/responses"),
    unknownPaths: () => [...unknown],
    close,
  };
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
