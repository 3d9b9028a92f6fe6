/**
 * A scripted OpenAI Chat Completions API on 127.0.0.1 for driving the real `opencode` CLI in tests
 * (runner/src/agents/opencode.test.ts, through a provider on `@ai-sdk/openai-compatible`). It
 * answers `POST /v1/chat/completions` with the SSE chunks opencode 1.18 reads (a role delta,
 * content or tool-call argument deltas, a finish reason, a last chunk with usage, `[DONE]`), or
 * with one JSON completion when the request does not stream; answers `GET /v1/models`; and
 * records every request so tests can assert on what the CLI sent. Unknown paths get a 404 and
 * stay in `requests` (opencode.test.ts points opencode's background npm install here, so it
 * never leaves the machine).
 *
 * opencode also asks the model for a session title: a request without `tools`. Those get a fixed
 * title and never consume the script; `turnRequests()` leaves them out. The step to answer is
 * the number of `tool` messages since the last user message: 0 for a fresh prompt, 1 after the
 * first tool ran, and so on.
 */
import type { ServerResponse } from "node:http";
import { idMaker, json, pathOf, pickScripted, type RecordedRequest, startEvents, startMockServer, textOf, writeEvent } from "./server";

/** One scripted answer of the model. */
export type ChatStep =
  /** Ask the CLI to call a tool, e.g. opencode's `write` with `{ filePath, content }`. */
  | { kind: "tool_call"; name: string; arguments: Record<string, unknown> }
  /** A final assistant message. */
  | { kind: "message"; text: string }
  /** An HTTP error with an OpenAI-shaped error body and extra headers (e.g. `retry-after-ms`). */
  | { kind: "http_error"; status: number; message: string; headers?: Record<string, string> }
  /** Send the first chunk and then nothing: the stream hangs until the client goes away. */
  | { kind: "hang" };

/** What the script sees when it picks a step. */
export interface ChatStepContext {
  /** `tool` messages since the last user message: 0 for a fresh prompt. */
  step: number;
  /** Text of the last user message. */
  prompt: string;
  body: ChatBody;
}

export type ChatScript = ChatStep[] | ((ctx: ChatStepContext) => ChatStep);

export interface ChatMessage {
  role?: string;
  content?: unknown;
  tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[];
  tool_call_id?: string;
  [key: string]: unknown;
}

export interface ChatBody {
  model?: string;
  stream?: boolean;
  messages?: ChatMessage[];
  tools?: { type?: string; function?: { name?: string; parameters?: unknown } }[];
  [key: string]: unknown;
}

export type RecordedChatRequest = RecordedRequest<ChatBody>;

export interface ChatMock {
  /** `http://127.0.0.1:PORT/v1`, for a provider's `baseURL`. */
  url: string;
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** Every request received, in order. */
  requests: RecordedChatRequest[];
  /** Agent turns: chat completions that offered tools (title requests left out). */
  turnRequests(): RecordedChatRequest[];
  /** Requests to paths the mock does not serve, as "METHOD /path". */
  unknownPaths(): string[];
  close(): Promise<void>;
}

/** Usage reported on every completion: 100 prompt tokens of which 10 cached, 20 completion tokens. */
export const CHAT_USAGE = { prompt_tokens: 100, cached_tokens: 10, completion_tokens: 20 };
/** What title requests are answered with. */
export const MOCK_TITLE = "Mock session title";

