/**
 * `multica task logs --follow`: a task's transcript from its live stream
 * (`/workspaces/:ws/tasks/:id/stream`, a WebSocket): everything stored is replayed, then events
 * arrive as the agent produces them. Ends when the task's latest attempt has ended and no retry
 * followed within a moment. A dropped connection is resumed from the last event seen (a few
 * times, with backoff); events seen twice are printed once.
 */
import { isTerminal, parseViewerMessage, type TaskStatus, type ViewerEvent } from "@multica/shared";
import WebSocket from "ws";
import { ApiCallError, httpBase } from "../skills/skill-api";
import type { BoardTarget } from "./board-api";

/** How long an ended attempt waits for a retry's status before the follow ends. */
const RETRY_GRACE_MS = 1500;
const MAX_RECONNECTS = 5;

export interface FollowResult {
  /** Status of the latest attempt when the follow ended. */
  status: TaskStatus | null;
}

/** Streams `taskId`'s events to `onEvent` until the task is over. */
export async function followTask(t: BoardTarget, taskId: string, onEvent: (e: ViewerEvent) => void, signal?: AbortSignal): Promise<FollowResult> {
  const statuses = new Map<number, TaskStatus>();
  const cursor = { attempt: 0, after: 0 };
  const latest = () => (statuses.size === 0 ? null : (statuses.get(Math.max(...statuses.keys())) ?? null));
  for (let tries = 0; ; tries++) {
    const ended = await streamOnce(t, taskId, cursor, statuses, onEvent, signal);
    if (ended || signal?.aborted) return { status: latest() };
    if (tries >= MAX_RECONNECTS) throw new ApiCallError("network", `the stream of task ${taskId} kept dropping; gave up after ${MAX_RECONNECTS} reconnects`);
    await new Promise((r) => setTimeout(r, Math.min(8000, 250 * 2 ** tries) * (0.5 + Math.random() / 2)));
  }
}

/** One connection; true when the task ended, false when the connection dropped first. */
function streamOnce(
  t: BoardTarget,
  taskId: string,
  cursor: { attempt: number; after: number },
  statuses: Map<number, TaskStatus>,
  onEvent: (e: ViewerEvent) => void,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const base = httpBase(t.url).replace(/^http/, "ws");
  const query = new URLSearchParams({ token: t.token, attempt: String(cursor.attempt), after: String(cursor.after) });
  const url = `${base}/api/v1/workspaces/${encodeURIComponent(t.workspaceId)}/tasks/${encodeURIComponent(taskId)}/stream?${query}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let live = false;
    let done = false;
    let grace: ReturnType<typeof setTimeout> | null = null;
    const finish = (ended: boolean) => {
      if (done) return;
      done = true;
      if (grace) clearTimeout(grace);
      signal?.removeEventListener("abort", onAbort);
      ws.close();
      resolve(ended);
    };
    const onAbort = () => finish(true);
    signal?.addEventListener("abort", onAbort);
    // Over when the newest attempt has ended and, after a moment, no newer attempt appeared.
    const check = () => {
      if (!live || statuses.size === 0) return;
      const newest = Math.max(...statuses.keys());
      const status = statuses.get(newest);
      if (grace) clearTimeout(grace);
      grace = status && isTerminal(status) ? setTimeout(() => finish(true), RETRY_GRACE_MS) : null;
    };
    ws.on("unexpected-response", (_req, res) => {
      done = true;
      const status = res.statusCode ?? 0;
      const kind = status === 401 || status === 403 ? "auth" : status === 404 ? "not_found" : status >= 500 ? "server" : "invalid";
      reject(new ApiCallError(kind, `GET /tasks/${taskId}/stream: HTTP ${status}${status === 404 ? ` (no task ${taskId})` : ""}`, status));
    });
    ws.on("error", () => finish(false));
    ws.on("close", () => finish(false));
    ws.on("message", (data) => {
      const m = parseViewerMessage(data.toString());
      if (!m) return;
      if (m.type === "task.snapshot") for (const a of m.attempts) statuses.set(a.attempt, a.status);
      else if (m.type === "task.status") statuses.set(m.attempt.attempt, m.attempt.status);
      else if (m.type === "replay.done") live = true;
      else if (m.type === "task.event") {
        // Resumed streams may repeat what was already printed.
        if (m.attempt < cursor.attempt || (m.attempt === cursor.attempt && m.seq <= cursor.after)) return;
        cursor.attempt = m.attempt;
        cursor.after = m.seq;
        onEvent(m);
      }
      check();
    });
  });
}
