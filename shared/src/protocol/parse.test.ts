// Parsing at the edge: valid frames of every type, and bad, oversized, binary and hostile frames → null, never a throw.
import { describe, expect, it } from "vitest";
import type { SequencedEvent } from "../events";
import type { ControlMessage } from "./control";
import { parseControlMessage, parseFrame, parseRunnerMessage, parseViewerMessage } from "./parse";
import { RunnerMessage } from "./runner";
import { MAX_EVENTS_PER_FRAME, MAX_FRAME_BYTES } from "./version";
import type { AttemptView, ViewerMessage } from "./viewer";

const ev = (seq: number, text = `line ${seq}`): SequencedEvent => ({ seq, ts: 1_700_000_000_000, event: { kind: "output", stream: "stdout", text } });
const exit = { exitCode: 0, signal: null, error: null, durationMs: 12 };
const ref = { taskId: "tsk_abcd1234", attempt: 1 };

const runnerFrames: RunnerMessage[] = [
  {
    type: "hello",
    protocol: 1,
    runnerId: "rnr_laptop01",
    name: "laptop",
    version: "0.1.0",
    concurrency: 2,
    runtimes: [{ key: "claude", version: "1.0.0" }, { key: "command:lint", version: null }],
    active: [ref],
  },
  {
    type: "task.events",
    ...ref,
    events: [
      ev(1),
      { seq: 2, ts: 2, event: { kind: "tool_call", callId: "c1", name: "bash", input: "ls" } },
      { seq: 3, ts: 3, event: { kind: "tool_result", callId: "c1", output: "a.txt", isError: false } },
      { seq: 4, ts: 4, event: { kind: "usage", inputTokens: 5, outputTokens: 6, costUsd: 0.01 } },
      { seq: 5, ts: 5, event: { kind: "lifecycle", phase: "exited", detail: "code 0" } },
    ],
  },
  { type: "task.report", ...ref, status: "succeeded", lastSeq: 5, exit, sessionId: "sess-1", usage: { inputTokens: 5, outputTokens: 6 } },
  { type: "task.report", ...ref, status: "lost", lastSeq: 0, exit: { exitCode: null, signal: "SIGKILL", error: "killed", durationMs: 0 }, sessionId: null, usage: null },
  { type: "task.started", ...ref },
  { type: "heartbeat", active: [ref, { taskId: "tsk_efgh5678", attempt: 3 }] },
  { type: "task.claim", taskId: "tsk_abcd1234" },
];

const controlFrames: ControlMessage[] = [
  { type: "welcome", protocol: 1, workspaceId: "ws_abcd1234", leaseMs: 30_000, heartbeatMs: 10_000, revoked: [{ ...ref, reason: "ended" }] },
  {
    type: "task.assign",
    ...ref,
    runtime: "command:echo",
    sentAt: 1_700_000_000_000,
    issue: { id: "iss_abcd1234", key: "ENG-7", title: "Fix it", body: "details", comments: [{ author: "user:ada", body: "also this", createdAt: 5 }] },
    agent: { id: "agt_abcd1234", name: "fixer", instructions: "" },
    prompt: "Fix it",
    repository: { source: "https://example.com/org/repo.git", baseRef: "main" },
    limits: { idleTimeoutMs: 60_000, timeoutMs: null },
    resume: { sessionId: "sess-1", prompt: "There is a new comment" },
    skills: [{ name: "lint-fix", version: 2, hash: "a".repeat(64) }],
    agentToken: { secret: "mat_secret", expiresAt: 1_700_000_100_000 },
  },
  { type: "task.cancel", ...ref, reason: "cancelled by a member" },
  { type: "ack", ...ref, seq: 0 },
  { type: "report.ack", ...ref },
  { type: "claim.result", taskId: "tsk_abcd1234", ok: false, reason: "already dispatched" },
  { type: "error", code: "unknown_attempt", message: "no such attempt" },
];

const view: AttemptView = {
  ...ref,
  issueId: "iss_abcd1234",
  agentId: "agt_abcd1234",
  runtime: "claude",
  status: "running",
  runnerId: "rnr_laptop01",
  queuedAt: 1,
  dispatchedAt: 2,
  startedAt: 3,
  failure: null,
  notBefore: null,
  endedAt: null,
  exitCode: null,
  signal: null,
  error: null,
  sessionId: null,
  usage: null,
  lastSeq: 4,
  cancelRequested: false,
};

