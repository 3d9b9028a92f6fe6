/**
 * The workspace Durable Object's own SQLite storage: attempts (live state, authoritative),
 * per-task assignment payloads, transcript events not yet flushed to D1, runner details, and
 * agent tokens minted at dispatch that D1 does not have yet (their hashes; see agent-tokens.ts).
 * Synchronous calls (`ctx.storage.sql`), so a sequence of them inside one handler is atomic
 * with respect to other handlers of the same object.
 */
import type { AgentEvent, AssignComment, ControlTaskAssign, RuntimeInfo, SequencedEvent } from "@multica/shared";
import type { QueueKey, QueuedAgent } from "./dispatch";
import type { AttemptState } from "./task-machine";

/**
 * What the Durable Object needs to build a `task.assign` frame for any attempt. A follow-up
 * (comments on an issue the agent already worked on) carries the new comments; dispatch
 * decides whether they continue the earlier session or start fresh with its summary.
 */
export type TaskPayload = Pick<ControlTaskAssign, "issue" | "agent" | "prompt"> &
  Partial<Pick<ControlTaskAssign, "repository" | "limits" | "skills">> & {
    maxConcurrent: number;
    /** The agent's runner pool (agent.runnerIds); null or absent for any runner with the runtime. */
    runnerIds?: string[] | null;
    followUp?: { comments: AssignComment[] } | null;
    /** The agent may set its issue to done; otherwise a successful run leaves it in review. */
    canClose?: boolean;
  };

export interface QueuedRow {
  taskId: string;
  attempt: number;
  agentId: string;
  issueId: string;
  queuedAt: number;
  runtimes: string[];
  maxConcurrent: number;
  followUp: boolean;
  runnerIds: string[] | null;
}

/** An attempt's agent token waiting to be written to D1: only the SHA-256 of its secret. */
export interface PendingAgentToken {
  taskId: string;
  attempt: number;
  issueId: string;
  secretHash: string;
  createdAt: number;
  expiresAt: number;
}

