/**
 * A scripted Anthropic Messages API on 127.0.0.1 for driving the real `claude` CLI in tests
 * (runner/src/agents/claude.test.ts). It answers `POST /v1/messages` with the SSE stream Claude
 * Code expects (message_start, content_block_start/delta/stop, message_delta with usage,
 * message_stop) and records every request so tests can assert on what the CLI sent.
 *
 * The turn to answer is picked from the conversation: the step is the number of tool results the
 * CLI has sent back since the last plain user prompt. The last `user` message is what counts; the
 * CLI sends its environment block as a `system` message after it.
 */
import type { ServerResponse } from "node:http";
import { idMaker, json, pathOf, pickScripted, type RecordedRequest as Recorded, startEvents, startMockServer, writeEvent } from "./server";

/** One scripted answer of the model. */
export type MockTurn =
  /** Ask the CLI to run a tool (e.g. `Write` with `{ file_path, content }`), optionally after some text. */
  | { kind: "tool_use"; name: string; input: Record<string, unknown>; text?: string }
  /** A final text answer (stop_reason end_turn). */
  | { kind: "text"; text: string }
  /**
   * An HTTP error with an Anthropic-shaped error body (its type from the status: 429
   * rate_limit_error, 401 authentication_error, …) and extra response headers, e.g. `retry-after`,
   * `anthropic-ratelimit-unified-status` / `-reset` (epoch seconds) for a subscription's usage limit.
   */
  | { kind: "http_error"; status: number; message: string; headers?: Record<string, string> }
  /** Send message_start and then nothing: the stream hangs until the client goes away. */
  | { kind: "hang" };

/** What the script sees when it picks a turn. */
export interface TurnContext {
  /** Tool results sent back since the last plain user prompt: 0 for a fresh prompt. */
  step: number;
  /** Text of the last plain user prompt (what the user asked). */
  prompt: string;
  body: MessagesBody;
}

export type MockScript = MockTurn[] | ((ctx: TurnContext) => MockTurn);

export type RecordedRequest = Recorded<MessagesBody>;

interface ContentBlock {
  type?: string;
  text?: string;
  content?: unknown;
  [key: string]: unknown;
}
interface Message {
  role?: string;
  content?: string | ContentBlock[];
}
export interface MessagesBody {
  model?: string;
  stream?: boolean;
  messages?: Message[];
  tools?: { name?: string }[];
  [key: string]: unknown;
}

export interface AnthropicMock {
  /** `http://127.0.0.1:PORT`, for ANTHROPIC_BASE_URL. */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** Requests to `POST /v1/messages` that carried the tool list (the agent's own turns). */
  agentRequests(): RecordedRequest[];
  close(): Promise<void>;
}

/** Starts the mock on a free port. */
export async function startAnthropicMock(script: MockScript): Promise<AnthropicMock> {
  const nextId = idMaker();
  const server = await startMockServer<MessagesBody>(({ method, body }, path, res) => {
    if (method === "POST" && path === "/v1/messages" && body) return answer(res, body);
    if (method === "POST" && path === "/v1/messages/count_tokens") return json(res, 200, { input_tokens: 100 });
    json(res, 404, { type: "error", error: { type: "not_found_error", message: `mock: no route ${method} ${path}` } });
  });

  const answer = (res: ServerResponse, body: MessagesBody): void => {
    const turn = pickScripted(script, readConversation(body), { kind: "text", text: "mock: empty script" });
    if (turn.kind === "http_error") {
      json(res, turn.status, { type: "error", error: { type: ERROR_TYPES[turn.status] ?? "api_error", message: turn.message } }, turn.headers);
      return;
    }
    startEvents(res, { "request-id": nextId("req") });
    const send = (event: string, data: unknown) => writeEvent(res, data, event);
    send("message_start", {
      type: "message_start",
      message: {
        id: nextId("msg"),
        type: "message",
        role: "assistant",
        model: body.model ?? "claude-mock",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 100, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    });
    if (turn.kind === "hang") return; // the socket stays open until the client is killed
    let index = 0;
    const text = turn.text;
    if (text) {
      send("content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } });
      send("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text } });
      send("content_block_stop", { type: "content_block_stop", index });
      index++;
    }
    if (turn.kind === "tool_use") {
      const block = { type: "tool_use", id: nextId("toolu"), name: turn.name, input: {} };
      send("content_block_start", { type: "content_block_start", index, content_block: block });
      const input = JSON.stringify(turn.input);
      // Two pieces, as real streams split tool input.
      const half = Math.floor(input.length / 2);
      for (const part of [input.slice(0, half), input.slice(half)]) {
        send("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: part } });
      }
      send("content_block_stop", { type: "content_block_stop", index });
    }
    const stopReason = turn.kind === "tool_use" ? "tool_use" : "end_turn";
    send("message_delta", { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 20 } });
    send("message_stop", { type: "message_stop" });
    res.end();
  };

  const { origin: url, requests, close } = server;
  return {
    url,
    requests,
    agentRequests: () => requests.filter((r) => r.method === "POST" && pathOf(r.url) === "/v1/messages" && (r.body?.tools?.length ?? 0) > 0),
    close,
  };
}

/** Walks back from the last `user` message over tool-result turns to the prompt that started them. */
export function readConversation(body: MessagesBody): TurnContext {
  const users = (body.messages ?? []).filter((m) => m.role === "user");
  let step = 0;
  let prompt = "";
  for (let i = users.length - 1; i >= 0; i--) {
    const content = users[i]?.content;
    const blocks = typeof content === "string" ? [{ type: "text", text: content }] : (content ?? []);
    const results = blocks.filter((b) => b.type === "tool_result").length;
    if (results > 0) {
      step += results;
      continue;
    }
    prompt = blocks.flatMap((b) => (b.type === "text" && typeof b.text === "string" ? [b.text] : [])).join("\n");
    break;
  }
  return { step, prompt, body };
}

/** The Anthropic API's error type for each status (https://docs.anthropic.com/en/api/errors). */
const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  429: "rate_limit_error",
  529: "overloaded_error",
};
