/**
 * The `multica` CLI (runner/bin/multica.js → the runner bundle) against a real control plane
 * (wrangler dev, D1): login saves a 0600 file that later commands use, issues are created, read,
 * updated and commented on by id or key, agents and runs are listed, a run's transcript is
 * printed and followed live while a raw runner plays it, and each failure class has its exit
 * code: 2 usage, 3 auth, 4 not found, 5 network.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlMessage } from "@multica/shared";
import { startControlPlane, type TestControlPlane } from "./helpers/control-plane";
import { RawRunner } from "./helpers/sockets";

const MULTICA = resolve(import.meta.dirname, "../runner/bin/multica.js");
let cp: TestControlPlane;
let home: string;

beforeAll(async () => {
  cp = await startControlPlane();
  home = mkdtempSync(join(tmpdir(), "multica-cli-home-"));
});
afterAll(async () => {
  await cp?.stop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `multica …` with a clean environment (its own HOME), optional stdin. */
function multica(args: string[], opts: { env?: Record<string, string>; input?: string; onStdout?: (text: string) => void } = {}): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [MULTICA, ...args], { env: { PATH: process.env.PATH ?? "", HOME: home, ...opts.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      opts.onStdout?.(stdout);
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(opts.input ?? "");
    child.once("exit", (code) => done({ code, stdout, stderr }));
  });
}

const json = <T>(r: Run): T => JSON.parse(r.stdout) as T;

