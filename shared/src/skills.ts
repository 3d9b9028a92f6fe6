/**
 * Skills on the wire: what clients send to create a skill version, what the API answers, and what
 * a runner gets with a task. A skill is a folder in the Agent Skills format (`SKILL.md` with YAML
 * frontmatter, optional `scripts/`, `references/`, `assets/`); its files travel as
 * `SkillFileInput` (text as UTF-8, anything else base64) and are stored content-addressed: each
 * file by the SHA-256 of its bytes, each version by the hash of its file list (`bundle hash`).
 * Validation, hashing, zip import and diffs live in skill-bundle/; the limits here are shared by every way in.
 */
import { z } from "zod";

export const SKILL_LIMITS = {
  /** Largest single file. */
  maxFileBytes: 512 * 1024,
  /** Largest whole skill (sum of its files). */
  maxBundleBytes: 5 * 1024 * 1024,
  maxFiles: 200,
  /** Longest relative path inside the skill folder. */
  maxPathLength: 200,
  /** Largest upload accepted by the API (JSON with base64 grows by a third, zips shrink). */
  maxUploadBytes: 8 * 1024 * 1024,
} as const;

/** A skill's name: the folder name and the frontmatter `name` (Agent Skills spec). */
export const SkillName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "skill names are 1–64 characters of a-z, 0-9 and single hyphens, not at either end");

export const SkillFileInput = z.object({
  /** Relative to the skill folder, `/`-separated: `SKILL.md`, `scripts/run.sh`. */
  path: z.string().min(1).max(SKILL_LIMITS.maxPathLength),
  content: z.string(),
  encoding: z.enum(["utf8", "base64"]).default("utf8"),
});
export type SkillFileInput = z.infer<typeof SkillFileInput>;

export const CreateSkillBody = z.object({
  files: z.array(SkillFileInput).min(1).max(SKILL_LIMITS.maxFiles),
});

/** One file of a stored version. */
export const SkillFileView = z.object({ path: z.string(), size: z.number().int().nonnegative(), hash: z.string() });
export type SkillFileView = z.infer<typeof SkillFileView>;

/** Who made a version: a member, a runner (`skills push`), or an agent run (harvest). */
export const SkillAuthor = z.object({
  kind: z.enum(["user", "runner", "task"]),
  id: z.string(),
  /** For `task`: the attempt that produced it. */
  attempt: z.number().int().positive().nullable().default(null),
});
export type SkillAuthor = z.infer<typeof SkillAuthor>;

/** A skill to install in a task's work dir: resolved at enqueue from the agent's attachments. */
export const AssignSkill = z.object({
  name: SkillName,
  version: z.number().int().positive(),
  /** Bundle hash: the runner keeps bundles by it and fetches the ones it lacks. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type AssignSkill = z.infer<typeof AssignSkill>;

/** A bundle as a runner fetches it (`GET /api/v1/runner/skill-bundles/:hash`). */
export const SkillBundleView = z.object({
  name: SkillName,
  hash: z.string(),
  files: z.array(SkillFileInput.extend({ encoding: z.enum(["utf8", "base64"]) })),
});
export type SkillBundleView = z.infer<typeof SkillBundleView>;

/** A runner's proposal after a run: a skill the agent created or changed in its work dir. */
export const SkillProposalBody = z.object({
  taskId: z.string(),
  attempt: z.number().int().positive(),
  files: z.array(SkillFileInput).min(1).max(SKILL_LIMITS.maxFiles),
  /** The bundle the run started from (null: the agent created it). */
  baseHash: z.string().nullable().default(null),
});

export const AttachSkillBody = z.object({
  /** Pin a version; null follows the latest. */
  version: z.number().int().positive().nullable().default(null),
  enabled: z.boolean().default(true),
});
