/**
 * The small part of the Model Context Protocol a tools-only server needs, over stdio: one
 * JSON-RPC 2.0 message per line in, one per line out (https://modelcontextprotocol.io/specification/2025-06-18/basic/transports#stdio).
 * Handles `initialize`, `notifications/initialized`, `ping`, `tools/list` and `tools/call`;
 * anything else gets "method not found". Bad input never ends the server: unparsable lines get
 * a parse error, invalid requests an invalid-request error, and a tool that throws becomes a
 * tool result with `isError`. Used by mcp-server.ts; the tools are in mcp-tools.ts.
 */
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

/** Protocol revisions this server speaks; it answers a client's own when listed, else the newest. */
export const PROTOCOL_VERSIONS = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"] as const;

/** What a tool call produces: text for the model, and whether it is an error. */
export interface ToolResult {
  text: string;
  isError?: boolean;
}

export interface McpTool {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  inputSchema: Record<string, unknown>;
  call(args: Record<string, unknown>): Promise<ToolResult>;
}

export interface McpServerInfo {
  name: string;
  version: string;
  /** Shown to the model by clients that pass server instructions on. */
  instructions?: string;
}

type Id = string | number;
type Message = { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };

/** JSON-RPC error codes (https://www.jsonrpc.org/specification#error_object). */
export const RpcCode = { parse: -32700, invalidRequest: -32600, methodNotFound: -32601, invalidParams: -32602, internal: -32603 } as const;

/** Longest line accepted; a longer one is answered with a parse error and skipped. */
const MAX_LINE = 4 * 1024 * 1024;

/**
 * Serves `tools` on `input`/`output` until the input ends. Requests are answered as they
 * complete (a slow tool does not hold up a ping); resolves once every answer is written.
 */
export async function serveMcp(info: McpServerInfo, tools: readonly McpTool[], input: Readable, output: Writable): Promise<void> {
  const byName = new Map(tools.map((t) => [t.name, t]));
  const send = (message: Record<string, unknown>): void => {
    output.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
  };
  const reply = (id: Id, result: unknown) => send({ id, result });
  const fail = (id: Id | null, code: number, message: string) => send({ id, error: { code, message } });
  const inFlight = new Set<Promise<void>>();

  const handle = async (id: Id, method: string, params: Record<string, unknown>): Promise<void> => {
    switch (method) {
      case "initialize": {
        const asked = typeof params.protocolVersion === "string" ? params.protocolVersion : "";
        const protocolVersion = (PROTOCOL_VERSIONS as readonly string[]).includes(asked) ? asked : PROTOCOL_VERSIONS[0];
        const { instructions, ...serverInfo } = info;
        return reply(id, { protocolVersion, capabilities: { tools: { listChanged: false } }, serverInfo, ...(instructions ? { instructions } : {}) });
      }
      case "ping":
        return reply(id, {});
      case "tools/list":
        return reply(id, { tools: tools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })) });
      case "tools/call": {
        const tool = typeof params.name === "string" ? byName.get(params.name) : undefined;
        if (!tool) return fail(id, RpcCode.invalidParams, `unknown tool ${JSON.stringify(params.name)}; tools: ${[...byName.keys()].join(", ")}`);
        const args = params.arguments ?? {};
        let result: ToolResult;
        if (typeof args !== "object" || args === null || Array.isArray(args)) {
          result = { text: "the tool's arguments must be a JSON object", isError: true };
        } else {
          try {
            result = await tool.call(args as Record<string, unknown>);
          } catch (err) {
            result = { text: `${tool.name} failed: ${err instanceof Error ? err.message : String(err)}`, isError: true };
          }
        }
        return reply(id, { content: [{ type: "text", text: result.text }], isError: result.isError ?? false });
      }
      default:
        return fail(id, RpcCode.methodNotFound, `method not found: ${method}`);
    }
  };

  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    if (line.length > MAX_LINE) {
      fail(null, RpcCode.parse, `message longer than ${MAX_LINE} bytes`);
      continue;
    }
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      fail(null, RpcCode.parse, "parse error: not JSON");
      continue;
    }
    // Batches were dropped from MCP in 2025-06-18; each entry is still answered on its own.
    for (const m of Array.isArray(message) ? message : [message]) {
      const task = dispatch(m);
      if (!task) continue;
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
    }
  }
  await Promise.all(inFlight);

  function dispatch(m: unknown): Promise<void> | null {
    if (typeof m !== "object" || m === null) {
      fail(null, RpcCode.invalidRequest, "invalid request: not an object");
      return null;
    }
    const { jsonrpc, id, method, params } = m as Message;
    const validId = typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
    // Responses from the client (we never send requests) and notifications need no answer.
    if (method === undefined && ("result" in m || "error" in m)) return null;
    if (jsonrpc !== "2.0" || typeof method !== "string" || (id !== undefined && !validId)) {
      fail(validId ? (id as Id) : null, RpcCode.invalidRequest, "invalid request: expected {jsonrpc: \"2.0\", method, id?, params?}");
      return null;
    }
    if (id === undefined) return null; // a notification: notifications/initialized, cancelled, …
    const p = typeof params === "object" && params !== null && !Array.isArray(params) ? (params as Record<string, unknown>) : {};
    return handle(id as Id, method, p).catch((err: unknown) => fail(id as Id, RpcCode.internal, `internal error: ${err instanceof Error ? err.message : String(err)}`));
  }
}