describe("multica CLI", () => {
  it("logs in (token on stdin), saves the login privately, and says who it is", async () => {
    const bad = await multica(["login", "--url", cp.url], { input: "mca_nottherighttoken\n" });
    expect(bad.code, bad.stderr).toBe(3);
    expect(bad.stderr).toMatch(/HTTP 401 unauthorized/);

    const login = await multica(["login", "--url", cp.url], { input: `${cp.adminToken}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`workspace ${cp.workspaceId}, member token`);
    const file = join(home, ".config", "multica", "cli.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ url: cp.url, token: cp.adminToken, workspaceId: cp.workspaceId });

    const me = await multica(["whoami", "--json"]);
    expect(me.code).toBe(0);
    expect(json(me)).toMatchObject({ kind: "member", workspaceId: cp.workspaceId });
    expect((await multica(["whoami"])).stdout).toMatch(/^member token of usr_\w+ in workspace ws_\w+ at http:\/\/127\.0\.0\.1:\d+\n$/);
  });

  it("creates, lists, reads, comments on and updates issues by id or key", async () => {
    const created = await multica(["issue", "create", "--title", "Flaky login test", "--body", "It fails one run in ten.", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const issue = json<{ issue: { id: string; key: string } }>(created).issue;
    expect(issue.key).toMatch(/^MUL-\d+$/);
    const sub = await multica(["issue", "create", "--title", "Add retries", "--parent", issue.key]);
    expect(sub.code, sub.stderr).toBe(0);
    expect(sub.stdout).toMatch(/^Created MUL-\d+ \(iss_\w+\): Add retries\n$/);

    const list = await multica(["issue", "list"]);
    expect(list.stdout.split("\n")[0]).toMatch(/^KEY\s+STATUS\s+TITLE$/);
    expect(list.stdout).toMatch(new RegExp(`${issue.key}\\s+todo\\s+Flaky login test`));

    const viaStdin = await multica(["issue", "comment", issue.key.toLowerCase(), "-"], { input: "Seen it again on main.\n" });
    expect(viaStdin.code, viaStdin.stderr).toBe(0);
    expect((await multica(["issue", "comment", issue.id, "--body", "Second comment"])).code).toBe(0);
    const got = await multica(["issue", "get", issue.key]);
    expect(got.code).toBe(0);
    expect(got.stdout).toContain(`${issue.key}: Flaky login test`);
    expect(got.stdout).toContain("It fails one run in ten.");
    expect(got.stdout).toContain("Comments (2):");
    expect(got.stdout).toContain("Seen it again on main.");
    expect(json<{ comments: unknown[] }>(await multica(["issue", "get", issue.id, "--json"])).comments).toHaveLength(2);

    // Needs PATCH /issues/:id (the board's issue editing).
    const updated = await multica(["issue", "update", issue.key, "--status", "in_review"]);
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toBe(`Updated ${issue.key}: status in_review\n`);
  });

  it("lists agents and runs, prints a run's transcript, follows it live, and cancels", async () => {
    const runner = await RawRunner.connect(cp.url, await cp.runnerToken());
    await runner.hello("rnr_clitest1", ["command:cli"]);
    const { taskId, issueId } = await cp.api.assignNew(["command:cli"], "Run for the CLI");
    await runner.next((m: ControlMessage) => m.type === "task.assign" && m.taskId === taskId);
    runner.send({ type: "task.started", taskId, attempt: 1 });
    const line = (seq: number, text: string) => ({ seq, ts: Date.now(), event: { kind: "output" as const, stream: "stdout" as const, text } });
    runner.send({ type: "task.events", taskId, attempt: 1, events: [line(1, "first line"), { seq: 2, ts: Date.now(), event: { kind: "tool_call", callId: "c1", name: "Bash", input: '{"cmd":"ls"}' } }] });
    await runner.next((m) => m.type === "ack" && m.taskId === taskId && m.seq === 2);

    const agents = await multica(["agent", "list"]);
    expect(agents.stdout).toMatch(/^ID\s+NAME\s+RUNTIMES\n/);
    expect(agents.stdout).toContain("command:cli");
    const tasks = await multica(["task", "list", issueId, "--json"]);
    expect(json<{ tasks: { id: string; attempt: number }[] }>(tasks).tasks).toEqual(expect.arrayContaining([expect.objectContaining({ id: taskId, attempt: 1 })]));

    const logs = await multica(["task", "logs", taskId]);
    expect(logs.stdout).toBe('[1] first line\n[1] → Bash {"cmd":"ls"}\n');

    // Follow: the stored lines, then live ones, until the run ends.
    let sawFirst: () => void = () => {};
    const ready = new Promise<void>((r) => (sawFirst = r));
    const follow = multica(["task", "logs", taskId, "--follow"], { onStdout: (text) => text.includes("first line") && sawFirst() });
    await ready;
    runner.send({ type: "task.events", taskId, attempt: 1, events: [line(3, "live line")] });
    await runner.next((m) => m.type === "ack" && m.taskId === taskId && m.seq === 3);
    runner.send({ type: "task.report", taskId, attempt: 1, status: "succeeded", lastSeq: 3, exit: { exitCode: 0, signal: null, error: null, durationMs: 5 }, sessionId: null, usage: null, failure: null } as never);
    const followed = await follow;
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stdout).toBe('[1] first line\n[1] → Bash {"cmd":"ls"}\n[1] live line\n— task succeeded\n');

    // Cancel a queued run (no runner has its runtime).
    const queued = await cp.api.assignNew(["command:nobody"], "Never runs");
    const cancel = await multica(["task", "cancel", queued.taskId]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect((await cp.api.task(queued.taskId)).body.task.status).toBe("cancelled");
    runner.close();
  });

  it("uses flags and variables over the saved login, and maps failures to exit codes", async () => {
    const env = { MULTICA_URL: cp.url, MULTICA_TOKEN: cp.adminToken };
    expect((await multica(["whoami"], { env: { HOME: mkdtempSync(join(tmpdir(), "multica-cli-empty-")), ...env } })).code).toBe(0);
    const notLoggedIn = await multica(["issue", "list", "--json"], { env: { HOME: mkdtempSync(join(tmpdir(), "multica-cli-empty-")) } });
    expect(notLoggedIn.code).toBe(3);
    expect(json<{ error: { code: string; exitCode: number } }>(notLoggedIn).error).toMatchObject({ code: "not_logged_in", exitCode: 3 });

    expect((await multica(["issue", "get", "MUL-9999"])).code).toBe(4);
    expect((await multica(["issue", "get", "iss_doesnotexist00000"])).code).toBe(4);
    expect((await multica(["task", "logs", "tsk_doesnotexist00000"])).code).toBe(4);
    expect((await multica(["whoami", "--token", "mca_wrong"])).code).toBe(3);
    const down = await multica(["whoami", "--url", "http://127.0.0.1:9"]);
    expect(down.code).toBe(5);
    expect(down.stderr).toMatch(/cannot reach the control plane/);

    expect((await multica([])).code).toBe(2);
    expect((await multica(["issue", "frobnicate"])).code).toBe(2);
    expect((await multica(["issue", "get"])).code).toBe(2);
    expect((await multica(["issue", "list", "--nope"])).code).toBe(2);
    expect((await multica(["issue", "update", "MUL-1", "--status", "shipped"])).code).toBe(2);
    expect((await multica(["issue", "create", "--body", "no title"])).code).toBe(2);
    const help = await multica(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Exit codes:");
  });
});
