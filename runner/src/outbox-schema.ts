/**
 * Tables of the runner's outbox file (runner.db), created by outbox.ts when it opens the file.
 * `last_seq` on attempts remembers the highest seq ever stored, so a report written after all
 * events were acked and deleted (e.g. `lost` after a restart) still carries the right lastSeq.
 */
export const OUTBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
  task_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  state TEXT NOT NULL,            -- 'running' | 'finished' (its report is stored)
  assign_json TEXT NOT NULL,      -- the task.assign frame, for diagnosis
  last_seq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (task_id, attempt)
);
CREATE TABLE IF NOT EXISTS events (
  task_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  event_json TEXT NOT NULL,
  PRIMARY KEY (task_id, attempt, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reports (
  task_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  report_json TEXT NOT NULL,
  PRIMARY KEY (task_id, attempt)
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
`;
