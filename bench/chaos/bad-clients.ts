/**
 * Clients that misbehave on purpose, for the fault suite: a flood of malformed frames on runner
 * and viewer sockets (each must be closed with a protocol-error or too-big code, and nothing they
 * send may reach a transcript), a rogue runner that sends events and reports for attempts other
 * runners hold (refused frame by frame), and webhook deliveries from a sender whose clock is off
 * (inside the 5-minute tolerance: accepted; past it: refused and logged).
 */
import WebSocket from "ws";
import { CloseCode, MAX_FRAME_BYTES, newId, PROTOCOL_VERSION } from "@multica/shared";
import { signGeneric } from "../../control-plane/src/triggers/signatures";
import type { Random } from "./random";

/** Frames no runner or viewer may send: not JSON, wrong shapes, binary, and one past the size limit. */
function junkFrames(rng: Random): (string | Buffer)[] {
  const frames: (string | Buffer)[] = [
    "not json at all",
    "{\"type\":",
    JSON.stringify({ type: "task.events", taskId: "tsk_nope", attempt: -1, events: [] }),
    JSON.stringify({ type: "hello", protocol: "one" }),
    JSON.stringify([1, 2, 3]),
    Buffer.from([0xff, 0xfe, 0x00, 0x01]),
    "x".repeat(MAX_FRAME_BYTES + 1),
  ];
  return Array.from({ length: rng.int(10, 30) }, () => rng.pick(frames));
}

function open(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

const closed = (ws: WebSocket) => new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
const ACCEPTABLE_CLOSES: readonly number[] = [CloseCode.protocolError, CloseCode.tooBig];

export interface FloodResult {
  frames: number;
  /** Sockets the server closed with a protocol-error / too-big code, as it must. */
  closedAsExpected: number;
  sockets: number;
}

/** Opens a socket, sends a burst of junk without waiting, and records how the server closed it. */
async function flood(url: string, headers: Record<string, string>, rng: Random, before?: (ws: WebSocket) => Promise<void>): Promise<FloodResult> {
  const ws = await open(url, headers);
  const done = closed(ws);
  await before?.(ws);
  const frames = junkFrames(rng);
  for (const f of frames) if (ws.readyState === WebSocket.OPEN) ws.send(f);
  const code = await Promise.race([done, new Promise<number>((r) => setTimeout(() => r(-1), 10_000))]);
  ws.terminate();
  return { frames: frames.length, closedAsExpected: ACCEPTABLE_CLOSES.includes(code) ? 1 : 0, sockets: 1 };
}

/** Junk on a runner socket, before hello and (on a second socket) after a valid hello. */
export async function floodRunnerSockets(baseUrl: string, token: string, rng: Random): Promise<FloodResult> {
  const url = `${baseUrl.replace(/^http/, "ws")}/api/v1/runner/connect`;
  const headers = { authorization: `Bearer ${token}` };
  const cold = await flood(url, headers, rng);
  const warm = await flood(url, headers, rng, (ws) => sayHello(ws, newId("runner")));
  return { frames: cold.frames + warm.frames, closedAsExpected: cold.closedAsExpected + warm.closedAsExpected, sockets: 2 };
}

/** Junk on a viewer socket of a real task (viewers may send only "ping"). */
export function floodViewerSocket(baseUrl: string, workspaceId: string, token: string, taskId: string, rng: Random): Promise<FloodResult> {
  return flood(`${baseUrl.replace(/^http/, "ws")}/api/v1/workspaces/${workspaceId}/tasks/${taskId}/stream?token=${token}`, {}, rng);
}

function sayHello(ws: WebSocket, runnerId: string): Promise<void> {
  // No runtimes: this runner is never given work, so it can only interfere by lying.
  ws.send(JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION, runnerId, name: "rogue", version: "chaos", concurrency: 1, runtimes: [], active: [] }));
  return new Promise((resolve) => ws.once("message", () => resolve()));
}

/**
 * A registered runner that claims other runners' attempts: events with a marker text, a report.
 * Every frame must be refused (`not_holder` / `unknown_task`); the transcripts checked at the end
 * would show the marker if one got through. Returns how many frames were refused.
 */
export async function impersonate(baseUrl: string, token: string, attempts: { taskId: string; attempt: number }[]): Promise<{ frames: number; refused: number }> {
  const ws = await open(`${baseUrl.replace(/^http/, "ws")}/api/v1/runner/connect`, { authorization: `Bearer ${token}` });
  let refused = 0;
  ws.on("message", (data) => {
    const m = JSON.parse(data.toString()) as { type: string; code?: string };
    if (m.type === "error" && (m.code === "not_holder" || m.code === "unknown_task")) refused += 1;
  });
  await sayHello(ws, newId("runner"));
  let frames = 0;
  for (const { taskId, attempt } of attempts) {
    ws.send(JSON.stringify({ type: "task.events", taskId, attempt, events: [{ seq: 1, ts: Date.now(), event: { kind: "output", stream: "stdout", text: "ROGUE" } }] }));
    ws.send(JSON.stringify({ type: "task.report", taskId, attempt, status: "failed", lastSeq: 0, exit: { exitCode: 1, signal: null, error: "rogue", durationMs: 0 }, sessionId: null, usage: null }));
    frames += 2;
  }
  const deadline = Date.now() + 5_000;
  while (refused < frames && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  ws.close();
  return { frames, refused };
}

export interface SkewedDelivery {
  skewSeconds: number;
  status: number;
  reason: string | null;
  taskId: string | null;
}

/** One generic webhook delivery signed by a sender whose clock is `skewSeconds` off ours. */
export async function deliverSkewed(hookUrl: string, secret: string, skewSeconds: number): Promise<SkewedDelivery> {
  const raw = JSON.stringify({ chaos: true, skewSeconds });
  const at = Math.floor(Date.now() / 1000) + skewSeconds;
  const signature = await signGeneric(secret, at, new TextEncoder().encode(raw));
  const res = await fetch(hookUrl, { method: "POST", headers: { "content-type": "application/json", "X-Multica-Signature": signature }, body: raw });
  const body = (await res.json().catch(() => ({}))) as { task?: { taskId: string } | null; error?: { message: string } };
  const reason = /timestamp_too_old|timestamp_in_future/.exec(body.error?.message ?? "")?.[0] ?? null;
  return { skewSeconds, status: res.status, reason, taskId: body.task?.taskId ?? null };
}
