// Runs real child processes (runner/test/fixtures) through the command adapter.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AgentEvent } from "@multica/shared";
import { afterEach, describe, expect, it } from "vitest";
import type { CommandRuntimeConfig } from "../config";
import type { AgentOutcome, RunningAgent } from "./adapter";
import { CommandAdapter, findExecutable } from "./command";
import { isProcessAlive } from "./process-tree";

const FIXTURES = join(import.meta.dirname, "../../test/fixtures");
const dirs: string[] = [];

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function adapter(script: string, args: string[], extra: Partial<CommandRuntimeConfig> = {}, graceMs = 300) {
  return new CommandAdapter(
    { name: "t", command: process.execPath, args: [join(FIXTURES, script), ...args], env: {}, timeoutSeconds: null, ...extra },
    { baseEnv: { PATH: process.env.PATH ?? "", MULTICA_TOKEN: "never" }, cancelGraceMs: graceMs },
  );
}

function start(a: CommandAdapter, prompt = "do it"): RunningAgent {
  const workDir = mkdtempSync(join(tmpdir(), "multica-cmd-"));
  dirs.push(workDir);
  return a.start({
    taskId: "tsk_abcd1234",
    attempt: 2,
    prompt,
    issue: { id: "iss_abcd1234", title: "Fix it", body: "" },
    agent: { id: "agt_abcd1234", name: "a", instructions: "" },
    workDir,
  });
}

async function collect(run: RunningAgent, onEvent?: (e: AgentEvent) => void): Promise<[AgentEvent[], AgentOutcome]> {
  const events: AgentEvent[] = [];
  for await (const e of run.events) {
    events.push(e);
    onEvent?.(e);
  }
  return [events, await run.outcome];
}

const texts = (events: AgentEvent[], stream: "stdout" | "stderr") =>
  events.flatMap((e) => (e.kind === "output" && e.stream === stream ? [e.text] : []));

