/**
 * The runner's cache of skill bundles, `<dataDir>/skills/<hash>/`: the skill's files under
 * `bundle/` and a `.complete` marker (JSON: name, hash, files) written last. A bundle is written
 * into a temporary directory and renamed into place, so a crash never leaves a half-written
 * bundle that looks usable; a cached bundle is re-hashed on every use, so one damaged on disk is
 * fetched again. Bundles are content-addressed, so a cached one never goes stale; nor is one
 * evicted (a bundle is at most SKILL_LIMITS.maxBundleBytes, one per version this runner used).
 *
 * The job runner calls `ensureBundles` with a task's skills before installing them
 * (skill-install.ts); missing ones come from `GET /api/v1/runner/skill-bundles/:hash`.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type AssignSkill, SKILL_LIMITS, SkillBundleView } from "@multica/shared";
import { z } from "zod";
import { KeyedLock } from "../workdir/keyed-lock";
import { safeRelative } from "../workdir/paths";
import { ApiCallError, callApi } from "./skill-api";
import { bundleHash, decodeFile } from "./skill-files";

/** A bundle in the cache, ready to install. */
export interface CachedBundle {
  name: string;
  version: number;
  hash: string;
  /** The folder holding the skill's files. */
  dir: string;
  files: string[];
}

export interface BundleSource {
  url: URL;
  /** The runner token. */
  token: string;
  dataDir: string;
  signal?: AbortSignal | undefined;
  /** Per fetch; default 60 s. */
  timeoutMs?: number;
  /** Fetches at a time; default 4. */
  concurrency?: number;
  /** One line per bundle fetched (for the transcript). */
  onProgress?: (line: string) => void;
}

/** Why a task's skills could not be made ready. `not_found`: the control plane has no such bundle. */
export class SkillFetchError extends Error {
  constructor(
    readonly kind: "not_found" | "failed",
    readonly skill: string,
    message: string,
  ) {
    super(message);
    this.name = "SkillFetchError";
  }
}

const Marker = z.object({ name: z.string(), hash: z.string(), files: z.array(z.string()).max(SKILL_LIMITS.maxFiles) });

/** Fetches by hash never overlap within this process (one runner per data dir). */
const fetchLocks = new KeyedLock();

/** The cache folder of a bundle. */
export function bundleCacheDir(dataDir: string, hash: string): string {
  return join(dataDir, "skills", hash);
}

/**
 * Makes every skill's bundle available in the cache, fetching the missing or damaged ones
 * (a few at a time). Resolves in the order of `skills`; throws SkillFetchError naming the
 * first skill that could not be had.
 */
export async function ensureBundles(skills: readonly AssignSkill[], source: BundleSource): Promise<CachedBundle[]> {
  const results: CachedBundle[] = new Array(skills.length);
  let next = 0;
  const worker = async () => {
    while (next < skills.length) {
      const i = next++;
      const skill = skills[i];
      if (skill) results[i] = await fetchLocks.run(skill.hash, () => ensureBundle(skill, source));
    }
  };
  const workers = Array.from({ length: Math.min(source.concurrency ?? 4, skills.length) }, worker);
  const settled = await Promise.allSettled(workers);
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw failed.reason;
  return results;
}

async function ensureBundle(skill: AssignSkill, source: BundleSource): Promise<CachedBundle> {
  const dir = bundleCacheDir(source.dataDir, skill.hash);
  const cached = await readCached(dir, skill);
  if (cached) return cached;
  const label = `skill ${skill.name} v${skill.version}`;
  let view: SkillBundleView;
  try {
    const res = await callApi(source, {
      method: "GET",
      path: `/api/v1/runner/skill-bundles/${skill.hash}`,
      schema: SkillBundleView,
      signal: source.signal,
      timeoutMs: source.timeoutMs ?? 60_000,
    });
    view = res.body;
  } catch (err) {
    if (err instanceof ApiCallError && err.kind === "not_found") {
      throw new SkillFetchError("not_found", skill.name, `${label}: the control plane has no bundle ${skill.hash.slice(0, 12)} (deleted or never stored)`);
    }
    throw new SkillFetchError("failed", skill.name, `${label}: could not fetch its files: ${err instanceof Error ? err.message : String(err)}`);
  }
  const files = view.files.map((f) => ({ path: f.path, bytes: decodeFile(f) }));
  const bad = files.find((f) => safeRelative(f.path) !== f.path || f.path.includes("\\"));
  if (bad) throw new SkillFetchError("failed", skill.name, `${label}: the bundle holds an unsafe path ${JSON.stringify(bad.path)}`);
  const actual = await bundleHash(files);
  if (actual !== skill.hash || view.name !== skill.name) {
    throw new SkillFetchError("failed", skill.name, `${label}: the fetched bundle does not match (hash ${actual.slice(0, 12)}, name ${view.name}; expected ${skill.hash.slice(0, 12)}, ${skill.name})`);
  }
  await writeBundle(dir, skill, files);
  source.onProgress?.(`skills: fetched ${label} (${files.length} file${files.length === 1 ? "" : "s"})`);
  return { name: skill.name, version: skill.version, hash: skill.hash, dir: join(dir, "bundle"), files: files.map((f) => f.path) };
}

/** The cached bundle if it is complete and its files still hash to its name; else null (and it is removed). */
async function readCached(dir: string, skill: AssignSkill): Promise<CachedBundle | null> {
  const text = await readFile(join(dir, ".complete"), "utf8").catch(() => null);
  let marker: z.infer<typeof Marker> | null = null;
  try {
    const parsed = text === null ? null : Marker.safeParse(JSON.parse(text));
    marker = parsed?.success ? parsed.data : null;
  } catch {
    marker = null;
  }
  if (marker && marker.hash === skill.hash && marker.name === skill.name) {
    const bundleDir = join(dir, "bundle");
    const read = await Promise.all(marker.files.map(async (path) => ({ path, bytes: await readFile(join(bundleDir, path)).catch(() => null) })));
    const files = read.flatMap((f) => (f.bytes === null ? [] : [{ path: f.path, bytes: f.bytes }]));
    if (files.length === read.length && (await bundleHash(files)) === skill.hash) return { name: skill.name, version: skill.version, hash: skill.hash, dir: bundleDir, files: marker.files };
  }
  await rm(dir, { recursive: true, force: true });
  return null;
}

async function writeBundle(dir: string, skill: AssignSkill, files: { path: string; bytes: Buffer }[]): Promise<void> {
  const tmp = join(dirname(dir), `.tmp-${skill.hash.slice(0, 12)}-${randomBytes(4).toString("hex")}`);
  try {
    for (const file of files) {
      const target = join(tmp, "bundle", file.path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, file.bytes, { flag: "wx" });
      // The wire has no file modes: a script with a `#!` line is made executable, as its author meant.
      if (file.bytes.subarray(0, 2).toString("latin1") === "#!") await chmod(target, 0o755);
    }
    await mkdir(join(tmp, "bundle"), { recursive: true });
    const marker: z.infer<typeof Marker> = { name: skill.name, hash: skill.hash, files: files.map((f) => f.path) };
    await writeFile(join(tmp, ".complete"), `${JSON.stringify(marker)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