/** Starts the mock on a free port. `model` is what `GET /v1/models` lists. */
export async function startChatMock(script: ChatScript, model = "mock-model"): Promise<ChatMock> {
  const unknown: string[] = [];
  const nextId = idMaker();
  const server = await startMockServer<ChatBody>(({ method, body }, path, res) => {
    if (method === "POST" && path === "/v1/chat/completions" && body) return answer(res, body);
    if (method === "GET" && path === "/v1/models") return json(res, 200, { object: "list", data: [{ id: model, object: "model", owned_by: "mock" }] });
    unknown.push(`${method} ${path}`);
    json(res, 404, { error: { message: `mock: no route ${method} ${path}`, type: "invalid_request_error" } });
  });

  const answer = (res: ServerResponse, body: ChatBody): void => {
    const step: ChatStep = isTurn(body)
      ? pickScripted(script, readChat(body), { kind: "message", text: "mock: empty script" })
      : { kind: "message", text: MOCK_TITLE };
    if (step.kind === "http_error") {
      const type = step.status === 429 ? "rate_limit_error" : step.status >= 500 ? "server_error" : "invalid_request_error";
      json(res, step.status, { error: { message: step.message, type, code: null } }, step.headers);
      return;
    }
    const completion = { id: nextId("chatcmpl"), created: Math.floor(Date.now() / 1000), model: body.model ?? model };
    const usage = {
      prompt_tokens: CHAT_USAGE.prompt_tokens,
      completion_tokens: CHAT_USAGE.completion_tokens,
      total_tokens: CHAT_USAGE.prompt_tokens + CHAT_USAGE.completion_tokens,
      prompt_tokens_details: { cached_tokens: CHAT_USAGE.cached_tokens },
    };
    const call = step.kind === "tool_call" ? { id: nextId("call"), type: "function", name: step.name, args: JSON.stringify(step.arguments) } : null;
    if (!body.stream) {
      const message = call
        ? { role: "assistant", content: null, tool_calls: [{ id: call.id, type: call.type, function: { name: call.name, arguments: call.args } }] }
        : { role: "assistant", content: step.kind === "message" ? step.text : "" };
      const finish = call ? "tool_calls" : "stop";
      json(res, 200, { ...completion, object: "chat.completion", choices: [{ index: 0, message, finish_reason: finish }], usage });
      return;
    }
    startEvents(res);
    const send = (choices: unknown[], extra: Record<string, unknown> = {}) => writeEvent(res, { ...completion, object: "chat.completion.chunk", choices, ...extra });
    const delta = (d: Record<string, unknown>, finish: string | null = null) => send([{ index: 0, delta: d, finish_reason: finish }]);
    if (step.kind === "hang") {
      delta({ role: "assistant", content: "" });
      return; // the socket stays open until the client is killed
    }
    if (call) {
      delta({ role: "assistant", tool_calls: [{ index: 0, id: call.id, type: call.type, function: { name: call.name, arguments: "" } }] });
      // Two pieces, as real streams split arguments.
      const half = Math.floor(call.args.length / 2);
      for (const piece of [call.args.slice(0, half), call.args.slice(half)]) delta({ tool_calls: [{ index: 0, function: { arguments: piece } }] });
      delta({}, "tool_calls");
    } else {
      delta({ role: "assistant", content: "" });
      delta({ content: step.kind === "message" ? step.text : "" });
      delta({}, "stop");
    }
    // `stream_options.include_usage`: a last chunk without choices carries the usage.
    send([], { usage });
    res.end("data: [DONE]\n\n");
  };

  const { origin, requests, close } = server;
  return {
    url: `${origin}/v1`,
    origin,
    requests,
    turnRequests: () => requests.filter((r) => r.method === "POST" && pathOf(r.url) === "/v1/chat/completions" && r.body !== null && isTurn(r.body)),
    unknownPaths: () => [...unknown],
    close,
  };
}

/** An agent turn offers tools; opencode's title request does not. */
function isTurn(body: ChatBody): boolean {
  return Array.isArray(body.tools) && body.tools.length > 0;
}

/** Walks back from the end of `messages` to the last user message, counting tool results after it. */
export function readChat(body: ChatBody): ChatStepContext {
  const messages = body.messages ?? [];
  let step = 0;
  let prompt = "";
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role === "tool") step++;
    if (message?.role === "user") {
      prompt = textOf(message.content);
      break;
    }
  }
  return { step, prompt, body };
}
