/**
 * The Multica MCP server in a real run: a real control plane, a real runner process, the real
 * Claude Code CLI (a dev dependency) and a scripted Anthropic-compatible model on 127.0.0.1. The
 * model calls `mcp__multica__post_comment`; Claude Code starts `multica-runner mcp` from the
 * attempt's --mcp-config, which posts the comment with the attempt's agent token. The comment
 * is on the issue, the run's own result comment too, and the attempt's config file (it holds the
 * token) is gone once the run ended.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAnthropicMock, type AnthropicMock } from "../runner/test/mock-models/anthropic";
import { startControlPlane, waitFor, type TestControlPlane } from "./helpers/control-plane";
import { startRunner, type RunnerProcess } from "./helpers/runner-process";

const BIN = resolve(import.meta.dirname, "../node_modules/.bin");
const COMMENT = "Progress: I found the cause, a missing null check. Fixing it now.";
let cp: TestControlPlane;
let model: AnthropicMock;
let runner: RunnerProcess;

beforeAll(async () => {
  if (!existsSync(join(BIN, "claude"))) throw new Error("the real claude CLI is missing: run npm install");
  // Step 0: call the MCP tool; step 1: answer with what the tool said.
  model = await startAnthropicMock(({ step, body }) => {
    if (step === 0) return { kind: "tool_use", name: "mcp__multica__post_comment", input: { body: COMMENT } };
    const last = JSON.stringify(body.messages?.at(-1) ?? null);
    return { kind: "text", text: `Done. The tool said: ${last.slice(0, 500)}` };
  });
  cp = await startControlPlane();
  runner = startRunner({
    url: cp.url, token: await cp.runnerToken(), name: "e2e-mcp", commands: {},
    env: {
      PATH: `${BIN}:${process.env.PATH}`,
      ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: "x", CLAUDE_CODE_MAX_RETRIES: "0",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1", DISABLE_AUTOUPDATER: "1", DISABLE_TELEMETRY: "1", DISABLE_ERROR_REPORTING: "1",
    },
  });
  await runner.waitForLog(/welcome/, 30_000);
});

afterAll(async () => {
  runner?.signal("SIGKILL");
  await runner?.exited;
  await cp?.stop();
  await model?.close();
});

it("lets Claude Code comment on its issue through the multica MCP server", async () => {
  const { taskId, issueId } = await cp.api.assignNew(["claude"], "Fix the crash on login");
  const task = await waitFor(async () => {
    const t = (await cp.api.task(taskId, "?limit=5000")).body;
    return ["succeeded", "failed", "cancelled", "lost"].includes(t.task.status) ? t : null;
  }, 90_000, "the claude task to finish");
  const events = task.transcript.events.map((e) => e.event as { kind: string; name?: string; output?: string; isError?: boolean; text?: string });
  expect(task.task, JSON.stringify(events.slice(-6))).toMatchObject({ status: "succeeded" });
  expect(events.some((e) => e.kind === "status" && e.text?.startsWith("multica MCP server attached"))).toBe(true);

  // Claude Code offered the model the server's tools and ran the one it asked for.
  const tools = (model.agentRequests()[0]?.body?.tools ?? []).map((t) => t.name);
  expect(tools).toEqual(expect.arrayContaining(["mcp__multica__get_issue", "mcp__multica__post_comment", "mcp__multica__set_status", "mcp__multica__create_sub_issue", "mcp__multica__search_skills"]));
  const call = events.find((e) => e.kind === "tool_call" && e.name === "mcp__multica__post_comment");
  expect(call).toBeDefined();
  const result = events.find((e) => e.kind === "tool_result");
  // Needs agent tokens to be allowed to comment on their own issue (workspace routes).
  expect(result, `the tool answered: ${result?.output}`).toMatchObject({ isError: false, output: expect.stringContaining("Posted comment") });

  // The agent's own comment is tied to its run; once the run's end reached D1 (the issue is in
  // review), no result comment was added: the agent already said its piece.
  const issue = await waitFor(async () => {
    const r = (await cp.api.get<{ issue: { status: string }; comments: { body: string; author: string; taskId: string | null }[] }>(`/issues/${issueId}`)).body;
    return r.issue.status === "in_review" ? r : null;
  }, 10_000, "the run's end mirrored to D1");
  expect(issue.comments.filter((c) => c.taskId === taskId)).toEqual([expect.objectContaining({ body: COMMENT, author: expect.stringMatching(/^agent:agt_/) })]);
  // The attempt's MCP config (it holds the token) is gone with the run.
  expect(readdirSync(join(runner.dataDir, "attempts"))).toEqual([]);
});