export interface RunnerRecord {
  runnerId: string;
  name: string;
  version: string;
  concurrency: number;
  runtimes: RuntimeInfo[];
  online: boolean;
  connectedAt: number | null;
  lastSeenAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks (
  task_id TEXT PRIMARY KEY, payload TEXT NOT NULL, max_concurrent INTEGER NOT NULL, runtimes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
  task_id TEXT NOT NULL, attempt INTEGER NOT NULL, state TEXT NOT NULL,
  status TEXT NOT NULL, runner_id TEXT, lease_expires_at INTEGER, queued_at INTEGER NOT NULL, agent_id TEXT NOT NULL,
  summary TEXT, dirty INTEGER NOT NULL DEFAULT 1, result_posted INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (task_id, attempt));
CREATE INDEX IF NOT EXISTS attempts_queue ON attempts (status, queued_at, task_id);
CREATE INDEX IF NOT EXISTS attempts_runner ON attempts (runner_id, status);
CREATE TABLE IF NOT EXISTS queue_counts (agent_id TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_dirty ON attempts (dirty);
CREATE TABLE IF NOT EXISTS events (
  task_id TEXT NOT NULL, attempt INTEGER NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, event TEXT NOT NULL,
  PRIMARY KEY (task_id, attempt, seq));
CREATE TABLE IF NOT EXISTS runners (
  runner_id TEXT PRIMARY KEY, record TEXT NOT NULL, dirty INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS agent_tokens (
  task_id TEXT NOT NULL, attempt INTEGER NOT NULL, issue_id TEXT NOT NULL, secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (task_id, attempt));
`;

/**
 * Columns added after the first release, for objects whose tables predate them: issue_id (per
 * issue lookups for follow-ups), not_before (parked attempts), follow_up (tasks that are follow-ups).
 */
const ADDED_COLUMNS: [table: string, column: string, ddl: string][] = [
  ["attempts", "issue_id", "ALTER TABLE attempts ADD COLUMN issue_id TEXT"],
  ["attempts", "not_before", "ALTER TABLE attempts ADD COLUMN not_before INTEGER"],
  ["tasks", "follow_up", "ALTER TABLE tasks ADD COLUMN follow_up INTEGER NOT NULL DEFAULT 0"],
  ["tasks", "runner_ids", "ALTER TABLE tasks ADD COLUMN runner_ids TEXT"],
  ["queue_counts", "max_concurrent", `ALTER TABLE queue_counts ADD COLUMN max_concurrent INTEGER;
    UPDATE queue_counts SET max_concurrent = (SELECT max(t.max_concurrent) FROM attempts a JOIN tasks t ON t.task_id = a.task_id
      WHERE a.agent_id = queue_counts.agent_id AND a.status = 'queued')`],
];

/**
 * Per agent, how many attempts are queued (queue_counts.n) and an upper bound of their limits
 * (max_concurrent: the largest limit among attempts queued since the agent's queue was last
 * empty), kept by triggers so that dispatch skips agents at their limit without reading their
 * queues. Replaces the first triggers, which kept only the count. After ADDED_COLUMNS.
 */
const LATER_SCHEMA = `
CREATE INDEX IF NOT EXISTS attempts_issue ON attempts (issue_id, agent_id, queued_at);
CREATE INDEX IF NOT EXISTS attempts_agent_queue ON attempts (agent_id, status, queued_at, task_id);
DROP TRIGGER IF EXISTS queue_in;
DROP TRIGGER IF EXISTS queue_move;
CREATE TRIGGER IF NOT EXISTS queue_in_limit AFTER INSERT ON attempts WHEN new.status = 'queued' BEGIN
  INSERT INTO queue_counts (agent_id, n, max_concurrent)
    VALUES (new.agent_id, 1, (SELECT max_concurrent FROM tasks WHERE task_id = new.task_id))
    ON CONFLICT (agent_id) DO UPDATE SET n = n + 1,
      max_concurrent = CASE WHEN n <= 0 THEN excluded.max_concurrent ELSE max(max_concurrent, excluded.max_concurrent) END;
END;
CREATE TRIGGER IF NOT EXISTS queue_move_limit AFTER UPDATE OF status ON attempts WHEN (old.status = 'queued') <> (new.status = 'queued') BEGIN
  INSERT INTO queue_counts (agent_id, n, max_concurrent)
    VALUES (new.agent_id, CASE WHEN new.status = 'queued' THEN 1 ELSE -1 END,
      CASE WHEN new.status = 'queued' THEN (SELECT max_concurrent FROM tasks WHERE task_id = new.task_id) END)
    ON CONFLICT (agent_id) DO UPDATE SET n = n + excluded.n,
      max_concurrent = CASE WHEN excluded.n < 0 THEN max_concurrent WHEN n <= 0 THEN excluded.max_concurrent
        ELSE max(max_concurrent, excluded.max_concurrent) END;
END;
`;

/** Longest result summary kept per attempt (the tail of what the agent said). */
const MAX_SUMMARY = 4000;

export class TaskStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
    for (const [table, column, ddl] of ADDED_COLUMNS) {
      const has = sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('${table}') WHERE name = ?`, column).toArray().length > 0;
      if (!has) sql.exec(ddl);
    }
    sql.exec(LATER_SCHEMA);
  }

  getMeta(key: string): string | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row ? row.value : null;
  }

  setMeta(key: string, value: string): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, value);
  }

  createTask(first: AttemptState, payload: TaskPayload): void {
    this.sql.exec(
      "INSERT INTO tasks (task_id, payload, max_concurrent, runtimes, follow_up, runner_ids) VALUES (?, ?, ?, ?, ?, ?)",
      first.taskId, JSON.stringify(payload), payload.maxConcurrent, JSON.stringify(first.runtimes), payload.followUp ? 1 : 0,
      payload.runnerIds && payload.runnerIds.length > 0 ? JSON.stringify(payload.runnerIds) : null,
    );
    this.putAttempt(first);
  }

  setPayload(taskId: string, payload: TaskPayload): void {
    this.sql.exec("UPDATE tasks SET payload = ? WHERE task_id = ?", JSON.stringify(payload), taskId);
  }

  /** A follow-up of (issue, agent) still waiting for its first dispatch: new comments join it. */
  queuedFollowUp(issueId: string, agentId: string): AttemptState | null {
    return this.rows(
      `SELECT a.state FROM attempts a JOIN tasks t ON t.task_id = a.task_id
       WHERE a.issue_id = ? AND a.agent_id = ? AND a.status = 'queued' AND a.attempt = 1 AND t.follow_up = 1
       ORDER BY a.queued_at DESC LIMIT 1`,
      issueId, agentId,
    )[0] ?? null;
  }

  /** Whether another attempt of (issue, agent) is dispatched or running: follow-ups wait for it. */
  busyWith(issueId: string, agentId: string, exceptTaskId: string): boolean {
    return this.sql.exec(
      "SELECT 1 FROM attempts WHERE issue_id = ? AND agent_id = ? AND status IN ('dispatched', 'running') AND task_id <> ? LIMIT 1",
      issueId, agentId, exceptTaskId,
    ).toArray().length > 0;
  }

  /** The latest ended attempt of (issue, agent) that left a session to resume. */
  lastSession(issueId: string, agentId: string): AttemptState | null {
    return this.rows(
      `SELECT state FROM attempts WHERE issue_id = ? AND agent_id = ? AND status IN ('succeeded', 'failed', 'cancelled', 'lost')
         AND json_extract(state, '$.sessionId') IS NOT NULL ORDER BY queued_at DESC, attempt DESC LIMIT 1`,
      issueId, agentId,
    )[0] ?? null;
  }

  /** The earliest time a parked attempt becomes dispatchable, if any is parked. */
  nextUnpark(now: number): number | null {
    const row = this.sql.exec<{ t: number | null }>("SELECT min(not_before) AS t FROM attempts WHERE status = 'queued' AND not_before > ?", now).toArray()[0];
    return row?.t ?? null;
  }

  payload(taskId: string): TaskPayload | null {
    const row = this.sql.exec<{ payload: string }>("SELECT payload FROM tasks WHERE task_id = ?", taskId).toArray()[0];
    return row ? (JSON.parse(row.payload) as TaskPayload) : null;
  }

  /**
   * Inserts or replaces an attempt and marks it for mirroring to D1; `summaryTail` is appended
   * to the attempt's result summary (kept to its last MAX_SUMMARY characters). One statement:
   * this runs for every frame a runner sends.
   */
  putAttempt(s: AttemptState, summaryTail: string | null = null): void {
    this.sql.exec(
      `INSERT INTO attempts (task_id, attempt, state, status, runner_id, lease_expires_at, queued_at, agent_id, summary, dirty, issue_id, not_before)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, substr(coalesce(?, ''), -?), 1, ?11, ?12)
       ON CONFLICT (task_id, attempt) DO UPDATE SET state = excluded.state, status = excluded.status,
         runner_id = excluded.runner_id, lease_expires_at = excluded.lease_expires_at, dirty = 1, not_before = excluded.not_before,
         summary = CASE WHEN ?9 IS NULL THEN summary ELSE substr(coalesce(summary, '') || ?9, -?10) END`,
      s.taskId, s.attempt, JSON.stringify(s), s.status, s.runnerId, s.leaseExpiresAt, s.queuedAt, s.agentId, summaryTail, MAX_SUMMARY,
      s.issueId, s.notBefore ?? null,
    );
  }

  private rows(query: string, ...args: (string | number | null)[]): AttemptState[] {
    return this.sql.exec<{ state: string }>(query, ...args).toArray().map((r) => JSON.parse(r.state) as AttemptState);
  }

  getAttempt(taskId: string, attempt: number): AttemptState | null {
    return this.rows("SELECT state FROM attempts WHERE task_id = ? AND attempt = ?", taskId, attempt)[0] ?? null;
  }

  latestAttempt(taskId: string): AttemptState | null {
    return this.rows("SELECT state FROM attempts WHERE task_id = ? ORDER BY attempt DESC LIMIT 1", taskId)[0] ?? null;
  }

  attempts(taskId: string): AttemptState[] {
    return this.rows("SELECT state FROM attempts WHERE task_id = ? ORDER BY attempt", taskId);
  }

  /** Agents with at least one queued attempt and the bound of their limits: O(agents), kept by triggers. */
  queuedAgents(): QueuedAgent[] {
    return this.sql
      .exec<{ agent_id: string; max_concurrent: number | null }>("SELECT agent_id, max_concurrent FROM queue_counts WHERE n > 0")
      .toArray()
      .map((r) => ({ agentId: r.agent_id, limit: r.max_concurrent }));
  }

  /**
   * One agent's queued attempts that may run at `now` (not parked), oldest first, after `after`.
   * Dispatch runs on every report, so this walks the (agent_id, status, queued_at, task_id) index,
   * stops at `limit` and reads narrow columns, never the full state or payload.
   */
  queuedOf(agentId: string, after: QueueKey | null, limit: number, now = Date.now()): QueuedRow[] {
    return this.sql
      .exec<{ task_id: string; attempt: number; queued_at: number; issue_id: string | null; runtimes: string; max_concurrent: number; follow_up: number; runner_ids: string | null }>(
        `SELECT a.task_id, a.attempt, a.queued_at, a.issue_id, t.runtimes, t.max_concurrent, t.follow_up, t.runner_ids
         FROM (SELECT task_id, attempt, issue_id, queued_at FROM attempts
               WHERE agent_id = ? AND status = 'queued' AND (queued_at, task_id) > (?, ?) AND (not_before IS NULL OR not_before <= ?)
               ORDER BY queued_at, task_id LIMIT ?) a
         JOIN tasks t ON t.task_id = a.task_id ORDER BY a.queued_at, a.task_id`,
        agentId, after?.queuedAt ?? -1, after?.taskId ?? "", now, limit,
      )
      .toArray()
      .map((r) => ({
        taskId: r.task_id, attempt: r.attempt, agentId, issueId: r.issue_id ?? "", queuedAt: r.queued_at,
        runtimes: JSON.parse(r.runtimes) as string[], maxConcurrent: r.max_concurrent, followUp: r.follow_up === 1,
        runnerIds: r.runner_ids ? (JSON.parse(r.runner_ids) as string[]) : null,
      }));
  }

  /** Attempts dispatched to or running on `runnerId`. */
  heldBy(runnerId: string): AttemptState[] {
    return this.rows("SELECT state FROM attempts WHERE runner_id = ? AND status IN ('dispatched', 'running')", runnerId);
  }

  /** How many attempts are dispatched or running, per (runner, agent): slot and per-agent counts. */
  heldCounts(): { runnerId: string; agentId: string; n: number }[] {
    return this.sql
      .exec<{ runner_id: string; agent_id: string; n: number }>(
        "SELECT runner_id, agent_id, count(*) AS n FROM attempts WHERE status IN ('dispatched', 'running') GROUP BY runner_id, agent_id",
      )
      .toArray()
      .map((r) => ({ runnerId: r.runner_id, agentId: r.agent_id, n: r.n }));
  }

  /** Every attempt dispatched or running, with full state. */
  heldAll(): AttemptState[] {
    return this.rows("SELECT state FROM attempts WHERE status IN ('dispatched', 'running')");
  }

  expiredLeases(now: number): AttemptState[] {
    return this.rows("SELECT state FROM attempts WHERE status IN ('dispatched', 'running') AND lease_expires_at <= ?", now);
  }

  nextLeaseExpiry(): number | null {
    const row = this.sql
      .exec<{ t: number | null }>("SELECT min(lease_expires_at) AS t FROM attempts WHERE status IN ('dispatched', 'running')")
      .toArray()[0];
    return row?.t ?? null;
  }

  /**
   * Stores events (already checked to be contiguous) together with the attempt's new state
   * (whose lastSeq the caller advanced to the last of them).
   */
  appendEvents(next: AttemptState, events: readonly SequencedEvent[]): void {
    let summary: string | null = null;
    for (const e of events) {
      this.sql.exec("INSERT INTO events (task_id, attempt, seq, ts, event) VALUES (?, ?, ?, ?, ?)", next.taskId, next.attempt, e.seq, e.ts, JSON.stringify(e.event));
      summary = summarize(summary, e.event);
    }
    this.putAttempt(next, summary);
  }

  summary(taskId: string, attempt: number): string | null {
    const row = this.sql.exec<{ summary: string | null }>("SELECT summary FROM attempts WHERE task_id = ? AND attempt = ?", taskId, attempt).toArray()[0];
    return row?.summary ?? null;
  }

  /** Events not yet flushed to D1, for one attempt after `afterSeq`, or all of them. */
  pendingEvents(taskId?: string): { taskId: string; attempt: number; seq: number; ts: number; event: AgentEvent }[] {
    const cursor = taskId
      ? this.sql.exec<EventRow>("SELECT * FROM events WHERE task_id = ? ORDER BY attempt, seq", taskId)
      : this.sql.exec<EventRow>("SELECT * FROM events ORDER BY task_id, attempt, seq LIMIT 5000");
    return cursor.toArray().map((r) => ({ taskId: r.task_id, attempt: r.attempt, seq: r.seq, ts: r.ts, event: JSON.parse(r.event) as AgentEvent }));
  }

  /** Drops pending events now stored in D1: per attempt, every seq up to `upTo` (a primary-key range each). */
  deletePendingEvents(flushed: readonly { taskId: string; attempt: number; upTo: number }[]): void {
    for (const f of flushed) this.sql.exec("DELETE FROM events WHERE task_id = ? AND attempt = ? AND seq <= ?", f.taskId, f.attempt, f.upTo);
  }

  dirtyAttempts(limit: number): (AttemptState & { resultPosted: boolean; summary: string | null })[] {
    return this.sql
      .exec<{ state: string; result_posted: number; summary: string | null }>(
        "SELECT state, result_posted, summary FROM attempts WHERE dirty = 1 LIMIT ?",
        limit,
      )
      .toArray()
      .map((r) => ({ ...(JSON.parse(r.state) as AttemptState), resultPosted: r.result_posted === 1, summary: r.summary }));
  }

  /**
   * Clears the dirty flags of mirrored attempts, except those that changed again since they were
   * read (their state no longer matches). A primary-key lookup each: a single statement joining
   * a JSON list made SQLite scan the table per entry.
   */
  markSynced(synced: readonly { state: AttemptState; posted: boolean }[]): void {
    for (const { state, posted } of synced) {
      this.sql.exec(
        "UPDATE attempts SET dirty = 0, result_posted = max(result_posted, ?) WHERE task_id = ? AND attempt = ? AND state = ?",
        posted ? 1 : 0, state.taskId, state.attempt, JSON.stringify(state),
      );
    }
  }

  hasDirty(): boolean {
    return (
      this.sql.exec("SELECT 1 FROM attempts WHERE dirty = 1 LIMIT 1").toArray().length > 0 ||
      this.sql.exec("SELECT 1 FROM runners WHERE dirty = 1 LIMIT 1").toArray().length > 0 ||
      this.sql.exec("SELECT 1 FROM events LIMIT 1").toArray().length > 0 ||
      this.sql.exec("SELECT 1 FROM agent_tokens LIMIT 1").toArray().length > 0
    );
  }

  /** Records an attempt's new token; a re-dispatch of the same attempt replaces the earlier one. */
  putAgentToken(t: PendingAgentToken): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO agent_tokens (task_id, attempt, issue_id, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
      t.taskId, t.attempt, t.issueId, t.secretHash, t.createdAt, t.expiresAt,
    );
  }

  /** Tokens not yet in D1, oldest first. */
  pendingAgentTokens(limit: number): PendingAgentToken[] {
    return this.sql
      .exec<{ task_id: string; attempt: number; issue_id: string; secret_hash: string; created_at: number; expires_at: number }>(
        "SELECT * FROM agent_tokens ORDER BY created_at LIMIT ?",
        limit,
      )
      .toArray()
      .map((r) => ({ taskId: r.task_id, attempt: r.attempt, issueId: r.issue_id, secretHash: r.secret_hash, createdAt: r.created_at, expiresAt: r.expires_at }));
  }

  /** Forgets tokens now in D1, except those replaced (re-minted) since they were read. */
  dropAgentTokens(flushed: readonly Pick<PendingAgentToken, "taskId" | "attempt" | "secretHash">[]): void {
    for (const t of flushed) this.sql.exec("DELETE FROM agent_tokens WHERE task_id = ? AND attempt = ? AND secret_hash = ?", t.taskId, t.attempt, t.secretHash);
  }

  /** Runner records read during this object's life; dispatch reads them on every pass. */
  private readonly runnerCache = new Map<string, RunnerRecord>();

  putRunner(r: RunnerRecord): void {
    this.sql.exec("INSERT OR REPLACE INTO runners (runner_id, record, dirty) VALUES (?, ?, 1)", r.runnerId, JSON.stringify(r));
    this.runnerCache.set(r.runnerId, r);
  }

  getRunner(runnerId: string): RunnerRecord | null {
    const cached = this.runnerCache.get(runnerId);
    if (cached) return cached;
    const row = this.sql.exec<{ record: string }>("SELECT record FROM runners WHERE runner_id = ?", runnerId).toArray()[0];
    if (!row) return null;
    const record = JSON.parse(row.record) as RunnerRecord;
    this.runnerCache.set(runnerId, record);
    return record;
  }

  dirtyRunners(): RunnerRecord[] {
    return this.sql.exec<{ record: string }>("SELECT record FROM runners WHERE dirty = 1").toArray().map((r) => JSON.parse(r.record) as RunnerRecord);
  }

  markRunnerSynced(r: RunnerRecord): void {
    this.sql.exec("UPDATE runners SET dirty = 0 WHERE runner_id = ? AND record = ?", r.runnerId, JSON.stringify(r));
  }
}

interface EventRow extends Record<string, SqlStorageValue> {
  task_id: string;
  attempt: number;
  seq: number;
  ts: number;
  event: string;
}

/** Keeps what is worth quoting in the result comment: what the agent said, else its output. */
function summarize(prev: string | null, e: AgentEvent): string | null {
  if (e.kind === "message") return (prev ?? "") + e.text + "\n";
  if (e.kind === "output" || e.kind === "error") return (prev ?? "") + ("text" in e ? e.text : e.message) + "\n";
  return prev;
}
