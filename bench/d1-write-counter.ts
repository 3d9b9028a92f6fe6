/**
 * Counts rows written to the local D1 database (wrangler dev keeps it as a SQLite file under the
 * persist directory) by installing AFTER INSERT/UPDATE/DELETE triggers on every table of our
 * schema that bump a counter table. Counts what the control plane writes, updates included,
 * which D1 bills as rows written; FTS shadow tables and D1's own bookkeeping are left out.
 * Used by d1-rows.bench-run.ts on a control plane of its own (the triggers cost a little).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { createClient, type Client } from "@libsql/client";

const COUNTS = "bench_d1_writes";

export type WriteCounts = Map<string, number>;

export class D1WriteCounter {
  private constructor(private readonly db: Client) {}

  static async install(persistTo: string): Promise<D1WriteCounter> {
    const dir = join(persistTo, "v3", "d1", "miniflare-D1DatabaseObject");
    const file = readdirSync(dir).find((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite");
    if (!file) throw new Error(`no D1 database file in ${dir}`);
    const db = createClient({ url: `file:${join(dir, file)}` });
    const rows = (await db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).rows as unknown as { name: string; sql: string | null }[];
    const virtual = rows.filter((r) => /^CREATE VIRTUAL/i.test(r.sql ?? "")).map((r) => r.name);
    const tables = rows
      .map((r) => r.name)
      .filter((n) => !/^(sqlite_|_cf_|d1_migrations$)/.test(n) && n !== COUNTS && !virtual.some((v) => n === v || n.startsWith(`${v}_`)));
    const statements = [`CREATE TABLE IF NOT EXISTS ${COUNTS} (tbl TEXT NOT NULL, op TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (tbl, op))`];
    for (const t of tables) {
      for (const op of ["INSERT", "UPDATE", "DELETE"]) {
        const name = `bench_count_${op.toLowerCase()}_${t}`;
        statements.push(`INSERT OR IGNORE INTO ${COUNTS} (tbl, op, n) VALUES ('${t}', '${op.toLowerCase()}', 0)`);
        statements.push(`CREATE TRIGGER IF NOT EXISTS ${name} AFTER ${op} ON "${t}" BEGIN UPDATE ${COUNTS} SET n = n + 1 WHERE tbl = '${t}' AND op = '${op.toLowerCase()}'; END`);
      }
    }
    await db.batch(statements, "write");
    return new D1WriteCounter(db);
  }

  async read(): Promise<WriteCounts> {
    const rows = (await this.db.execute(`SELECT tbl, op, n FROM ${COUNTS}`)).rows as unknown as { tbl: string; op: string; n: number }[];
    return new Map(rows.map((r) => [`${r.tbl} ${r.op}`, Number(r.n)]));
  }

  /** Waits until the counts stop changing for `quietMs` (the DO mirrors to D1 in delayed batches). */
  async settled(quietMs = 1500, timeoutMs = 30_000): Promise<WriteCounts> {
    const deadline = Date.now() + timeoutMs;
    let last = await this.read();
    let since = Date.now();
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      const now = await this.read();
      if (total(now) !== total(last)) (last = now), (since = Date.now());
      else if (Date.now() - since >= quietMs) return now;
    }
    return last;
  }

  close(): void {
    this.db.close();
  }
}

export const total = (c: WriteCounts) => [...c.values()].reduce((a, b) => a + b, 0);

/** `after - before` per "table op", largest first, zeros dropped. */
export function difference(after: WriteCounts, before: WriteCounts): [string, number][] {
  return [...after].map(([k, n]): [string, number] => [k, n - (before.get(k) ?? 0)]).filter(([, n]) => n !== 0).sort((a, b) => b[1] - a[1]);
}
