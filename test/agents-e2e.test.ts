/**
 * End to end with a real agent CLI: a real control plane, a real runner process that detects the
 * real `claude` binary (a dev dependency), and a scripted Anthropic-compatible model on 127.0.0.1.
 * Assign → Claude Code writes a file with its Write tool and answers → the transcript holds the
 * normalized events and the attempt carries the session id and token usage. A comment on the
 * issue then resumes that session in the same work dir.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startAnthropicMock, type AnthropicMock } from "../runner/test/mock-models/anthropic";
import { startResponsesMock, type ResponsesMock } from "../runner/test/mock-models/openai-responses";
import { startControlPlane, waitFor, type TestControlPlane } from "./helpers/control-plane";
import { startRunner, type RunnerProcess } from "./helpers/runner-process";

const BIN = resolve(import.meta.dirname, "../node_modules/.bin");
let cp: TestControlPlane;
let model: AnthropicMock;
let openai: ResponsesMock;
let runner: RunnerProcess;

beforeAll(async () => {
  if (!existsSync(join(BIN, "claude"))) throw new Error("the real claude CLI is missing: run npm install");
  // The model asks for hello.txt in the attempt's work directory (named in the environment block
  // Claude Code sends), then answers.
  model = await startAnthropicMock(({ step, body, prompt }) => {
    const escaped = runner.dataDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const text = JSON.stringify(body);
    const cwd = new RegExp(`${escaped}/work/tasks/[a-z0-9-]+/[a-z0-9-]+`).exec(text)?.[0];
    // A follow-up comment asks for a second file: one more Write, on top of the resumed conversation.
    const followUp = prompt.includes("add a second file");
    const file = followUp ? { file_path: `${cwd}/second.txt`, content: "a second file\n" } : { file_path: `${cwd}/hello.txt`, content: "hello from multica\n" };
    if (step === 0 && cwd) return { kind: "tool_use", name: "Write", input: file };
    if (step === 0) return { kind: "text", text: "I could not find my working directory." };
    return { kind: "text", text: followUp ? "Added second.txt." : "Created hello.txt." };
  });
  // Codex: run one shell command that writes hello.txt in its working directory, then answer.
  openai = await startResponsesMock(({ step }) =>
    step === 0 ? { kind: "function_call", name: "exec_command", arguments: { cmd: "printf 'hello from codex\\n' > hello.txt" } } : { kind: "message", text: "Wrote hello.txt." },
  "gpt-5.5");
  cp = await startControlPlane();
  runner = startRunner({
    url: cp.url, token: await cp.runnerToken(), name: "e2e-agents", commands: {},
    agents: {
      // Codex ignores OPENAI_BASE_URL: point it at the mock with a model provider (SETUP-NOTES).
      codex: {
        model: "gpt-5.5",
        extraArgs: [
          "model_provider=mock", "model_providers.mock.name=Mock", `model_providers.mock.base_url=${openai.url}`,
          "model_providers.mock.env_key=MOCK_API_KEY", "model_providers.mock.wire_api=responses",
          "model_providers.mock.request_max_retries=0", "model_providers.mock.stream_max_retries=0",
          "check_for_update_on_startup=false", "analytics.enabled=false", "features.plugins=false",
        ].flatMap((o) => ["-c", o]),
      },
    },
    env: {
      PATH: `${BIN}:${process.env.PATH}`,
      ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: "x", CLAUDE_CODE_MAX_RETRIES: "0", MOCK_API_KEY: "x",
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
  await openai?.close();
});

it("runs an issue through Claude Code: tool call, file written, answer, session and usage; a comment resumes the session", async () => {
  expect(runner.log()).toMatch(/runtimes: .*claude \d/);
  const { taskId, issueId } = await cp.api.assignNew(["claude"], "Create hello.txt");
  const task = await waitFor(async () => {
    const t = (await cp.api.task(taskId, "?limit=5000")).body;
    return ["succeeded", "failed", "cancelled", "lost"].includes(t.task.status) ? t : null;
  }, 60_000, "the claude task to finish");
  const kinds = task.transcript.events.map((e) => e.event.kind);
  expect(task.task, JSON.stringify(task.transcript.events.slice(-5))).toMatchObject({ status: "succeeded", exitCode: 0, runtime: "claude" });
  expect(kinds).toEqual(expect.arrayContaining(["session", "tool_call", "tool_result", "message", "usage", "result"]));
  expect(kinds.indexOf("tool_call")).toBeLessThan(kinds.indexOf("tool_result"));
  const result = task.transcript.events.find((e) => e.event.kind === "result")!.event as unknown as { isError: boolean; summary: string };
  expect(result).toMatchObject({ isError: false, summary: "Created hello.txt." });

  const attempt = task.attempts[0] as unknown as { sessionId: string | null; usage: { inputTokens: number; outputTokens: number } | null };
  expect(attempt.sessionId).toMatch(/^[0-9a-f-]{36}$/);
  expect(attempt.usage?.outputTokens).toBeGreaterThan(0);
  const workDir = join(runner.dataDir, "work", "tasks", "agent", (await issueKey(issueId)).toLowerCase());
  expect(readFileSync(join(workDir, "hello.txt"), "utf8")).toBe("hello from multica\n");
  // The prompt the control plane built reached the model, and the issue is in CLAUDE.md for it.
  expect(JSON.stringify(model.agentRequests()[0]?.body)).toContain("Create hello.txt");
  expect(readFileSync(join(workDir, "CLAUDE.md"), "utf8")).toContain("Create hello.txt");

  // A member comments: the follow-up resumes the same Claude session in the same work dir.
  const before = model.agentRequests().length;
  const posted = await cp.api.post<{ task: { taskId: string } }>(`/issues/${issueId}/comments`, { body: "Thanks! Please add a second file." });
  expect(posted.status).toBe(201);
  const followTask = posted.body.task.taskId;
  const follow = await waitFor(async () => {
    const t = (await cp.api.task(followTask, "?limit=5000")).body;
    return ["succeeded", "failed", "cancelled", "lost"].includes(t.task.status) ? t : null;
  }, 60_000, "the follow-up to finish");
  expect(follow.task, JSON.stringify(follow.transcript.events.slice(-5))).toMatchObject({ status: "succeeded" });
  expect((follow.attempts[0] as unknown as { sessionId: string }).sessionId).toBe(attempt.sessionId);
  expect(readFileSync(join(workDir, "second.txt"), "utf8")).toBe("a second file\n");
  // Resumed, not restarted: the model saw the first run's Write call before the new comment.
  const resumed = JSON.stringify(model.agentRequests()[before]?.body);
  expect(resumed).toContain("hello from multica");
  expect(resumed).toContain("add a second file");
  expect(readFileSync(join(workDir, "CLAUDE.md"), "utf8")).toContain("Please add a second file.");
});

async function issueKey(issueId: string): Promise<string> {
  return (await cp.api.get<{ issue: { key: string } }>(`/issues/${issueId}`)).body.issue.key;
}

it("runs an issue through Codex: shell command, file written, answer, thread id and usage recorded", async () => {
  expect(runner.log()).toMatch(/runtimes: .*codex \d/);
  const { taskId, issueId } = await cp.api.assignNew(["codex"], "Create hello.txt with codex");
  const task = await waitFor(async () => {
    const t = (await cp.api.task(taskId, "?limit=5000")).body;
    return ["succeeded", "failed", "cancelled", "lost"].includes(t.task.status) ? t : null;
  }, 60_000, "the codex task to finish");
  expect(task.task, JSON.stringify(task.transcript.events.slice(-5))).toMatchObject({ status: "succeeded", runtime: "codex" });
  const kinds = task.transcript.events.map((e) => e.event.kind);
  expect(kinds).toEqual(expect.arrayContaining(["session", "tool_call", "tool_result", "message", "usage", "result"]));
  const attempt = task.attempts[0] as unknown as { sessionId: string | null; usage: { inputTokens: number } | null };
  expect(attempt.sessionId).toBeTruthy();
  expect(attempt.usage?.inputTokens).toBeGreaterThan(0);
  const workDir = join(runner.dataDir, "work", "tasks", "agent", (await issueKey(issueId)).toLowerCase());
  expect(readFileSync(join(workDir, "hello.txt"), "utf8")).toBe("hello from codex\n");
  expect(readFileSync(join(workDir, "AGENTS.md"), "utf8")).toContain("Create hello.txt with codex");
  expect(JSON.stringify(openai.requests.map((r) => r.body))).toContain("Create hello.txt with codex");
});

it("runs in a git worktree of the agent's repository, on branch multica/<agent>/<issue-key>, leaving the user's files alone", async () => {
  // A user's repository with its own AGENTS.md, and an ignored .env listed in .worktreeinclude.
  const source = mkdtempSync(join(tmpdir(), "multica-e2e-repo-"));
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", ...args], { cwd: source, encoding: "utf8" });
  git("init", "-q");
  writeFileSync(join(source, "AGENTS.md"), "# House rules\nUse tabs.\n");
  writeFileSync(join(source, ".gitignore"), ".env\n");
  writeFileSync(join(source, ".worktreeinclude"), ".env\n");
  writeFileSync(join(source, ".env"), "SECRET=1\n");
  git("add", "-A");
  git("commit", "-qm", "init");
  const agent = await cp.api.post<{ agent: { id: string } }>("/agents", { name: "Repo Bot", runtimes: ["codex"], repository: { source, baseRef: null } });
  const issue = await cp.api.post<{ issue: { id: string; key: string } }>("/issues", { title: "Create hello.txt in the repo" });
  const assigned = await cp.api.post<{ task: { taskId: string } }>(`/issues/${issue.body.issue.id}/assign`, { agentId: agent.body.agent.id });
  const task = await waitFor(async () => {
    const t = (await cp.api.task(assigned.body.task.taskId, "?limit=5000")).body;
    return ["succeeded", "failed", "cancelled", "lost"].includes(t.task.status) ? t : null;
  }, 60_000, "the codex task in a worktree to finish");
  expect(task.task, JSON.stringify(task.transcript.events.slice(-5))).toMatchObject({ status: "succeeded" });

  const key = issue.body.issue.key.toLowerCase();
  const dir = join(runner.dataDir, "work", "worktrees", "repo-bot", key);
  const inWorktree = (...args: string[]) => execFileSync("git", args, { cwd: dir, encoding: "utf8" });
  expect(inWorktree("rev-parse", "--abbrev-ref", "HEAD").trim()).toBe(`multica/repo-bot/${key}`);
  expect(readFileSync(join(dir, "hello.txt"), "utf8")).toBe("hello from codex\n");
  expect(readFileSync(join(dir, ".env"), "utf8")).toBe("SECRET=1\n");
  // The user's AGENTS.md is untouched; codex reads the issue from AGENTS.override.md, which git does not see.
  expect(readFileSync(join(dir, "AGENTS.md"), "utf8")).toBe("# House rules\nUse tabs.\n");
  expect(readFileSync(join(dir, "AGENTS.override.md"), "utf8")).toMatch(/Use tabs\.[\s\S]*Create hello.txt in the repo/);
  expect(inWorktree("status", "--porcelain").trim()).toBe("?? hello.txt");
  // The source repository saw nothing: no new files, no new branches.
  expect(git("status", "--porcelain").trim()).toBe("");
  expect(git("branch", "--list").trim()).toBe("* main");
  // Progress of the checkout is part of the transcript.
  expect(task.transcript.events.some((e) => e.event.kind === "status" && /worktree/i.test(e.event.text ?? ""))).toBe(true);
  rmSync(source, { recursive: true, force: true });
});
