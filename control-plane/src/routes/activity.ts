/**
 * /api/v1/workspaces/:workspaceId/issues/:issueId/activity — an issue's activity log, oldest
 * first (rows written in one batch keep their order), in pages: pass `nextCursor` as `cursor`.
 */
import { Hono } from "hono";
import { and, asc, eq, sql } from "drizzle-orm";
import { ListActivityQuery } from "@multica/shared";
import { z } from "zod";
import { createDb, schema } from "../db/client";
import type { AppEnv } from "../middleware/auth";
import { activityView } from "../board/activity";
import { requireIssue } from "../board/issue-rules";
import { invalidInput, validateFields } from "../board/validate-fields";

const activities = schema.activities;
/** SQLite's insertion order: the tie-break between rows of the same millisecond. */
const ROWID = sql<number>`${activities}.rowid`;
const Cursor = z.tuple([z.number().int(), z.number().int()]);

function decodeCursor(raw: string): [number, number] {
  const [t, r] = raw.split(".").map((n) => Number.parseInt(n, 36));
  const cursor = Cursor.safeParse([t, r]);
  if (!cursor.success) throw invalidInput("query", [{ path: ["cursor"], message: "not a cursor of this list: pass nextCursor from the previous page" }]);
  return cursor.data;
}

export const activityRoutes = new Hono<AppEnv>().get("/", validateFields("query", ListActivityQuery), async (c) => {
  const { limit, cursor } = c.req.valid("query");
  const db = createDb(c.env.DB);
  const issue = await requireIssue(db, c.get("principal").workspaceId, c.req.param("issueId") ?? "");
  const after = cursor ? decodeCursor(cursor) : null;
  const rows = await db
    .select({ activity: activities, rowid: ROWID })
    .from(activities)
    .where(and(eq(activities.issueId, issue.id), after ? sql`(${activities.createdAt}, ${ROWID}) > (${after[0]}, ${after[1]})` : undefined))
    .orderBy(asc(activities.createdAt), asc(ROWID))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last ? `${last.activity.createdAt.toString(36)}.${last.rowid.toString(36)}` : null;
  return c.json({ activities: page.map((r) => activityView(r.activity)), nextCursor });
});
