/**
 * The workspace's live feed from the API side: `GET /workspaces/:ws/live` upgrades to a board
 * WebSocket on the workspace Durable Object, and `publish` pushes a change the API just made to
 * every board. Publishing never delays the response that caused it (waitUntil) and never fails
 * it: a board that missed a frame catches up on its next fetch.
 */
import { Hono, type Context } from "hono";
import type { BoardEvent } from "@multica/shared";
import { ApiError } from "./errors";
import type { AppEnv } from "./middleware/auth";
import { INTERNAL } from "./workspace/workspace-do";
import { workspaceStub } from "./workspace/stub";

/** Pushes `event` to the boards of `workspaceId` (by default the caller's workspace). */
export function publish(c: Context<AppEnv>, event: BoardEvent, workspaceId: string = c.get("principal").workspaceId): void {
  const sent = workspaceStub(c.env, workspaceId)
    .publish(event)
    .catch((err: unknown) => console.error(`[live] publish to ${workspaceId} failed: ${err instanceof Error ? err.message : String(err)}`));
  try {
    c.executionCtx.waitUntil(sent);
  } catch {
    // No execution context (unit tests): the promise still runs.
  }
}

export const liveRoutes = new Hono<AppEnv>().get("/", async (c) => {
  if (c.req.header("upgrade") !== "websocket") throw new ApiError(400, "bad_request", "the live feed needs a WebSocket upgrade (browsers: ?token=)");
  const workspaceId = c.get("principal").workspaceId;
  const headers = new Headers(c.req.raw.headers);
  headers.set(INTERNAL.workspace, workspaceId);
  return workspaceStub(c.env, workspaceId).fetch(new Request("https://do/board", { headers }));
});
