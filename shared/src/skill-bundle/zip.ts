/**
 * Reads a `.zip` of one skill into wire files (for `POST …/skills` with Content-Type application/zip,
 * and `skills push` of an archive). The zip holds the skill's files at its root, or everything in
 * one top folder named after the skill. Untrusted input, so: the central directory is read here
 * (fflate's unzipSync does not expose the external attributes that mark symlinks), declared sizes are
 * checked against SKILL_LIMITS before anything is inflated, and inflating stops as soon as an entry
 * yields more than it declared (a lying header cannot turn 8 MiB into gigabytes).
 */
import { Inflate } from "fflate";
import { SKILL_LIMITS } from "../skills";
import { encodeFileForWire, type SkillBundleError } from "./bundle";
import { checkSkillName, parseSkillMarkdown } from "./frontmatter";
import { checkSkillPath } from "./paths";

export type SkillZip =
  | { ok: true; files: { path: string; content: string; encoding: "utf8" | "base64" }[]; folder: string | null }
  | { ok: false; errors: SkillBundleError[] };

type Entry = { name: string; host: number; flags: number; method: number; crc: number; packed: number; size: number; attrs: number; offset: number };

const MAX_ERRORS = 20;
// Input fed to the inflater at a time: DEFLATE expands at most ~1032×, so one push yields ≤ ~4 MiB.
const INFLATE_STEP = 4096;
const HOST_UNIX = 3;
const HOST_DARWIN = 19;

/** Files of the skill in a zip, checked for safety and limits; validate them with validateSkillFiles. */
export function readSkillZip(bytes: Uint8Array): SkillZip {
  const listed = listEntries(bytes);
  if ("error" in listed) return fail([{ path: null, message: listed.error }]);
  const errors: SkillBundleError[] = [];
  const entries: Entry[] = [];
  for (const e of listed.entries) {
    if (e.name.startsWith("__MACOSX/") || /(^|\/)\.DS_Store$/.test(e.name)) continue;
    const type = entryType(e);
    if (type === "symlink") errors.push({ path: e.name, message: "the entry is a symbolic link; put the file itself in the zip" });
    else if (type === "special") errors.push({ path: e.name, message: "the entry is not a regular file (a device, pipe or socket)" });
    else if (type === "folder" && !e.name.endsWith("/")) errors.push({ path: e.name, message: "the entry is a folder stored as a file" });
    else if (type === "folder" || e.name.endsWith("/")) {
      if (e.size > 0) errors.push({ path: e.name, message: "the entry is a folder with contents of its own" });
    } else {
      // Lengths are checked once the top folder is known; the rest now, so `../x` is named as such.
      const problem = checkSkillPath(e.name, Infinity);
      if (problem) errors.push({ path: e.name, message: problem });
      else if (e.flags & 1) errors.push({ path: e.name, message: "the entry is encrypted" });
      else if (e.method !== 0 && e.method !== 8) errors.push({ path: e.name, message: `the entry uses compression method ${e.method}; only stored and deflated entries are read` });
      else entries.push(e);
    }
  }
  if (errors.length > 0) return fail(errors);

  const folder = findTopFolder(entries.map((e) => e.name));
  if ("error" in folder) return fail([{ path: null, message: folder.error }]);
  const prefix = folder.name === null ? "" : `${folder.name}/`;
  const files = entries.map((e) => ({ entry: e, path: e.name.slice(prefix.length) }));
  if (files.length > SKILL_LIMITS.maxFiles) {
    return fail([{ path: null, message: `the zip holds ${files.length} files; a skill may have at most ${SKILL_LIMITS.maxFiles}` }]);
  }
  let total = 0;
  for (const { entry, path } of files) {
    total += entry.size;
    const problem = checkSkillPath(path);
    if (problem) errors.push({ path, message: problem });
    if (entry.size > SKILL_LIMITS.maxFileBytes) {
      errors.push({ path, message: `the file is ${entry.size} bytes uncompressed; a file may be at most ${SKILL_LIMITS.maxFileBytes} bytes (${SKILL_LIMITS.maxFileBytes / 1024} KiB)` });
    }
  }
  if (total > SKILL_LIMITS.maxBundleBytes) {
    errors.push({ path: null, message: `the zip's files are ${total} bytes uncompressed; a skill may be at most ${SKILL_LIMITS.maxBundleBytes} bytes (${SKILL_LIMITS.maxBundleBytes / 1024 / 1024} MiB)` });
  }
  if (errors.length > 0) return fail(errors);

  const out: { path: string; content: string; encoding: "utf8" | "base64" }[] = [];
  for (const { entry, path } of files) {
    const data = extract(bytes, entry);
    if (typeof data === "string") errors.push({ path, message: data });
    else out.push(encodeFileForWire(path, data));
  }
  if (errors.length > 0) return fail(errors);
  if (folder.name !== null) {
    const md = out.find((f) => f.path === "SKILL.md");
    const parsed = md?.encoding === "utf8" ? parseSkillMarkdown(md.content) : null;
    // A SKILL.md that does not parse is reported by validateSkillFiles; here only the folder counts.
    if (parsed?.ok && parsed.frontmatter.name !== folder.name) {
      return fail([{ path: null, message: `the zip's folder is "${folder.name}" but SKILL.md names the skill "${parsed.frontmatter.name}"; the folder must be named after the skill` }]);
    }
  }
  return { ok: true, files: out, folder: folder.name };
}