const viewerFrames: ViewerMessage[] = [
  { type: "task.snapshot", taskId: "tsk_abcd1234", attempts: [view, { ...view, attempt: 2, status: "queued", runnerId: null }] },
  { type: "task.event", ...ref, seq: 1, ts: 5, event: { kind: "message", text: "done" } },
  { type: "task.status", attempt: { ...view, status: "succeeded", endedAt: 9, exitCode: 0, usage: { inputTokens: 1, outputTokens: 2 } } },
  { type: "replay.done", taskId: "tsk_abcd1234", replayed: 0 },
];

const parsers = { runner: parseRunnerMessage, control: parseControlMessage, viewer: parseViewerMessage };
const json = (value: unknown) => JSON.stringify(value);

describe("valid frames", () => {
  const cases = [
    ["runner", runnerFrames],
    ["control", controlFrames],
    ["viewer", viewerFrames],
  ] as const;
  for (const [direction, frames] of cases) {
    for (const frame of frames) {
      it(`${direction} ${frame.type} parses to the same message`, () => {
        expect(parsers[direction](json(frame))).toEqual(frame);
      });
    }
  }

  it("each direction rejects the other directions' messages", () => {
    for (const f of runnerFrames) expect(parseControlMessage(json(f))).toBeNull();
    for (const f of controlFrames) expect(parseRunnerMessage(json(f))).toBeNull();
    for (const f of viewerFrames) expect(parseRunnerMessage(json(f))).toBeNull();
  });

  it("drops keys the schema does not know", () => {
    const parsed = parseRunnerMessage(json({ type: "task.claim", taskId: "tsk_abcd1234", admin: true }));
    expect(parsed).toEqual({ type: "task.claim", taskId: "tsk_abcd1234" });
  });
});

describe("invalid frames", () => {
  it("rejects text that is not JSON, saying so", () => {
    for (const raw of ["{nope", "", "undefined", "{'type':'hello'}", '{"type":"task.claim",}']) {
      expect(parseRunnerMessage(raw)).toBeNull();
      expect(parseFrame(RunnerMessage, raw)).toEqual({ ok: false, tooBig: false, reason: "frame is not valid JSON" });
    }
  });

  it("rejects an unknown or missing type", () => {
    for (const raw of [{ type: "launch.missiles" }, { type: "HELLO" }, { taskId: "tsk_abcd1234" }, { type: 1 }, { type: null }]) {
      expect(parseRunnerMessage(json(raw))).toBeNull();
      expect(parseControlMessage(json(raw))).toBeNull();
      expect(parseViewerMessage(json(raw))).toBeNull();
    }
  });

  it("rejects fields of the wrong type or out of range", () => {
    const claim = { type: "task.claim", taskId: "tsk_abcd1234" };
    const started = { type: "task.started", ...ref };
    const hello = runnerFrames[0]!;
    const bad: unknown[] = [
      { ...started, attempt: "1" },
      { ...started, attempt: 0 },
      { ...started, attempt: 1.5 },
      { ...started, attempt: null },
      { ...claim, taskId: 1234 },
      { ...hello, concurrency: 0 },
      { ...hello, concurrency: 65 },
      { ...hello, name: "" },
      { ...hello, runtimes: [{ key: "Not A Key", version: null }] },
      { ...hello, active: "tsk_abcd1234" },
      { type: "task.events", ...ref, events: [] },
      { type: "task.events", ...ref, events: [{ ...ev(1), seq: 0 }] },
      { type: "task.events", ...ref, events: [{ ...ev(1), event: { kind: "telepathy", text: "hi" } }] },
      { type: "task.events", ...ref, events: [ev(1, "x".repeat(16 * 1024 + 1))] },
      { ...runnerFrames[2]!, status: "running" },
      { ...runnerFrames[2]!, lastSeq: -1 },
      { ...runnerFrames[2]!, exit: { ...exit, durationMs: undefined } },
      { type: "heartbeat" },
    ];
    for (const b of bad) expect(parseRunnerMessage(json(b)), json(b).slice(0, 200)).toBeNull();
  });

  it("rejects ids of the wrong kind or shape, naming the field", () => {
    for (const taskId of ["abcd1234", "rnr_abcd1234", "tsk_", "tsk_ab", "tsk_ABCD1234", "tsk_abcd-1234", " tsk_abcd1234", `tsk_${"a".repeat(61)}`]) {
      const r = parseFrame(RunnerMessage, json({ type: "task.claim", taskId }));
      expect(r.ok, taskId).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/^invalid message: taskId: /);
    }
    expect(parseRunnerMessage(json({ ...runnerFrames[0]!, runnerId: "tsk_abcd1234" }))).toBeNull();
    expect(parseControlMessage(json({ ...controlFrames[1]!, issue: { id: "agt_abcd1234", title: "t", body: "b" } }))).toBeNull();
  });

  it("keeps the reason short even for a long validation message", () => {
    const r = parseFrame(RunnerMessage, json({ type: "task.claim", taskId: "x".repeat(5000) }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason.length).toBeLessThanOrEqual(120);
  });

  it(`accepts ${MAX_EVENTS_PER_FRAME} events in one frame and rejects one more`, () => {
    const frame = (n: number) => json({ type: "task.events", ...ref, events: Array.from({ length: n }, (_, i) => ev(i + 1)) });
    expect(parseRunnerMessage(frame(MAX_EVENTS_PER_FRAME))).not.toBeNull();
    expect(parseRunnerMessage(frame(MAX_EVENTS_PER_FRAME + 1))).toBeNull();
  });
});

