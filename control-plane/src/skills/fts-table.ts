/**
 * The FTS5 virtual table `skills_fts` (created by migration 0002_skills.sql), declared for
 * drizzle's query builder so its rows can be written inside a D1 batch with the version they
 * index. Kept out of db/schema.ts on purpose: drizzle-kit cannot generate virtual tables.
 */
import { sqliteTable, text } from "drizzle-orm/sqlite-core";

export const skillsFts = sqliteTable("skills_fts", {
  name: text("name").notNull(),
  description: text("description").notNull(),
  body: text("body").notNull(),
  skillId: text("skill_id").notNull(),
});