function fail(errors: SkillBundleError[]): SkillZip {
  if (errors.length <= MAX_ERRORS) return { ok: false, errors };
  return { ok: false, errors: [...errors.slice(0, MAX_ERRORS), { path: null, message: `… and ${errors.length - MAX_ERRORS} more problems` }] };
}

/** `SKILL.md` at the root (folder null), or every file inside one folder that holds `SKILL.md`. */
function findTopFolder(names: string[]): { name: string | null } | { error: string } {
  if (names.includes("SKILL.md")) return { name: null };
  const tops = [...new Set(names.map((n) => (n.includes("/") ? `${n.split("/")[0]}/` : n)))];
  const [top] = tops;
  if (tops.length === 1 && top !== undefined && top.endsWith("/") && names.includes(`${top}SKILL.md`)) {
    const name = top.slice(0, -1);
    const problem = checkSkillName(name);
    return problem ? { error: `the zip's top folder must be named after the skill: ${problem}` } : { name };
  }
  const found = tops.length === 0 ? "it is empty" : `found ${tops.slice(0, 5).join(", ")}${tops.length > 5 ? ", …" : ""}`;
  return { error: `the zip must hold SKILL.md at its root, or one folder named after the skill with SKILL.md in it; ${found}` };
}

function entryType(e: Entry): "file" | "folder" | "symlink" | "special" {
  if (e.host === HOST_UNIX || e.host === HOST_DARWIN) {
    const mode = (e.attrs >>> 16) & 0o170000;
    if (mode === 0o120000) return "symlink";
    if (mode === 0o040000) return "folder";
    if (mode !== 0 && mode !== 0o100000) return "special";
  }
  return e.attrs & 0x10 ? "folder" : "file"; // MS-DOS directory attribute, set by every host
}

/** The central directory's entries, or why the bytes are not a zip this reader takes. */
function listEntries(bytes: Uint8Array): { entries: Entry[] } | { error: string } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) { end = i; break; }
  }
  if (end < 0) return { error: "the upload is not a zip file (no end of central directory)" };
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  if (count === 0xffff || at === 0xffffffff) return { error: "ZIP64 archives are not read; a skill is at most a few MiB" };
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > end || view.getUint32(at, true) !== 0x02014b50) return { error: "the zip is damaged (bad central directory)" };
    const nameLength = view.getUint16(at + 28, true);
    const next = at + 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    if (next > end) return { error: "the zip is damaged (bad central directory)" };
    const flags = view.getUint16(at + 8, true);
    const host = view.getUint8(at + 5);
    let name = decodeName(bytes.subarray(at + 46, at + 46 + nameLength), (flags & 0x800) !== 0);
    // Old Windows tools (PowerShell 5 Compress-Archive) write `\` between folders.
    if (host !== HOST_UNIX && host !== HOST_DARWIN) name = name.replaceAll("\\", "/");
    entries.push({
      name, host, flags, method: view.getUint16(at + 10, true), crc: view.getUint32(at + 16, true),
      packed: view.getUint32(at + 20, true), size: view.getUint32(at + 24, true),
      attrs: view.getUint32(at + 38, true), offset: view.getUint32(at + 42, true),
    });
    at = next;
  }
  return { entries };
}

function decodeName(raw: Uint8Array, utf8Flag: boolean): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    // Not UTF-8: CP437 per the zip spec; its ASCII half is all a valid path needs.
    return utf8Flag ? new TextDecoder().decode(raw) : String.fromCharCode(...raw);
  }
}

/** The entry's bytes, or why they cannot be read. Never produces more than `entry.size` bytes. */
function extract(bytes: Uint8Array, e: Entry): Uint8Array | string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (e.offset + 30 > bytes.length || view.getUint32(e.offset, true) !== 0x04034b50) return "the zip is damaged (bad local header)";
  const start = e.offset + 30 + view.getUint16(e.offset + 26, true) + view.getUint16(e.offset + 28, true);
  if (start + e.packed > bytes.length) return "the zip is damaged (the entry runs past the end)";
  const packed = bytes.subarray(start, start + e.packed);
  const data = e.method === 0 ? (packed.length === e.size ? packed.slice() : null) : inflateExactly(packed, e.size);
  if (!data) return `the entry does not hold the ${e.size} bytes its header declares`;
  return crc32(data) === e.crc ? data : "the entry is damaged (checksum mismatch)";
}

function inflateExactly(packed: Uint8Array, size: number): Uint8Array | null {
  const out = new Uint8Array(size);
  let written = 0;
  let over = false;
  const inflater = new Inflate((chunk) => {
    if (written + chunk.length > size) over = true;
    else out.set(chunk, written);
    written += chunk.length;
  });
  try {
    for (let i = 0; i < packed.length && !over; i += INFLATE_STEP) inflater.push(packed.subarray(i, i + INFLATE_STEP), i + INFLATE_STEP >= packed.length);
  } catch {
    return null;
  }
  return !over && written === size ? out : null;
}

let crcTable: Uint32Array | null = null;

function crc32(data: Uint8Array): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let crc = 0xffffffff;
  for (const b of data) crc = (crcTable[(crc ^ b) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