describe("frame size and binary frames", () => {
  const claim = json({ type: "task.claim", taskId: "tsk_abcd1234" });
  const padTo = (raw: string, bytes: number) => raw + " ".repeat(bytes - raw.length);

  it("accepts a frame of exactly MAX_FRAME_BYTES and flags one byte more as too big", () => {
    expect(parseFrame(RunnerMessage, padTo(claim, MAX_FRAME_BYTES)).ok).toBe(true);
    const over = parseFrame(RunnerMessage, padTo(claim, MAX_FRAME_BYTES + 1));
    expect(over).toMatchObject({ ok: false, tooBig: true });
    expect(parseRunnerMessage(padTo(claim, MAX_FRAME_BYTES + 1))).toBeNull();
  });

  it("counts UTF-8 bytes, not string length: a multibyte frame under the length limit is still too big", () => {
    const raw = json({ type: "error", code: "x", message: "€".repeat(Math.ceil(MAX_FRAME_BYTES / 3) + 10) });
    expect(raw.length).toBeLessThan(MAX_FRAME_BYTES);
    expect(new TextEncoder().encode(raw).byteLength).toBeGreaterThan(MAX_FRAME_BYTES);
    expect(parseFrame(RunnerMessage, raw)).toMatchObject({ ok: false, tooBig: true });
    expect(parseControlMessage(raw)).toBeNull();
  });

  it("accepts a multibyte frame whose bytes are within the limit", () => {
    // 100k "é" is 200 KB: long enough to be measured exactly, small enough to pass.
    const message = { type: "error", code: "x", message: "é".repeat(100_000) } as const;
    expect(parseControlMessage(json(message))).toEqual(message);
  });

  it("rejects binary frames, flagging only oversized ones as too big", () => {
    const small = new TextEncoder().encode(claim).buffer as ArrayBuffer;
    expect(parseRunnerMessage(small)).toBeNull();
    expect(parseFrame(RunnerMessage, small)).toMatchObject({ ok: false, tooBig: false, reason: expect.stringMatching(/binary/) });
    expect(parseFrame(RunnerMessage, new ArrayBuffer(MAX_FRAME_BYTES + 1))).toMatchObject({ ok: false, tooBig: true });
    expect(parseControlMessage(new ArrayBuffer(0))).toBeNull();
  });
});

describe("hostile input", () => {
  const depth = 50_000;
  const hostile = [
    "null",
    "[]",
    "{}",
    "1e999",
    "-0",
    '"task.claim"',
    "true",
    "[".repeat(depth) + "]".repeat(depth),
    '{"a":'.repeat(depth) + "1" + "}".repeat(depth),
    `{"type":"task.events","taskId":"tsk_abcd1234","attempt":1,"events":${"[".repeat(depth)}${"]".repeat(depth)}}`,
    '{"__proto__":{"type":"task.claim","taskId":"tsk_abcd1234"}}',
    '{"constructor":{"prototype":{"type":"hello"}}}',
    '{"type":"__proto__"}',
    '{"type":"toString"}',
    '"\\ud800"',
    "\u0000",
  ];

  it("never throws and returns null for each", () => {
    for (const raw of hostile) {
      for (const parse of Object.values(parsers)) {
        let result: unknown = "threw";
        expect(() => (result = parse(raw)), raw.slice(0, 40)).not.toThrow();
        expect(result, raw.slice(0, 40)).toBeNull();
      }
    }
  });

  it("does not let a __proto__ key reach the prototype of the message or of Object", () => {
    const raw = '{"type":"task.claim","taskId":"tsk_abcd1234","__proto__":{"polluted":true,"type":"hello"}}';
    const parsed = parseRunnerMessage(raw);
    expect(parsed).toEqual({ type: "task.claim", taskId: "tsk_abcd1234" });
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect((parsed as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
