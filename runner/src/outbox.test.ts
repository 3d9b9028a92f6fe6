// The outbox against a real libSQL file: durability across reopen, acks, and restart recovery.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import type { ControlTaskAssign } from "@multica/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryLogger } from "./log";
import { type AttemptRef, Outbox } from "./outbox";

const dirs: string[] = [];
const open: Outbox[] = [];

afterEach(async () => {
  for (const o of open.splice(0)) await o.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "multica-outbox-"));
  dirs.push(d);
  return d;
}

async function openOutbox(dir: string): Promise<Outbox> {
  const o = await Outbox.open(dir, createMemoryLogger());
  open.push(o);
  return o;
}

async function reopen(o: Outbox, dir: string): Promise<Outbox> {
  await o.close();
  open.splice(open.indexOf(o), 1);
  return openOutbox(dir);
}

const ref: AttemptRef = { taskId: "tsk_aaaa1111", attempt: 1 };
const assign = (r: AttemptRef): ControlTaskAssign => ({
  type: "task.assign",
  ...r,
  runtime: "command:echo",
  sentAt: 1,
  issue: { id: "iss_aaaa1111", key: "MUL-1", title: "t", body: "b", comments: [] },
  agent: { id: "agt_aaaa1111", name: "a", instructions: "" },
  prompt: "p",
  repository: null,
  limits: { idleTimeoutMs: null, timeoutMs: null },
  resume: null,
  skills: [],
  agentToken: null,
});
const line = (text: string) => ({ kind: "output" as const, stream: "stdout" as const, text });

describe("outbox", () => {
  it("makes a runner id once and keeps it across restarts", async () => {
    const dir = tempDir();
    const first = await openOutbox(dir);
    expect(first.runnerId).toMatch(/^rnr_[0-9a-z]{20}$/);
    const second = await reopen(first, dir);
    expect(second.runnerId).toBe(first.runnerId);
  });

  it("keeps events across a reopen, in seq order", async () => {
    const dir = tempDir();
    let o = await openOutbox(dir);
    expect(await o.begin(assign(ref))).toBe(true);
    expect(await o.begin(assign(ref))).toBe(false);
    for (const t of ["a", "b", "c"]) await o.append(ref, line(t));
    o = await reopen(o, dir);
    const events = await o.eventsAfter(ref, 0, 100);
    expect(events.map((e) => [e.seq, e.event])).toEqual([[1, line("a")], [2, line("b")], [3, line("c")]]);
    expect(await o.attempts()).toEqual([{ ...ref, state: "running", lastSeq: 3 }]);
  });

  it("tells onStored only once the events are readable from another connection", async () => {
    const dir = tempDir();
    const o = await openOutbox(dir);
    const other = createClient({ url: `file:${join(dir, "runner.db")}` });
    const seenAtNotify: number[] = [];
    const notified = new Promise<void>((resolve) => {
      o.onStored = () => {
        void other.execute("SELECT count(*) AS n FROM events").then((rs) => {
          seenAtNotify.push(Number(rs.rows[0]?.n));
          resolve();
        });
      };
    });
    await o.begin(assign(ref));
    await o.append(ref, line("x"));
    await notified;
    other.close();
    expect(seenAtNotify[0]).toBe(1);
  });

  it("deletes events up to the acked seq, and the whole attempt on report.ack", async () => {
    const dir = tempDir();
    let o = await openOutbox(dir);
    await o.begin(assign(ref));
    for (const t of ["a", "b", "c"]) await o.append(ref, line(t));
    await o.flushNow();
    o.ack(ref, 2);
    await o.flushNow();
    expect((await o.eventsAfter(ref, 0, 100)).map((e) => e.seq)).toEqual([3]);
    const report = await o.finish(ref, { ...ref, status: "succeeded", exit: { exitCode: 0, signal: null, error: null, durationMs: 5 }, sessionId: null, usage: null });
    expect(report).toMatchObject({ type: "task.report", lastSeq: 3, status: "succeeded" });
    o = await reopen(o, dir);
    expect(await o.report(ref)).toEqual(report);
    await o.reportAcked(ref);
    o = await reopen(o, dir);
    expect(await o.attempts()).toEqual([]);
    expect(await o.report(ref)).toBeNull();
    expect(await o.eventsAfter(ref, 0, 100)).toEqual([]);
  });

  it("on restart, reports attempts left running as lost, after their events and with their lastSeq", async () => {
    const dir = tempDir();
    let o = await openOutbox(dir);
    const done: AttemptRef = { taskId: "tsk_bbbb2222", attempt: 3 };
    await o.begin(assign(ref));
    await o.begin(assign(done));
    for (const t of ["a", "b"]) await o.append(ref, line(t));
    await o.flushNow();
    o.ack(ref, 2); // all its events acked and deleted: lastSeq must still be 2
    await o.finish(done, { ...done, status: "succeeded", exit: { exitCode: 0, signal: null, error: null, durationMs: 1 }, sessionId: null, usage: null });
    o = await reopen(o, dir);
    expect(await o.recoverInterrupted()).toEqual([ref]);
    expect(await o.report(ref)).toMatchObject({
      status: "lost",
      lastSeq: 2,
      exit: { exitCode: null, signal: null, error: "runner restarted while the attempt was running", durationMs: 0 },
    });
    expect((await o.report(done))?.status).toBe("succeeded");
    expect((await o.attempts()).map((a) => a.state)).toEqual(["finished", "finished"]);
    o = await reopen(o, dir);
    expect(await o.recoverInterrupted()).toEqual([]);
  });

  it("stores a fast burst completely and in order while bounding what waits in memory", async () => {
    const o = await openOutbox(tempDir());
    await o.begin(assign(ref));
    const batches: number[] = [];
    o.onStored = () => batches.push(1);
    for (let i = 1; i <= 5000; i++) await o.append(ref, line(`l${i}`));
    await o.flushNow();
    const events = await o.eventsAfter(ref, 0, 10_000);
    expect(events).toHaveLength(5000);
    expect(events.every((e, i) => e.seq === i + 1 && e.event.kind === "output" && e.event.text === `l${i + 1}`)).toBe(true);
    // Coalesced: far fewer transactions than events.
    expect(batches.length).toBeLessThan(50);
  });
});
