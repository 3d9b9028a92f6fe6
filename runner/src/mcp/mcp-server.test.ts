/**
 * The Multica MCP server as agent CLIs run it: the real bundle (`node runner/dist/cli.js mcp`,
 * built by `npm run build`) spoken to over stdio, against a small HTTP server playing the
 * workspace API. Covers the handshake, the tool list, every tool, API errors, bad arguments and
 * bad input, and the workspace looked up with /whoami when not given.
 */
import { existsSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { McpProcess, RUNNER_CLI } from "../../test/mcp-client";

const TOKEN = "mat_testtoken";

interface Call {
  method: string;
  path: string;
  auth: string | undefined;
  body: unknown;
}

let api: Server;
let apiUrl: string;
const calls: Call[] = [];
/** Set by a test to make the next answer an error. */
let failNext: { status: number; code: string; message: string } | null = null;

async function readBody(req: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of req) text += chunk.toString();
  return text ? JSON.parse(text) : null;
}

beforeAll(async () => {
  if (!existsSync(RUNNER_CLI)) throw new Error("runner/dist/cli.js is missing: run `npm run build`");
  api = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const call: Call = { method: req.method ?? "", path: url.pathname + url.search, auth: req.headers.authorization, body: await readBody(req) };
    calls.push(call);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (call.auth !== `Bearer ${TOKEN}`) return send(401, { error: { code: "unauthorized", message: "invalid or revoked token" } });
    if (failNext) {
      const f = failNext;
      failNext = null;
      return send(f.status, { error: { code: f.code, message: f.message } });
    }
    const issue = { id: "iss_mcp00001", key: "MUL-1", title: "Fix the bug", body: "It crashes.", status: "in_progress" };
    const route = `${call.method} ${url.pathname}`;
    if (route === "GET /api/v1/whoami") return send(200, { workspaceId: "ws_mcp00001", kind: "agent", userId: "usr_1", tokenId: "tok_1" });
    if (route === "GET /api/v1/workspaces/ws_mcp00001/issues/iss_mcp00001") {
      return send(200, { issue, comments: [{ id: "cmt_1", author: "user:usr_1", body: "Please hurry.", createdAt: 1 }], tasks: [] });
    }
    if (route === "POST /api/v1/workspaces/ws_mcp00001/issues/iss_mcp00001/comments") return send(201, { comment: { id: "cmt_2", author: "agent:agt_1", body: (call.body as { body: string }).body, createdAt: 2 } });
    if (route === "PATCH /api/v1/workspaces/ws_mcp00001/issues/iss_mcp00001") return send(200, { issue: { ...issue, ...(call.body as object) } });
    if (route === "POST /api/v1/workspaces/ws_mcp00001/issues") return send(201, { issue: { ...issue, id: "iss_mcp00002", key: "MUL-2", status: "todo", ...(call.body as object) } });
    if (route === "GET /api/v1/workspaces/ws_mcp00001/skills") {
      return send(200, { skills: url.searchParams.get("q") === "review" ? [{ name: "review-pr", description: "Review a pull request" }] : [] });
    }
    send(404, { error: { code: "not_found", message: `no route for ${route}` } });
  });
  await new Promise<void>((r) => api.listen(0, "127.0.0.1", r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => api?.close(r));
});

const env = (extra: Record<string, string> = {}) => ({ MULTICA_URL: apiUrl, MULTICA_AGENT_TOKEN: TOKEN, MULTICA_ISSUE_ID: "iss_mcp00001", ...extra });