describe("command adapter", () => {
  it("streams every line in order between started and exited, and succeeds on exit 0", async () => {
    const [events, outcome] = await collect(start(adapter("lines.mjs", ["30", "1", "0"])));
    expect(events[0]).toMatchObject({ kind: "lifecycle", phase: "started" });
    expect(events.at(-1)).toEqual({ kind: "lifecycle", phase: "exited", detail: "exit code 0" });
    expect(texts(events, "stdout")).toEqual(Array.from({ length: 30 }, (_, i) => `line ${i + 1}`));
    expect(texts(events, "stderr")).toEqual(Array.from({ length: 10 }, (_, i) => `err ${(i + 1) * 3}`));
    expect(outcome).toMatchObject({ status: "succeeded", exit: { exitCode: 0, signal: null, error: null } });
  });

  it("pauses a process whose events are not being read instead of buffering its output", async () => {
    const run = start(adapter("lines.mjs", ["100000", "0", "0"]));
    const settled = await Promise.race([run.outcome.then(() => "exited"), new Promise((r) => setTimeout(() => r("blocked"), 500))]);
    expect(settled).toBe("blocked"); // ~1.3 MB of output cannot all fit in the pipe and a 1,024-event buffer
    const [events, outcome] = await collect(run);
    expect(texts(events, "stdout")).toHaveLength(100_000);
    expect(outcome.status).toBe("succeeded");
  });

  it("fails with the exit code on a non-zero exit", async () => {
    const [events, outcome] = await collect(start(adapter("lines.mjs", ["1", "0", "7"])));
    expect(events.at(-1)).toEqual({ kind: "lifecycle", phase: "exited", detail: "exit code 7" });
    expect(outcome).toMatchObject({ status: "failed", exit: { exitCode: 7, signal: null, error: null } });
  });

  it("substitutes {prompt}, sets the MULTICA_* variables and the work dir, and hides the token", async () => {
    const run = start(adapter("echo-input.mjs", ["--p={prompt}", "{prompt}"], { env: { EXTRA: "1" } }), "say 'hi' $HOME");
    const [events] = await collect(run);
    const line = texts(events, "stdout")[0] ?? "";
    const seen = JSON.parse(line) as { argv: string[]; env: Record<string, string>; cwd: string };
    expect(seen.argv).toEqual(["--p=say 'hi' $HOME", "say 'hi' $HOME"]);
    expect(seen.env).toMatchObject({ MULTICA_PROMPT: "say 'hi' $HOME", MULTICA_TASK_ID: "tsk_abcd1234", MULTICA_ATTEMPT: "2", MULTICA_ISSUE_TITLE: "Fix it", EXTRA: "1" });
    expect(seen.env.MULTICA_WORKDIR).toBe(seen.cwd);
    expect(seen.env.MULTICA_SKILLS_DIR).toBe(join(seen.cwd, ".multica", "skills"));
    expect(seen.env.PWD).toBe(seen.cwd);
    expect(seen.env.MULTICA_TOKEN).toBe("never"); // baseEnv is passed as given: config.ts strips the real token
  });

  it("splits a line longer than MAX_EVENT_TEXT into several events", async () => {
    const [events] = await collect(start(adapter("long-line.mjs", ["40000"])));
    const out = texts(events, "stdout");
    expect(out.map((t) => t.length)).toEqual([16384, 16384, 40000 - 2 * 16384]);
  });

  it("fails with a clear error when the command does not exist", async () => {
    const a = new CommandAdapter(
      { name: "missing", command: "no-such-command-xyz", args: [], env: {}, timeoutSeconds: null },
      { baseEnv: { PATH: "/nonexistent" }, cancelGraceMs: 100 },
    );
    expect(await a.detect()).toBeNull();
    const [events, outcome] = await collect(start(a));
    expect(events).toEqual([{ kind: "error", message: expect.stringContaining("could not start") }]);
    expect(outcome).toMatchObject({ status: "failed", exit: { exitCode: null, error: expect.stringContaining("ENOENT") } });
  });

  it("idle watchdog: output keeps it alive; silence past the limit stops it, saying which watchdog fired", async () => {
    // 8 lines 300 ms apart outlive a 1 s idle limit because each line resets it.
    const busy = await collect(start(adapter("lines.mjs", ["8", "300", "0"], { idleTimeoutSeconds: 1 })));
    expect(busy[1]).toMatchObject({ status: "succeeded", failure: null });
    const t0 = Date.now();
    const [events, outcome] = await collect(start(adapter("ignore-term.mjs", [], { idleTimeoutSeconds: 1 }, 200)));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(events).toContainEqual({ kind: "error", message: expect.stringMatching(/^idle watchdog: no output for 1s/) });
    expect(outcome).toMatchObject({ status: "failed", exit: { signal: "SIGKILL", error: expect.stringMatching(/^idle watchdog/) }, failure: { kind: "timeout" } });
  });

  it("the agent's own limits override the runtime's", async () => {
    const a = adapter("ignore-term.mjs", [], { timeoutSeconds: 3600 }, 200);
    const workDir = mkdtempSync(join(tmpdir(), "multica-cmd-"));
    dirs.push(workDir);
    const run = a.start({
      taskId: "tsk_abcd1234", attempt: 1, prompt: "p", issue: { id: "iss_abcd1234", title: "t", body: "" },
      agent: { id: "agt_abcd1234", name: "a", instructions: "" }, workDir, limits: { timeoutMs: 800, idleTimeoutMs: null },
    });
    const [, outcome] = await collect(run);
    expect(outcome).toMatchObject({ failure: { kind: "timeout", message: expect.stringMatching(/^timeout watchdog: still running after 0.8s/) } });
  });

  it("times out: fails with 'timed out after Ns' and kills the process", async () => {
    const run = start(adapter("ignore-term.mjs", [], { timeoutSeconds: 1 }, 200));
    const [events, outcome] = await collect(run);
    expect(events).toContainEqual({ kind: "error", message: expect.stringMatching(/^timeout watchdog: still running after 1s/) });
    expect(outcome).toMatchObject({ status: "failed", exit: { signal: "SIGKILL" }, failure: { kind: "timeout" } });
  });

  it("cancel kills the whole tree, including a grandchild and a child that ignore SIGTERM", async () => {
    const run = start(adapter("tree.mjs", [], {}, 300));
    const pids: number[] = [];
    const started = Date.now();
    const [events, outcome] = await collect(run, (e) => {
      const m = e.kind === "output" ? /^(parent|grandchild) (\d+)$/.exec(e.text) : null;
      if (m) pids.push(Number(m[2]));
      if (pids.length === 2 && m) run.cancel("user asked");
    });
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isProcessAlive(pid)).toBe(false);
    expect(events).toContainEqual({ kind: "lifecycle", phase: "cancelling", detail: "user asked" });
    // The parent exits on SIGTERM; the grandchild ignores it, so SIGKILL after the grace period.
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(outcome).toMatchObject({ status: "cancelled", exit: { error: "cancelled: user asked" } });
  });

  it("cancel SIGKILLs a process that ignores SIGTERM after the grace period", async () => {
    const run = start(adapter("ignore-term.mjs", [], {}, 200));
    let pid = 0;
    const [events, outcome] = await collect(run, (e) => {
      const m = e.kind === "output" ? /^pid (\d+)$/.exec(e.text) : null;
      if (m) {
        pid = Number(m[1]);
        run.cancel("stop");
      }
    });
    expect(isProcessAlive(pid)).toBe(false);
    expect(texts(events, "stdout")).toContain("got SIGTERM, ignoring");
    expect(events.at(-1)).toEqual({ kind: "lifecycle", phase: "exited", detail: "signal SIGKILL" });
    expect(outcome).toMatchObject({ status: "cancelled", exit: { exitCode: null, signal: "SIGKILL" } });
  });

  it("kills a grandchild left behind when the process exits by itself", async () => {
    const [events, outcome] = await collect(start(adapter("tree.mjs", ["exit"], {}, 100)));
    const grandchild = Number(/grandchild (\d+)/.exec(texts(events, "stdout").join("\n"))?.[1]);
    expect(grandchild).toBeGreaterThan(0);
    expect(isProcessAlive(grandchild)).toBe(false);
    expect(outcome.status).toBe("succeeded");
  });
});

describe("findExecutable", () => {
  it("searches PATH for bare names and checks paths directly", () => {
    expect(findExecutable("claude", join(FIXTURES, "bin"))).toBe(join(FIXTURES, "bin", "claude"));
    expect(findExecutable("claude", "/nonexistent")).toBeNull();
    expect(findExecutable(process.execPath, "")).toBe(process.execPath);
    expect(findExecutable("/no/such/file", "")).toBeNull();
  });
});
