/**
 * The workspace live feed through the real control plane: a board socket hears every task's
 * status changes as they happen (and, once the API publishes them, issue and comment changes),
 * without polling; other workspaces' tokens cannot subscribe.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { BoardMessage } from "@multica/shared";
import { startControlPlane, type TestControlPlane } from "./helpers/control-plane";
import { Board, RawRunner } from "./helpers/sockets";

let cp: TestControlPlane;

beforeAll(async () => {
  cp = await startControlPlane();
});
afterAll(async () => {
  await cp?.stop();
});

const statuses = (b: Board, taskId: string) => b.received.flatMap((m: BoardMessage) => (m.type === "task.status" && m.attempt.taskId === taskId ? [m.attempt.status] : []));

it("pushes every task status change of the workspace to each connected board", async () => {
  const [a, b] = await Promise.all([Board.connect(cp.url, cp.workspaceId, cp.adminToken), Board.connect(cp.url, cp.workspaceId, cp.adminToken)]);
  await a.next((m) => m.type === "board.hello");
  const runner = await RawRunner.connect(cp.url, await cp.runnerToken());
  await runner.hello("rnr_live000001", ["command:live"]);
  const { taskId } = await cp.api.assignNew(["command:live"]);
  await runner.next((m) => m.type === "task.assign" && m.taskId === taskId);
  runner.send({ type: "task.started", taskId, attempt: 1 });
  runner.send({ type: "task.report", taskId, attempt: 1, status: "succeeded", lastSeq: 0, exit: { exitCode: 0, signal: null, error: null, durationMs: 1 }, sessionId: null, usage: null });
  for (const board of [a, b]) await board.next((m) => m.type === "task.status" && m.attempt.taskId === taskId && m.attempt.status === "succeeded");
  expect(statuses(a, taskId)).toEqual(["queued", "dispatched", "running", "succeeded"]);
  expect(statuses(b, taskId)).toEqual(statuses(a, taskId));
  runner.close();
  a.close();
  b.close();
});

it("refuses a board without a valid token of the workspace, and plain HTTP", async () => {
  await expect(Board.connect(cp.url, cp.workspaceId, "mca_wrong")).rejects.toThrow(/401/);
  await expect(Board.connect(cp.url, "ws_someoneelse", cp.adminToken)).rejects.toThrow(/403/);
  expect((await cp.api.get<{ error: { code: string } }>("/live")).status).toBe(400);
});
