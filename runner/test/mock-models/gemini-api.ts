/**
 * A scripted Gemini API (generativelanguage v1beta) on 127.0.0.1 for driving the real `gemini`
 * CLI in tests (runner/src/agents/gemini.test.ts). It answers
 * `POST /v1beta/models/<model>:streamGenerateContent?alt=sse` with the SSE stream the CLI expects
 * (`data: {candidates, usageMetadata}` chunks), `:countTokens` with a fixed count and
 * `:generateContent` (the CLI's side questions) with a plain text answer, and records every
 * request. Unknown paths get a 404 and stay in `requests` (and `unknownRequests()`), so a test can
 * see what the CLI called.
 *
 * The step to answer is the number of `functionResponse` parts the CLI has sent back since the
 * last plain user prompt: 0 for a fresh prompt, 1 after the first tool ran, and so on.
 */
import type { ServerResponse } from "node:http";
import { json, pickScripted, type RecordedRequest as Recorded, startEvents, startMockServer, writeEvent } from "./server";

/** One scripted answer of the model. */
export type MockStep =
  /** Ask the CLI to call a tool, e.g. `write_file` with `{ file_path, content }`, optionally after some text. */
  | { kind: "function_call"; name: string; args: Record<string, unknown>; text?: string }
  /** A final text answer (finishReason STOP). */
  | { kind: "text"; text: string }
  /**
   * An HTTP error with a Google-API-shaped error body (its status from the code: 429
   * RESOURCE_EXHAUSTED, 401 UNAUTHENTICATED, …), with `details` such as a
   * `type.googleapis.com/google.rpc.RetryInfo` `{ retryDelay: "30s" }`.
   */
  | { kind: "http_error"; status: number; message: string; details?: Record<string, unknown>[] }
  /** Send the SSE headers and then nothing: the stream hangs until the client goes away. */
  | { kind: "hang" };

/** A part of a Gemini `Content`. */
export interface Part {
  text?: string;
  functionCall?: { name?: string; args?: unknown; id?: string };
  functionResponse?: { name?: string; response?: unknown; id?: string };
  [key: string]: unknown;
}
export interface Content {
  role?: string;
  parts?: Part[];
}
export interface FunctionDeclaration {
  name?: string;
  description?: string;
  parameters?: unknown;
  parametersJsonSchema?: unknown;
}
export interface GenerateBody {
  contents?: Content[];
  tools?: { functionDeclarations?: FunctionDeclaration[] }[];
  systemInstruction?: unknown;
  generationConfig?: unknown;
  [key: string]: unknown;
}

/** What the script sees when it picks a step. */
export interface StepContext {
  /** `functionResponse` parts since the last plain user prompt: 0 for a fresh prompt. */
  step: number;
  /** Text of the last plain user prompt. */
  prompt: string;
  /** The model named in the path. */
  model: string;
  body: GenerateBody;
}

export type MockScript = MockStep[] | ((ctx: StepContext) => MockStep);

export type RecordedRequest = Recorded<GenerateBody>;

export interface GeminiMock {
  /** `http://127.0.0.1:PORT`, for GOOGLE_GEMINI_BASE_URL. */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  /** `streamGenerateContent` requests that offered tools (the agent's own turns). */
  agentRequests(): RecordedRequest[];
  /** Requests to paths the mock does not know (answered 404). */
  unknownRequests(): RecordedRequest[];
  close(): Promise<void>;
}

/** Token counts every streamed turn reports; tests assert on their sums. */
export const MOCK_USAGE = { promptTokenCount: 100, candidatesTokenCount: 20, totalTokenCount: 120 };

const ROUTE = /^\/v1beta\/models\/([^/:]+):([A-Za-z]+)$/;

/** Starts the mock on a free port. */
export async function startGeminiMock(script: MockScript): Promise<GeminiMock> {
  const unknown: RecordedRequest[] = [];
  let callCounter = 0;
  const server = await startMockServer<GenerateBody>((req, path, res) => {
    const { body } = req;
    const route = ROUTE.exec(path);
    const [model, method] = [route?.[1] ?? "", route?.[2] ?? ""];
    if (req.method === "POST" && body && method === "streamGenerateContent") return stream(res, model, body);
    if (req.method === "POST" && method === "countTokens") return json(res, 200, { totalTokens: MOCK_USAGE.promptTokenCount });
    if (req.method === "POST" && body && method === "generateContent") {
      // Side questions (e.g. "who speaks next"): a short final answer ends them.
      return json(res, 200, { candidates: [candidate([{ text: '{"reasoning":"mock","next_speaker":"user"}' }], "STOP")], usageMetadata: MOCK_USAGE });
    }
    unknown.push(req);
    console.warn(`gemini mock: no route for ${req.method} ${req.url}`);
    json(res, 404, { error: { code: 404, message: `mock: no route ${req.method} ${req.url}`, status: "NOT_FOUND" } });
  });

  const stream = (res: ServerResponse, model: string, body: GenerateBody): void => {
    const turn = pickScripted(script, readConversation(model, body), { kind: "text", text: "mock: empty script" });
    if (turn.kind === "http_error") {
      const status = STATUSES[turn.status] ?? (turn.status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT");
      json(res, turn.status, { error: { code: turn.status, message: turn.message, status, ...(turn.details ? { details: turn.details } : {}) } });
      return;
    }
    startEvents(res);
    if (turn.kind === "hang") {
      res.flushHeaders();
      return; // the socket stays open until the client is killed
    }
    const send = (value: unknown) => writeEvent(res, value, undefined, "\r\n");
    if (turn.text) send({ candidates: [candidate([{ text: turn.text }], null)] });
    const last: Part[] = [];
    if (turn.kind === "function_call") last.push({ functionCall: { name: turn.name, args: turn.args, id: `call_mock${++callCounter}` } });
    send({ candidates: [candidate(last, "STOP")], usageMetadata: MOCK_USAGE, modelVersion: model });
    res.end();
  };

  const { origin: url, requests, close } = server;
  return {
    url,
    requests,
    agentRequests: () =>
      requests.filter((r) => r.url.includes(":streamGenerateContent") && (r.body?.tools ?? []).some((t) => (t.functionDeclarations?.length ?? 0) > 0)),
    unknownRequests: () => [...unknown],
    close,
  };
}

/** Google's canonical status names for the HTTP codes tests use (google.rpc.Code). */
const STATUSES: Record<number, string> = { 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED" };

function candidate(parts: Part[], finishReason: string | null) {
  return { content: { role: "model", parts }, index: 0, ...(finishReason ? { finishReason } : {}) };
}

/** Walks back over `user` contents that carry function responses to the prompt that started them. */
export function readConversation(model: string, body: GenerateBody): StepContext {
  const users = (body.contents ?? []).filter((c) => c.role === "user");
  let step = 0;
  let prompt = "";
  for (let i = users.length - 1; i >= 0; i--) {
    const parts = users[i]?.parts ?? [];
    const responses = parts.filter((p) => p.functionResponse !== undefined).length;
    if (responses > 0) {
      step += responses;
      continue;
    }
    prompt = parts.flatMap((p) => (typeof p.text === "string" ? [p.text] : [])).join("\n");
    break;
  }
  return { step, prompt, model, body };
}

/** The names of the tools the request offered. */
export function toolNames(body: GenerateBody | null): string[] {
  return (body?.tools ?? []).flatMap((t) => (t.functionDeclarations ?? []).flatMap((d) => (d.name ? [d.name] : [])));
}
