/**
 * What the workspace's boards hear when a run's end reaches D1. d1-sync writes the result comment,
 * the run_ended activity and the issue's next status (in review, blocked, to do) as it mirrors an
 * ended attempt, a moment after the attempt's own task.status frame went out; without these frames
 * a board would show the issue where it was until its next fetch. The issues are read back from D1
 * so boards and outbound subscribers get the same whole issue view as for the API's own changes
 * (board/agent-runs.ts). Used by WorkspaceDO after each flush.
 */
import type { BoardEvent, IssueStatus } from "@multica/shared";
import { eq, inArray } from "drizzle-orm";
import { boardEvents } from "../board/agent-runs";
import type { ActivityRow } from "../board/activity";
import { type Db, schema } from "../db/client";
import { issueView } from "../runs";

/** One ended attempt as d1-sync wrote it. */
export interface RunEndWrite {
  issueId: string;
  /** The result comment; null when the agent already commented through its tools. */
  comment: typeof schema.comments.$inferSelect | null;
  activity: ActivityRow;
  /** The issue's new status; null when it stays (a parked or retried attempt). */
  status: IssueStatus | null;
}

export async function runEndEvents(db: Db, workspaceId: string, writes: RunEndWrite[]): Promise<BoardEvent[]> {
  const moved = [...new Set(writes.filter((w) => w.status !== null).map((w) => w.issueId))];
  const [issues, [ws]] = await Promise.all([
    moved.length > 0 ? db.select().from(schema.issues).where(inArray(schema.issues.id, moved)) : Promise.resolve([]),
    db.select({ prefix: schema.workspaces.issuePrefix }).from(schema.workspaces).where(eq(schema.workspaces.id, workspaceId)),
  ]);
  const prefix = ws?.prefix ?? "MUL";
  return writes.flatMap((w) => {
    const row = w.status !== null ? issues.find((i) => i.id === w.issueId) : undefined;
    return boardEvents({
      ...(row ? { issue: issueView(row, prefix), changes: { status: row.status } } : {}),
      ...(w.comment ? { comment: w.comment } : {}),
      activities: [w.activity],
    });
  });
}
