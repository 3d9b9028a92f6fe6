/**
 * /api/v1/workspaces/:workspaceId/tasks — list the runs not over yet (what the board marks as
 * live), read a task (all attempts and a page of transcript), cancel it, and subscribe to its live
 * stream over a WebSocket (`/:taskId/stream`, resumed with a per-attempt `cursor`: see
 * shared/src/protocol/viewer.ts).
 */
import { Hono } from "hono";
import { and, desc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { formatViewerCursor, TaskId, ViewerCursorParam } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import type { AppEnv } from "../middleware/auth";
import { validate } from "../validation";
import { INTERNAL } from "../workspace/workspace-do";
import { unwrap, workspaceStub } from "../workspace/stub";

const Params = z.object({ workspaceId: z.string(), taskId: TaskId });
const Cursor = z.object({
  attempt: z.coerce.number().int().nonnegative().default(0),
  after: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

/** The stream's query: the old single position still works, `cursor` (what is held of each attempt) is how to resume. */
const StreamQuery = Cursor.omit({ limit: true }).extend({ cursor: ViewerCursorParam.optional() });

/** Most unfinished runs listed: more than any board shows at once. */
const UNFINISHED_LIMIT = 500;

export const taskRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    // D1's mirror trails the Durable Object by a moment; the live feed's task.status frames carry the rest.
    const t = schema.tasks;
    const rows = await createDb(c.env.DB)
      .select({ taskId: t.id, attempt: t.attempt, issueId: t.issueId, agentId: t.agentId, runtime: t.runtime, status: t.status, runnerId: t.runnerId, queuedAt: t.queuedAt, startedAt: t.startedAt })
      .from(t)
      .where(and(eq(t.workspaceId, c.get("principal").workspaceId), inArray(t.status, ["queued", "dispatched", "running"])))
      .orderBy(desc(t.queuedAt))
      .limit(UNFINISHED_LIMIT);
    return c.json({ tasks: rows });
  })
  .get("/:taskId", validate("param", Params), validate("query", Cursor), async (c) => {
    const { taskId } = c.req.valid("param");
    const { attempt, after, limit } = c.req.valid("query");
    const result = unwrap(await workspaceStub(c.env, c.get("principal").workspaceId).getTask(taskId, { attempt, after }, limit));
    const latest = result.attempts[result.attempts.length - 1];
    return c.json({ task: latest, attempts: result.attempts, transcript: result.transcript });
  })
  .post("/:taskId/cancel", validate("param", Params), async (c) => {
    const { taskId } = c.req.valid("param");
    const task = unwrap(await workspaceStub(c.env, c.get("principal").workspaceId).cancel(taskId));
    return c.json({ task }, 202);
  })
  .get("/:taskId/stream", validate("param", Params), validate("query", StreamQuery), async (c) => {
    if (c.req.header("upgrade") !== "websocket") throw new ApiError(400, "bad_request", "this endpoint needs a WebSocket upgrade");
    const { taskId } = c.req.valid("param");
    const { attempt, after, cursor } = c.req.valid("query");
    const workspaceId = c.get("principal").workspaceId;
    const url = new URL(`https://do/viewer?taskId=${taskId}&attempt=${attempt}&after=${after}`);
    if (cursor) url.searchParams.set("cursor", formatViewerCursor(cursor));
    const headers = new Headers(c.req.raw.headers);
    headers.set(INTERNAL.workspace, workspaceId);
    const res = await workspaceStub(c.env, workspaceId).fetch(new Request(url, { headers }));
    if (res.status === 404) throw ApiError.notFound("task", taskId);
    return res;
  });
