/**
 * Outbound events that no board frame carries (a skill proposal), handed from a route to the
 * workspace Durable Object, which queues them for their subscribers (outbound-queue.ts). Like
 * live.ts `publish`, it never delays the answer (waitUntil) and never fails it: a failure to
 * reach the object is logged.
 */
import type { Context } from "hono";
import type { AppEnv } from "../middleware/auth";
import { workspaceStub } from "../workspace/stub";
import type { OutboundChange } from "./outbound-events";

export function emitOutbound(c: Context<AppEnv>, workspaceId: string, change: OutboundChange): void {
  const sent = workspaceStub(c.env, workspaceId)
    .recordOutbound(workspaceId, change)
    .catch((err: unknown) => console.error(`[outbound] ${change.type} for ${workspaceId} not recorded: ${err instanceof Error ? err.message : String(err)}`));
  try {
    c.executionCtx.waitUntil(sent);
  } catch {
    // No execution context (unit tests): the promise still runs.
  }
}
