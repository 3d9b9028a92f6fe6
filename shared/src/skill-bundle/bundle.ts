/**
 * Checks a skill's files and hashes them: the one gate every way in passes (JSON upload, zip,
 * `skills push`, a runner's proposal), in the Worker and in the runner alike (Web Crypto only).
 *
 * Hashes, as stored and compared by control plane and runners:
 * - file hash: lowercase hex SHA-256 of the file's bytes;
 * - bundle hash: lowercase hex SHA-256 of the UTF-8 listing made of one `<path>\0<file hash>\n`
 *   per file, files sorted by path (UTF-16 code unit order, see comparePaths). Same files in any
 *   order → same hash.
 */
import { SKILL_LIMITS, type SkillFileInput } from "../skills";
import { parseSkillMarkdown } from "./frontmatter";
import { checkSkillPath, findPathCollisions } from "./paths";

/** One problem with a skill; `path` names the file, null for the skill as a whole. */
export type SkillBundleError = { path: string | null; message: string };

export type ValidatedSkill = {
  name: string;
  description: string;
  frontmatter: Record<string, unknown>;
  /** SKILL.md after the frontmatter. */
  body: string;
  /** Sorted by `path` (see comparePaths). */
  files: { path: string; size: number; hash: string; bytes: Uint8Array }[];
  hash: string;
  totalBytes: number;
};

export type SkillValidation = { ok: true; skill: ValidatedSkill } | { ok: false; errors: SkillBundleError[] };

/** A file as sent; `encoding` defaults to utf8 as in the SkillFileInput schema. */
type FileInput = Pick<SkillFileInput, "path" | "content"> & { encoding?: SkillFileInput["encoding"] };

/**
 * Validates files as one skill in the Agent Skills format: safe paths, limits, `SKILL.md` at the
 * root with valid frontmatter, and (with `expectedName`) the name the caller addressed.
 */
export async function validateSkillFiles(files: readonly FileInput[], opts?: { expectedName?: string }): Promise<SkillValidation> {
  if (files.length > SKILL_LIMITS.maxFiles) {
    return fail([{ path: null, message: `the skill has ${files.length} files; a skill may have at most ${SKILL_LIMITS.maxFiles}` }]);
  }
  const errors: SkillBundleError[] = [];
  const decoded: { path: string; bytes: Uint8Array }[] = [];
  for (const file of files) {
    const problem = checkSkillPath(file.path);
    if (problem) errors.push({ path: file.path, message: problem });
    const bytes = file.encoding === "base64" ? base64ToBytes(file.content) : new TextEncoder().encode(file.content);
    if (!bytes) {
      errors.push({ path: file.path, message: "the content is not valid base64" });
      continue;
    }
    if (bytes.length > SKILL_LIMITS.maxFileBytes) {
      errors.push({ path: file.path, message: `the file is ${bytes.length} bytes; a file may be at most ${SKILL_LIMITS.maxFileBytes} bytes (${SKILL_LIMITS.maxFileBytes / 1024} KiB)` });
    }
    decoded.push({ path: file.path, bytes });
  }
  const totalBytes = decoded.reduce((sum, f) => sum + f.bytes.length, 0);
  if (totalBytes > SKILL_LIMITS.maxBundleBytes) {
    errors.push({ path: null, message: `the skill is ${totalBytes} bytes in all; a skill may be at most ${SKILL_LIMITS.maxBundleBytes} bytes (${SKILL_LIMITS.maxBundleBytes / 1024 / 1024} MiB)` });
  }
  errors.push(...findPathCollisions(files.map((f) => f.path)));

  const skillMd = decoded.find((f) => f.path === "SKILL.md");
  let parsed: { frontmatter: Record<string, unknown>; name: string; description: string; body: string } | null = null;
  if (!skillMd) {
    const nearly = decoded.find((f) => f.path.toLowerCase() === "skill.md" || f.path.endsWith("/SKILL.md"));
    errors.push({ path: null, message: `a skill needs a SKILL.md at its root${nearly ? ` (found ${nearly.path})` : ""}` });
  } else {
    const text = decodeText(skillMd.bytes);
    const md = text === null ? { ok: false as const, errors: ["SKILL.md is not UTF-8 text"] } : parseSkillMarkdown(text);
    if (!md.ok) errors.push(...md.errors.map((message) => ({ path: "SKILL.md", message })));
    else {
      parsed = { frontmatter: md.frontmatter, name: md.frontmatter.name, description: md.frontmatter.description, body: md.body };
      if (opts?.expectedName !== undefined && md.frontmatter.name !== opts.expectedName) {
        errors.push({ path: "SKILL.md", message: `the frontmatter names the skill "${md.frontmatter.name}", but it is uploaded as "${opts.expectedName}"; the two must match` });
      }
    }
  }
  if (errors.length > 0 || !parsed) return fail(errors);

  const sorted = [...decoded].sort((a, b) => comparePaths(a.path, b.path));
  const hashed = await Promise.all(sorted.map(async (f) => ({ path: f.path, size: f.bytes.length, hash: await sha256Hex(f.bytes), bytes: f.bytes })));
  const hash = await hashListing(hashed);
  return { ok: true, skill: { ...parsed, files: hashed, hash, totalBytes } };
}

function fail(errors: SkillBundleError[]): SkillValidation {
  return { ok: false, errors };
}

/** The bundle hash of files already hashed (see the module header); order does not matter. */
export async function hashListing(files: readonly { path: string; hash: string }[]): Promise<string> {
  const sorted = [...files].sort((a, b) => comparePaths(a.path, b.path));
  return sha256Hex(new TextEncoder().encode(sorted.map((f) => `${f.path}\0${f.hash}\n`).join("")));
}

/** Lowercase hex SHA-256. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Path order of the listing: UTF-16 code units, JavaScript's default string order (the runner's
 * skill-files.ts sorts the same way). Differs from code point order only for characters above U+FFFF.
 */
function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The bytes as text when they are valid UTF-8 without NUL, else null (binary). */
export function decodeText(bytes: Uint8Array): string | null {
  if (bytes.includes(0)) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** A file for the wire: UTF-8 text as is, anything else base64. */
export function encodeFileForWire(path: string, bytes: Uint8Array): { path: string; content: string; encoding: "utf8" | "base64" } {
  const text = decodeText(bytes);
  return text === null ? { path, content: bytesToBase64(bytes), encoding: "base64" } : { path, content: text, encoding: "utf8" };
}

export function bytesToBase64(bytes: Uint8Array): string {
  let s = "";
  // In chunks: String.fromCharCode(...) over a whole 512 KiB file overflows the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Standard base64 (line breaks allowed, padding optional), or null when it is not. */
export function base64ToBytes(text: string): Uint8Array | null {
  const clean = text.replace(/[\t\n\f\r ]/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) return null;
  try {
    return Uint8Array.from(atob(clean), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
