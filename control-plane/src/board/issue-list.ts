/**
 * `GET /issues`: the filters as SQL conditions, the two orders (board: column, then position;
 * created: newest first), and keyset pagination with an opaque cursor, the sort key of the last
 * issue of a page in base64url JSON. Keyset (not offset) pages neither skip nor repeat issues
 * when others are added in between. Used by routes/issues.ts.
 */
import { type ListIssuesQuery, ISSUE_STATUSES } from "@multica/shared";
import { and, desc, asc, eq, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../db/client";
import { invalidInput } from "./validate-fields";

const issues = schema.issues;
type IssueRow = typeof schema.issues.$inferSelect;

/** A status's column on the board, left to right: the board's primary order. */
export const STATUS_RANK = sql<number>`CASE ${issues.status} ${sql.join(ISSUE_STATUSES.map((s, i) => sql`WHEN ${s} THEN ${i}`), sql` `)} END`;

const BoardCursor = z.object({ s: z.literal("board"), r: z.number().int(), p: z.number(), n: z.number().int() });
const CreatedCursor = z.object({ s: z.literal("created"), n: z.number().int() });
const Cursor = z.discriminatedUnion("s", [BoardCursor, CreatedCursor]);
type Cursor = z.infer<typeof Cursor>;

export function encodeCursor(c: Cursor): string {
  return btoa(JSON.stringify(c)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function decodeCursor(raw: string, sort: ListIssuesQuery["sort"]): Cursor {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(atob(raw.replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    // Not ours: reported below.
  }
  const cursor = Cursor.safeParse(parsed);
  if (!cursor.success || cursor.data.s !== sort) throw invalidInput("query", [{ path: ["cursor"], message: "not a cursor of this list: pass nextCursor from the previous page, with the same sort" }]);
  return cursor.data;
}

/** `%text%` for LIKE, with LIKE's own wildcards in the text escaped (ESCAPE '\'). */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

function filters(workspaceId: string, q: ListIssuesQuery): SQL[] {
  const where: SQL[] = [eq(issues.workspaceId, workspaceId)];
  if (q.status) where.push(inArray(issues.status, q.status));
  if (q.priority) where.push(inArray(issues.priority, q.priority));
  if (q.assignee === "none") where.push(isNull(issues.assigneeAgentId), isNull(issues.assigneeUserId));
  else if (q.assignee?.startsWith("agent:")) where.push(eq(issues.assigneeAgentId, q.assignee.slice("agent:".length)));
  else if (q.assignee?.startsWith("user:")) where.push(eq(issues.assigneeUserId, q.assignee.slice("user:".length)));
  if (q.label) where.push(sql`EXISTS (SELECT 1 FROM json_each(${issues.labels}) WHERE lower(json_each.value) = lower(${q.label}))`);
  if (q.parent === "none") where.push(isNull(issues.parentId));
  else if (q.parent) where.push(eq(issues.parentId, q.parent));
  if (q.q) {
    const pattern = likePattern(q.q);
    where.push(sql`(${issues.title} LIKE ${pattern} ESCAPE '\\' OR ${issues.body} LIKE ${pattern} ESCAPE '\\')`);
  }
  return where;
}

/** Issues after the cursor, in the query's order. */
function after(cursor: Cursor): SQL | undefined {
  if (cursor.s === "created") return lt(issues.number, cursor.n);
  const { r, p, n } = cursor;
  return or(
    sql`${STATUS_RANK} > ${r}`,
    and(sql`${STATUS_RANK} = ${r}`, sql`${issues.position} > ${p}`),
    and(sql`${STATUS_RANK} = ${r}`, eq(issues.position, p), sql`${issues.number} > ${n}`),
  );
}

/** WHERE and ORDER BY of one page; read `limit + 1` rows and hand them to `page`. */
export function issuePageQuery(workspaceId: string, q: ListIssuesQuery) {
  const where = filters(workspaceId, q);
  if (q.cursor) where.push(after(decodeCursor(q.cursor, q.sort)) ?? sql`1`);
  const orderBy = q.sort === "created" ? [desc(issues.number)] : [asc(STATUS_RANK), asc(issues.position), asc(issues.number)];
  return { where: and(...where), orderBy };
}

/** The page's issues and the cursor to the next page (null on the last). */
export function page(rows: IssueRow[], q: ListIssuesQuery): { rows: IssueRow[]; nextCursor: string | null } {
  if (rows.length <= q.limit) return { rows, nextCursor: null };
  const kept = rows.slice(0, q.limit);
  const last = kept[kept.length - 1]!;
  const cursor: Cursor = q.sort === "created" ? { s: "created", n: last.number } : { s: "board", r: ISSUE_STATUSES.indexOf(last.status), p: last.position, n: last.number };
  return { rows: kept, nextCursor: encodeCursor(cursor) };
}
