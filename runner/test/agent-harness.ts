/**
 * Scaffolding the agent adapter tests share (runner/src/agents/<cli>.test.ts): things to undo
 * after each test, temporary directories, stand-in executables, starting one attempt, reading a
 * run to its end with every event checked against the AgentEvent schema, and picking events out.
 * Each test file that uses it registers `afterEach(runCleanups)`.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { AgentEvent } from "@multica/shared";
import { expect } from "vitest";
import type { AgentAdapter, AgentOutcome, AgentStartContext, RunningAgent } from "../src/agents/adapter";

/** Where the real agent CLIs are installed (they are devDependencies of the repository). */
const BIN = join(import.meta.dirname, "../../node_modules/.bin");

/** The test's PATH with this Node first, so CLIs written as `#!/usr/bin/env node` scripts find it. */
export const PATH_WITH_NODE = `${dirname(process.execPath)}:${process.env.PATH ?? ""}`;

/** The path of the real agent CLI `name` in node_modules/.bin. */
export function cliBinary(name: string): string {
  return join(BIN, name);
}

const cleanups: (() => Promise<void> | void)[] = [];

/** Runs `undo` after the current test; the last registered runs first. */
export function onCleanup(undo: () => Promise<void> | void): void {
  cleanups.push(undo);
}

/** Runs what `onCleanup` registered, in reverse, and forgets it: pass it to `afterEach`. */
export async function runCleanups(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

/** A fresh directory under the system temp dir, removed after the test. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Waits for a mock model server to start and closes it after the test. */
export async function closeAfterTest<T extends { close(): Promise<void> }>(starting: Promise<T>): Promise<T> {
  const server = await starting;
  onCleanup(() => server.close());
  return server;
}

/** A stand-in for the CLI `name`: an executable Node script running `source`, in its own temp dir. */
export function writeFakeCli(name: string, source: string): string {
  const path = join(tempDir(`multica-fake-${name}-`), name);
  writeFileSync(path, `#!${process.execPath}\n${source}\n`);
  chmodSync(path, 0o755);
  return path;
}

/**
 * Starts one attempt of `adapter` in `workDir` for a fixed task, issue and agent, resuming
 * `resumeSessionId` when it is set; `more` adds to the context (e.g. `limits`).
 */
export function startAttempt(adapter: AgentAdapter, workDir: string, prompt: string, resumeSessionId?: string, more: Partial<AgentStartContext> = {}): RunningAgent {
  return adapter.start({
    taskId: "tsk_abcd1234",
    attempt: 1,
    prompt,
    issue: { id: "iss_abcd1234", title: "Say hello", body: "" },
    agent: { id: "agt_abcd1234", name: adapter.key, instructions: "" },
    workDir,
    ...(resumeSessionId ? { resumeSessionId } : {}),
    ...more,
  });
}

/** A run read to its end. */
export interface Collected {
  events: AgentEvent[];
  outcome: AgentOutcome;
  /** When the first event other than lifecycle and process output came, counted from the start of reading; -1 if none did. */
  firstEventMs: number;
  totalMs: number;
}

/** Reads the run to its end (`onEvent` sees each event as it comes) and checks every event against the AgentEvent schema. */
export async function collect(run: RunningAgent, onEvent?: (e: AgentEvent) => void): Promise<Collected> {
  const started = Date.now();
  let firstEventMs = -1;
  const events: AgentEvent[] = [];
  for await (const e of run.events) {
    if (firstEventMs < 0 && e.kind !== "lifecycle" && e.kind !== "output") firstEventMs = Date.now() - started;
    events.push(e);
    onEvent?.(e);
  }
  const outcome = await run.outcome;
  for (const e of events) expect(AgentEvent.safeParse(e).error).toBeUndefined();
  return { events, outcome, firstEventMs, totalMs: Date.now() - started };
}

/** Cancels `run` ("user asked") once `asked()` holds, checking every 50 ms until the test ends. */
export function cancelWhen(run: RunningAgent, asked: () => boolean): void {
  const timer = setInterval(() => {
    if (asked()) run.cancel("user asked");
  }, 50);
  onCleanup(() => clearInterval(timer));
}

/** The agent process's pid, from the `lifecycle started` event ("pid N"); NaN without one. */
export function pidOf(events: AgentEvent[]): number {
  const started = events.find((e) => e.kind === "lifecycle" && e.phase === "started");
  return Number(started?.kind === "lifecycle" ? started.detail?.replace("pid ", "") : NaN);
}

/** The events of one kind, typed as that kind. */
export function of<K extends AgentEvent["kind"]>(events: AgentEvent[], kind: K): Extract<AgentEvent, { kind: K }>[] {
  return events.filter((e): e is Extract<AgentEvent, { kind: K }> => e.kind === kind);
}

/** The normalized events without process output and lifecycle, as kinds. */
export function agentKinds(events: AgentEvent[]): AgentEvent["kind"][] {
  return events.filter((e) => e.kind !== "output" && e.kind !== "lifecycle").map((e) => e.kind);
}