describe("multica-runner mcp", () => {
  it("does the handshake, lists its tools and answers pings", async () => {
    const mcp = new McpProcess(env({ MULTICA_WORKSPACE_ID: "ws_mcp00001" }));
    const init = await mcp.request("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "test", version: "1" } });
    expect(init).toMatchObject({ jsonrpc: "2.0", result: { protocolVersion: "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "multica" } } });
    mcp.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
    expect(await mcp.request("ping")).toMatchObject({ result: {} });
    const list = (await mcp.request("tools/list")) as { result: { tools: { name: string; inputSchema: { type: string; required?: string[] } }[] } };
    expect(list.result.tools.map((t) => t.name)).toEqual(["get_issue", "post_comment", "set_status", "create_sub_issue", "search_skills"]);
    for (const t of list.result.tools) expect(t.inputSchema.type).toBe("object");
    expect(list.result.tools.find((t) => t.name === "post_comment")?.inputSchema.required).toEqual(["body"]);
    // An unknown protocol revision gets the newest this server speaks.
    expect(await mcp.request("initialize", { protocolVersion: "1999-01-01" })).toMatchObject({ result: { protocolVersion: "2025-11-25" } });
    expect(await mcp.close()).toBe(0);
  });

  it("calls the workspace API for each tool with the agent token", async () => {
    const mcp = new McpProcess(env({ MULTICA_WORKSPACE_ID: "ws_mcp00001" }));
    await mcp.request("initialize", { protocolVersion: "2025-06-18" });
    calls.length = 0;
    const issue = await mcp.call("get_issue", {});
    expect(issue.isError).toBe(false);
    expect(JSON.parse(issue.text)).toMatchObject({ issue: { key: "MUL-1", title: "Fix the bug" }, comments: [{ body: "Please hurry." }] });
    expect(await mcp.call("post_comment", { body: "Found it: a null check." })).toEqual({ text: "Posted comment cmt_2.", isError: false });
    expect(await mcp.call("set_status", { status: "in_review" })).toEqual({ text: "MUL-1 is now in_review.", isError: false });
    expect(await mcp.call("create_sub_issue", { title: "Add a regression test", body: "For the crash." })).toMatchObject({ text: expect.stringContaining("Created MUL-2"), isError: false });
    expect(await mcp.call("search_skills", { query: "review" })).toEqual({ text: "- review-pr: Review a pull request", isError: false });
    expect(await mcp.call("search_skills", { query: "nothing" })).toEqual({ text: 'No skill matches "nothing".', isError: false });
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      "GET /api/v1/workspaces/ws_mcp00001/issues/iss_mcp00001",
      "POST /api/v1/workspaces/ws_mcp00001/issues/iss_mcp00001/comments",
      "PATCH /api/v1/workspaces/ws_mcp00001/issues/iss_mcp00001",
      "POST /api/v1/workspaces/ws_mcp00001/issues",
      "GET /api/v1/workspaces/ws_mcp00001/skills?q=review",
      "GET /api/v1/workspaces/ws_mcp00001/skills?q=nothing",
    ]);
    expect(calls.every((c) => c.auth === `Bearer ${TOKEN}`)).toBe(true);
    expect(calls[1]?.body).toEqual({ body: "Found it: a null check." });
    expect(calls[2]?.body).toEqual({ status: "in_review" });
    expect(calls[3]?.body).toEqual({ title: "Add a regression test", body: "For the crash.", parentId: "iss_mcp00001" });
    await mcp.close();
  });

  it("looks the workspace up with /whoami when MULTICA_WORKSPACE_ID is not set, once", async () => {
    const mcp = new McpProcess(env());
    calls.length = 0;
    expect((await mcp.call("get_issue", {})).isError).toBe(false);
    expect((await mcp.call("post_comment", { body: "hi" })).isError).toBe(false);
    expect(calls.map((c) => c.path).filter((p) => p === "/api/v1/whoami")).toHaveLength(1);
    await mcp.close();
  });

  it("turns API failures into tool errors with the HTTP status and message", async () => {
    const mcp = new McpProcess(env({ MULTICA_WORKSPACE_ID: "ws_mcp00001" }));
    failNext = { status: 403, code: "forbidden", message: "agent tokens only reach their own issue while their run lives" };
    expect(await mcp.call("post_comment", { body: "x" })).toEqual({
      text: "post_comment failed: HTTP 403 forbidden: POST /api/v1/workspaces/ws_mcp00001/issues/iss_mcp00001/comments: agent tokens only reach their own issue while their run lives",
      isError: true,
    });
    const revoked = new McpProcess(env({ MULTICA_WORKSPACE_ID: "ws_mcp00001", MULTICA_AGENT_TOKEN: "mat_revoked" }));
    expect(await revoked.call("get_issue", {})).toMatchObject({ text: expect.stringContaining("HTTP 401 unauthorized"), isError: true });
    const down = new McpProcess(env({ MULTICA_WORKSPACE_ID: "ws_mcp00001", MULTICA_URL: "http://127.0.0.1:9" }));
    expect(await down.call("get_issue", {})).toMatchObject({ text: expect.stringContaining("cannot reach the control plane"), isError: true });
    await Promise.all([mcp.close(), revoked.close(), down.close()]);
  });

  it("answers bad arguments and bad input with clear errors and keeps serving", async () => {
    const mcp = new McpProcess(env({ MULTICA_WORKSPACE_ID: "ws_mcp00001" }));
    calls.length = 0;
    expect(await mcp.call("set_status", { status: "shipped" })).toMatchObject({ text: expect.stringMatching(/^invalid arguments for set_status: status: /), isError: true });
    expect(await mcp.call("post_comment", {})).toMatchObject({ text: expect.stringContaining("invalid arguments for post_comment: body"), isError: true });
    expect(await mcp.call("post_comment", { body: "   " })).toMatchObject({ text: expect.stringContaining("must not be empty"), isError: true });
    expect(await mcp.call("post_comment", { body: "ok", extra: 1 })).toMatchObject({ isError: true });
    expect(await mcp.call("get_issue", "not an object")).toMatchObject({ text: "the tool's arguments must be a JSON object", isError: true });
    expect(calls).toEqual([]);
    expect(await mcp.request("tools/call", { name: "delete_everything", arguments: {} })).toMatchObject({ error: { code: -32602, message: expect.stringContaining("unknown tool") } });
    expect(await mcp.request("resources/list")).toMatchObject({ error: { code: -32601 } });
    mcp.send("this is not json");
    expect(await mcp.next((m) => m.id === null && (m.error as { code: number }).code === -32700)).toBeTruthy();
    mcp.send(JSON.stringify({ id: 99, method: "ping" }));
    expect(await mcp.next((m) => m.id === 99)).toMatchObject({ error: { code: -32600 } });
    mcp.send(JSON.stringify([1, 2]));
    expect(await mcp.next((m) => m.id === null && (m.error as { code: number }).code === -32600)).toBeTruthy();
    // Still alive.
    expect(await mcp.request("ping")).toMatchObject({ result: {} });
    expect(await mcp.close()).toBe(0);
  });

  it("refuses to start without its environment", async () => {
    const mcp = new McpProcess({ MULTICA_URL: apiUrl });
    expect(await mcp.close()).toBe(2);
    expect(mcp.stderr).toMatch(/MULTICA_AGENT_TOKEN, MULTICA_ISSUE_ID must be set/);
  });
});
