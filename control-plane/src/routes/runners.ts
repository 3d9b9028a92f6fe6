/**
 * Runners: GET /api/v1/workspaces/:workspaceId/runners lists them with their runtimes and
 * whether they are connected now; GET /api/v1/runner/connect is the runner WebSocket (runner
 * token; the workspace comes from the token).
 */
import { Hono } from "hono";
import { eq, inArray } from "drizzle-orm";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import { requireToken, type AppEnv } from "../middleware/auth";
import { INTERNAL } from "../workspace/workspace-do";
import { workspaceStub } from "../workspace/stub";

export const runnerRoutes = new Hono<AppEnv>().get("/", async (c) => {
  const workspaceId = c.get("principal").workspaceId;
  const db = createDb(c.env.DB);
  const [rows, connected] = await Promise.all([
    db.select().from(schema.runners).where(eq(schema.runners.workspaceId, workspaceId)),
    workspaceStub(c.env, workspaceId).connectedRunners(),
  ]);
  const runtimes = rows.length ? await db.select().from(schema.runtimes).where(inArray(schema.runtimes.runnerId, rows.map((r) => r.id))) : [];
  const live = new Set(connected);
  return c.json({
    runners: rows.map((r) => ({
      ...r,
      online: live.has(r.id),
      runtimes: runtimes.filter((rt) => rt.runnerId === r.id).map((rt) => ({ key: rt.key, version: rt.version })),
    })),
  });
});

export const runnerConnectRoutes = new Hono<AppEnv>().get("/connect", requireToken("runner"), async (c) => {
  if (c.req.header("upgrade") !== "websocket") throw new ApiError(400, "bad_request", "runners connect with a WebSocket upgrade");
  const p = c.get("principal");
  const headers = new Headers(c.req.raw.headers);
  headers.set(INTERNAL.workspace, p.workspaceId);
  headers.set(INTERNAL.tokenId, p.tokenId);
  return workspaceStub(c.env, p.workspaceId).fetch(new Request("https://do/runner", { headers }));
});
