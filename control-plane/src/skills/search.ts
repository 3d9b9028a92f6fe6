/**
 * Full-text search over a workspace's skills (SQLite FTS5 in D1, bm25 ranking with the name
 * weighted over the description over the SKILL.md body). Free text from users and issue bodies
 * is turned into a safe FTS query: words only, each a quoted prefix term, OR-ed, so more
 * matching words rank higher and FTS syntax in the input cannot break the query.
 */
import { sql } from "drizzle-orm";
import type { createDb } from "../db/client";

type Db = ReturnType<typeof createDb>;

/** Words considered per query: an issue body is long, its first words say enough. */
const MAX_TERMS = 24;
/** Column weights for bm25: name, description, body. */
const WEIGHTS = sql.raw("bm25(skills_fts, 10.0, 4.0, 1.0)");
/** Common words that would match every skill. */
const STOP = new Set(["the", "and", "for", "with", "this", "that", "from", "into", "are", "was", "you", "use", "how", "what", "please"]);

/** A safe FTS5 MATCH expression for free text, or null when it has no searchable words. */
export function ftsQuery(text: string): string | null {
  const words = [...new Set((text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length >= 2 && !STOP.has(w)))].slice(0, MAX_TERMS);
  return words.length === 0 ? null : words.map((w) => `"${w}"*`).join(" OR ");
}

export interface SkillHit {
  skillId: string;
  name: string;
  description: string;
  /** bm25: lower is better. */
  rank: number;
}

/** The best-matching unarchived skills of the workspace for `text`, best first. */
export async function searchSkills(db: Db, workspaceId: string, text: string, limit: number): Promise<SkillHit[]> {
  const match = ftsQuery(text);
  if (!match) return [];
  const rows = await db.all<{ skill_id: string; name: string; description: string; rank: number }>(sql`
    SELECT s.id AS skill_id, s.name AS name, s.description AS description, ${WEIGHTS} AS rank
    FROM skills_fts JOIN skills s ON s.id = skills_fts.skill_id
    WHERE skills_fts MATCH ${match} AND s.workspace_id = ${workspaceId} AND s.archived_at IS NULL
    ORDER BY rank LIMIT ${limit}`);
  return rows.map((r) => ({ skillId: r.skill_id, name: r.name, description: r.description, rank: r.rank }));
}
