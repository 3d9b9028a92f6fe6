/**
 * Mirrors the workspace Durable Object's live state into D1, in batches: changed attempts (and
 * the result comment + issue status once an attempt ends, and the revocation of its agent token),
 * agent tokens minted at dispatch (agent-tokens.ts), runner records, and transcript events as
 * chunks of many events per row. Idempotent, so a flush that is retried after a crash writes
 * nothing twice. Used only by WorkspaceDO.
 */
import type { SequencedEvent } from "@multica/shared";
import type { BatchItem } from "drizzle-orm/batch";
import { and, inArray, like, sql } from "drizzle-orm";
import { createDb, schema } from "../db/client";
import { pendingTokenStatements, revokeTokenStatement } from "./agent-tokens";
import { type AttemptState, wasParked } from "./task-machine";
import type { RunEndWrite } from "./run-end-news";
import type { TaskStore } from "./task-store";

/** Events per transcript row, and an upper bound on the row's JSON size. */
export const CHUNK_EVENTS = 200;
const CHUNK_BYTES = 512 * 1024;

export interface ChunkRow {
  taskId: string;
  attempt: number;
  events: SequencedEvent[];
}

/** Splits one attempt's pending events (in seq order) into D1 rows. */
export function toChunks(taskId: string, attempt: number, events: SequencedEvent[]): ChunkRow[] {
  const chunks: ChunkRow[] = [];
  const encoder = new TextEncoder();
  let current: SequencedEvent[] = [];
  let bytes = 2; // the array's brackets
  for (const e of events) {
    // UTF-8 bytes, plus the comma that separates it from the previous event.
    const size = encoder.encode(JSON.stringify(e)).byteLength + 1;
    if (current.length >= CHUNK_EVENTS || (current.length > 0 && bytes + size > CHUNK_BYTES)) {
      chunks.push({ taskId, attempt, events: current });
      current = [];
      bytes = 2;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length > 0) chunks.push({ taskId, attempt, events: current });
  return chunks;
}

function resultComment(s: AttemptState, summary: string | null, runnerName: string | null): string {
  const took = s.startedAt && s.endedAt ? ` in ${((s.endedAt - s.startedAt) / 1000).toFixed(1)} s` : "";
  const exit = s.exitCode !== null ? ` (exit ${s.exitCode})` : s.signal ? ` (signal ${s.signal})` : "";
  const where = runnerName ? ` on runner ${runnerName}` : "";
  const retry = s.status === "lost" && s.attempt < s.maxAttempts && !s.cancelRequested ? `; retrying as attempt ${s.attempt + 1}` : "";
  const parked = wasParked(s) ? `; parked, attempt ${s.attempt + 1} runs when the limit resets` : "";
  const lines = [`Attempt ${s.attempt} ${s.status}${where}${took}${exit}${retry}${parked}.`];
  const kind = s.failure && s.failure.kind !== "agent_error" ? ` [${FAILURE_LABEL[s.failure.kind]}]` : "";
  const reason = s.error ?? s.failure?.message ?? null;
  if (reason) lines.push(`Reason${kind}: ${reason}`);
  if (s.failure?.retryAt) lines.push(`The provider said it accepts work again at ${new Date(s.failure.retryAt).toISOString()}.`);
  if (summary && summary.trim()) lines.push("", "```", summary.trimEnd().slice(-3000), "```");
  return lines.join("\n");
}

const FAILURE_LABEL: Record<NonNullable<AttemptState["failure"]>["kind"], string> = {
  agent_error: "agent error",
  timeout: "timeout",
  rate_limit: "rate limit",
  cancelled: "cancelled",
  runner_lost: "runner lost",
  bad_config: "configuration",
};

/** Where an issue goes when a run ends. Done is for humans: a successful run asks for review. */
const ISSUE_STATUS_AFTER: Partial<Record<AttemptState["status"], "done" | "in_review" | "blocked" | "todo">> = {
  succeeded: "in_review",
  failed: "blocked",
  cancelled: "todo",
};

/**
 * Writes one batch to D1 and clears what it wrote from the store; throws on D1 failure (nothing
 * is cleared then, and the next flush writes it again). Returns the run ends it wrote, for the
 * caller to tell the boards (run-end-news.ts).
 */
export async function flushToD1(d1: D1Database, store: TaskStore, workspaceId: string, now: number): Promise<RunEndWrite[]> {
  const db = createDb(d1);
  const attempts = store.dirtyAttempts(200);
  const runners = store.dirtyRunners();
  const pending = store.pendingEvents();
  const statements: BatchItem<"sqlite">[] = [];
  const posted = new Set<AttemptState>();
  const ended: RunEndWrite[] = [];
  // Tokens first: an attempt that ended in this same batch then finds its token to revoke.
  const tokens = await pendingTokenStatements(db, store, workspaceId);
  statements.push(...tokens.statements);

  for (const r of runners) {
    const row = { id: r.runnerId, workspaceId, name: r.name, version: r.version, concurrency: r.concurrency, online: r.online, connectedAt: r.connectedAt, lastSeenAt: r.lastSeenAt };
    statements.push(db.insert(schema.runners).values(row).onConflictDoUpdate({ target: schema.runners.id, set: row }));
    statements.push(db.delete(schema.runtimes).where(sql`${schema.runtimes.runnerId} = ${r.runnerId}`));
    for (const rt of r.runtimes) {
      statements.push(db.insert(schema.runtimes).values({ runnerId: r.runnerId, key: rt.key, version: rt.version, updatedAt: now }));
    }
  }

  const spoke = await agentsWhoCommented(db, attempts.filter((a) => a.status === "succeeded" && a.endedAt !== null && !a.resultPosted).map((a) => a.taskId));
  for (const a of attempts) {
    const row = {
      id: a.taskId, attempt: a.attempt, workspaceId, issueId: a.issueId, agentId: a.agentId, runtime: a.runtime ?? a.runtimes[0] ?? "",
      status: a.status, runnerId: a.runnerId, queuedAt: a.queuedAt, dispatchedAt: a.dispatchedAt, startedAt: a.startedAt,
      endedAt: a.endedAt, exitCode: a.exitCode, signal: a.signal, error: a.error, failureKind: a.failure?.kind ?? null, notBefore: a.notBefore ?? null,
      sessionId: a.sessionId, usage: a.usage, lastSeq: a.lastSeq,
    };
    statements.push(db.insert(schema.tasks).values(row).onConflictDoUpdate({ target: [schema.tasks.id, schema.tasks.attempt], set: row }));
    if (a.endedAt !== null && !a.resultPosted) {
      const runnerName = a.runnerId ? (store.getRunner(a.runnerId)?.name ?? null) : null;
      // A successful run whose agent already commented (through its MCP tools) has said its piece;
      // any other ending is always reported.
      const comment = a.status === "succeeded" && spoke.has(a.taskId) ? null : {
        id: `cmt_${a.taskId.slice(4)}a${a.attempt}`, issueId: a.issueId, author: `agent:${a.agentId}`,
        body: resultComment(a, a.summary, runnerName), parentId: null, taskId: a.taskId, createdAt: a.endedAt,
      };
      if (comment) statements.push(db.insert(schema.comments).values(comment).onConflictDoNothing());
      // The run's outcome in the issue's activity log (one row per attempt, whatever the retries of this flush).
      const failure = a.failure ? { failure: a.failure.kind } : {};
      const activity = {
        id: `act_end_${a.taskId.slice(a.taskId.indexOf("_") + 1)}a${a.attempt}`, workspaceId, issueId: a.issueId, actor: `agent:${a.agentId}`,
        kind: "run_ended" as const, data: { taskId: a.taskId, attempt: a.attempt, status: a.status, ...failure }, createdAt: a.endedAt,
      };
      statements.push(db.insert(schema.activities).values(activity).onConflictDoNothing());
      // A parked or retried attempt leaves the issue in progress: the task is not over.
      const after = ISSUE_STATUS_AFTER[a.status] ?? (a.status === "lost" && a.attempt >= a.maxAttempts ? "blocked" : null);
      // Agents allowed to close their issues (agent.canClose) finish them as done.
      const next = wasParked(a) ? null : after === "in_review" && store.payload(a.taskId)?.canClose ? "done" : after;
      if (next) statements.push(db.update(schema.issues).set({ status: next, updatedAt: now }).where(sql`${schema.issues.id} = ${a.issueId}`));
      ended.push({ issueId: a.issueId, comment, activity, status: next });
      statements.push(revokeTokenStatement(db, a, now));
      posted.add(a);
    }
  }

  const flushedEvents = new Map<string, { taskId: string; attempt: number; upTo: number; events: SequencedEvent[] }>();
  for (const p of pending) {
    const key = `${p.taskId}#${p.attempt}`;
    const group = flushedEvents.get(key) ?? { taskId: p.taskId, attempt: p.attempt, upTo: 0, events: [] };
    group.events.push({ seq: p.seq, ts: p.ts, event: p.event });
    group.upTo = p.seq;
    flushedEvents.set(key, group);
  }
  for (const g of flushedEvents.values()) {
    for (const c of toChunks(g.taskId, g.attempt, g.events)) {
      const first = c.events[0]!.seq;
      const last = c.events[c.events.length - 1]!.seq;
      const row = { taskId: c.taskId, attempt: c.attempt, firstSeq: first, lastSeq: last, events: JSON.stringify(c.events), createdAt: now };
      // A retried flush may start at the same seq with more events: keep the longer chunk.
      statements.push(
        db.insert(schema.transcriptChunks).values(row).onConflictDoUpdate({
          target: [schema.transcriptChunks.taskId, schema.transcriptChunks.attempt, schema.transcriptChunks.firstSeq],
          set: { lastSeq: row.lastSeq, events: row.events },
          setWhere: sql`excluded.last_seq > ${schema.transcriptChunks.lastSeq}`,
        }),
      );
    }
  }

  if (statements.length === 0) return [];
  const [first, ...rest] = statements;
  await db.batch([first!, ...rest]);

  for (const r of runners) store.markRunnerSynced(r);
  store.markSynced(attempts.map((a) => {
    const { resultPosted: _p, summary: _s, ...state } = a;
    return { state, posted: posted.has(a) };
  }));
  store.deletePendingEvents([...flushedEvents.values()]);
  store.dropAgentTokens(tokens.flushed);
  return ended;
}

/** Tasks (of `taskIds`) whose agent posted a comment itself while running. */
async function agentsWhoCommented(db: ReturnType<typeof createDb>, taskIds: string[]): Promise<Set<string>> {
  if (taskIds.length === 0) return new Set();
  const rows = await db.select({ taskId: schema.comments.taskId, id: schema.comments.id }).from(schema.comments)
    .where(and(inArray(schema.comments.taskId, taskIds), like(schema.comments.author, "agent:%")));
  // The result comments of earlier attempts (cmt_<task>a<n>) are ours, not the agent's own words.
  return new Set(rows.flatMap((r) => (r.taskId && !r.id.startsWith(`cmt_${r.taskId.slice(4)}a`) ? [r.taskId] : [])));
}

/** Reads an attempt range of a task's transcript from D1 chunks, in (attempt, seq) order. */
export async function readChunks(d1: D1Database, taskId: string) {
  const db = createDb(d1);
  const rows = await db
    .select({ attempt: schema.transcriptChunks.attempt, events: schema.transcriptChunks.events })
    .from(schema.transcriptChunks)
    .where(sql`${schema.transcriptChunks.taskId} = ${taskId}`)
    .orderBy(schema.transcriptChunks.attempt, schema.transcriptChunks.firstSeq);
  return rows.flatMap((r) => (JSON.parse(r.events) as SequencedEvent[]).map((e) => ({ attempt: r.attempt, ...e })));
}
