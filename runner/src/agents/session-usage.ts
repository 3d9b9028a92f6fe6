/**
 * Cumulative token usage per agent session, remembered across runs and runner restarts. Codex and
 * Copilot report a session's usage as a running total; a resumed run subtracts what the session
 * had before, so its own usage is right even when the runner restarted in between. Kept in a small
 * JSON file (newest last, at most `max` sessions), written atomically; an unreadable file is
 * treated as empty, which only makes the next resumed run report its session's total.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { TokenUsage } from "@multica/shared";
import { z } from "zod";

const Stored = z.array(z.tuple([z.string(), TokenUsage]));

export class SessionUsage {
  private map: Map<string, TokenUsage> | null = null;

  /** `file`: where to keep it; null keeps it in memory only (tests, no data dir). */
  constructor(
    private readonly file: string | null,
    private readonly max = 256,
  ) {}

  get(sessionId: string): TokenUsage | null {
    return this.load().get(sessionId) ?? null;
  }

  remember(sessionId: string, usage: TokenUsage): void {
    const map = this.load();
    map.delete(sessionId);
    map.set(sessionId, usage);
    while (map.size > this.max) {
      const oldest = map.keys().next();
      if (oldest.done) break;
      map.delete(oldest.value);
    }
    this.save(map);
  }

  private load(): Map<string, TokenUsage> {
    if (this.map) return this.map;
    let entries: [string, TokenUsage][] = [];
    if (this.file) {
      try {
        const parsed = Stored.safeParse(JSON.parse(readFileSync(this.file, "utf8")));
        if (parsed.success) entries = parsed.data;
      } catch {
        // Absent or unreadable: start empty.
      }
    }
    this.map = new Map(entries.slice(-this.max));
    return this.map;
  }

  private save(map: Map<string, TokenUsage>): void {
    if (!this.file) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify([...map.entries()]));
      renameSync(tmp, this.file);
    } catch {
      // A full or read-only disk costs only the accuracy of the next resumed run's usage.
    }
  }
}
