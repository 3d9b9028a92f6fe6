/**
 * Test-only stand-in for a Durable Object's `ctx.storage.sql`, over Node's built-in SQLite, so
 * TaskStore's SQL can be unit-tested without workerd. Implements only what TaskStore uses:
 * `exec(query, ...bindings)` returning a cursor with `toArray()`. Multi-statement strings (the
 * schema) are run as a script.
 */
import { DatabaseSync } from "node:sqlite";

type Value = string | number | null;

export function createTestSqlStorage(): SqlStorage {
  const db = new DatabaseSync(":memory:");
  const exec = (query: string, ...bindings: Value[]) => {
    const multi = bindings.length === 0 && query.split(";").filter((s) => s.trim()).length > 1;
    if (multi) {
      db.exec(query);
      return { toArray: () => [] };
    }
    const stmt = db.prepare(query);
    const rows = stmt.columns().length > 0 ? (stmt.all(...bindings) as Record<string, Value>[]) : (stmt.run(...bindings), []);
    return { toArray: () => rows, one: () => rows[0] };
  };
  return { exec } as unknown as SqlStorage;
}
