/**
 * After an attempt, finds the skills its agent created or changed in the work directory and
 * proposes them to the workspace (`POST /api/v1/runner/skill-proposals`), where a member accepts
 * or rejects them. A skill folder (one with a `SKILL.md`, in the runtime's skill folders) is
 * proposed when it is new, or when its bundle hash differs from the one it had before the run
 * (skill-install.ts records both: installed skills and every folder already there). Folders over
 * SKILL_LIMITS are skipped with a log line. Nothing here can fail the attempt: problems are
 * logged, and the whole harvest is bounded by the caller's signal. The job runner calls
 * `harvestSkills` once the agent has ended, before it stores the report.
 */
import { join } from "node:path";
import { encodeFileForWire } from "@multica/shared";
import { z } from "zod";
import type { Logger } from "../log";
import { describeError } from "../log";
import { ApiCallError, callApi } from "./skill-api";
import type { InstalledSkills } from "./skill-install";
import { listSkillFolders, readSkillFolder } from "./skill-files";

export interface HarvestRequest {
  installed: InstalledSkills;
  taskId: string;
  attempt: number;
}

export interface HarvestOptions {
  url: URL;
  /** The runner token. */
  token: string;
  log: Logger;
  /** Ends the harvest (the caller's time limit); what is not proposed by then is dropped. */
  signal?: AbortSignal | undefined;
  /** One transcript line per proposal made. */
  onStatus?: (text: string) => void;
}

/** What happened to each skill folder that had changed. */
export interface HarvestResult {
  proposed: { name: string; path: string; id: string; baseHash: string | null }[];
  /** Changed folders the control plane found equal to the library's (or the base) version. */
  unchanged: string[];
  /** Folders not proposed: over the limits, refused as invalid, or the call failed. */
  skipped: { path: string; reason: string }[];
}

const ProposalAnswer = z.object({
  proposal: z.object({ id: z.string(), name: z.string(), status: z.string() }).nullable(),
  reason: z.string().optional(),
});

/** Proposes every new or changed skill folder; see the module comment. Never throws. */
export async function harvestSkills(req: HarvestRequest, opts: HarvestOptions): Promise<HarvestResult> {
  const result: HarvestResult = { proposed: [], unchanged: [], skipped: [] };
  const { installed } = req;
  const label = `task ${req.taskId}/${req.attempt}`;
  const byPath = new Map(installed.installed.map((s) => [s.path, s]));
  const seen = new Set<string>();
  let folders: Awaited<ReturnType<typeof listSkillFolders>>;
  try {
    folders = await listSkillFolders(installed.dir, installed.skillDirs);
  } catch (err) {
    opts.log.warn(`${label}: could not look for new skills: ${describeError(err)}`);
    return result;
  }
  for (const folder of folders) {
    if (opts.signal?.aborted) {
      opts.log.warn(`${label}: skill harvest stopped (time limit or runner stopping); ${folder.rel} and later folders were not looked at`);
      break;
    }
    // The same name in two folders the CLI reads: the first (the install folder) is the one it uses.
    if (seen.has(folder.name)) continue;
    const read = await readSkillFolder(join(installed.dir, folder.rel)).catch((err: unknown) => ({ ok: false as const, reason: describeError(err) }));
    const before = installed.baseline.get(folder.rel);
    const ours = byPath.get(folder.rel);
    if (!read.ok) {
      if (before !== null) {
        opts.log.warn(`${label}: skill folder ${folder.rel} not proposed: ${read.reason}`);
        result.skipped.push({ path: folder.rel, reason: read.reason });
      }
      continue;
    }
    seen.add(folder.name);
    if (ours ? read.hash === ours.hash : read.hash === before) continue;
    const baseHash = ours?.hash ?? null;
    try {
      const res = await callApi(opts, {
        method: "POST",
        path: "/api/v1/runner/skill-proposals",
        json: { taskId: req.taskId, attempt: req.attempt, baseHash, files: read.files.map((f) => encodeFileForWire(f.path, f.bytes)) },
        schema: ProposalAnswer,
        signal: opts.signal,
        timeoutMs: 20_000,
      });
      const proposal = res.body.proposal;
      if (proposal === null) {
        result.unchanged.push(folder.rel);
        continue;
      }
      result.proposed.push({ name: proposal.name, path: folder.rel, id: proposal.id, baseHash });
      const what = ours ? `changed skill ${proposal.name} (from v${ours.version})` : before === undefined ? `new skill ${proposal.name}` : `changed skill ${proposal.name}`;
      opts.log.info(`${label}: proposed ${what} from ${folder.rel} (proposal ${proposal.id})`);
      opts.onStatus?.(`skills: proposed the ${what} from ${folder.rel} for review (proposal ${proposal.id})`);
    } catch (err) {
      const reason = err instanceof ApiCallError ? err.message : describeError(err);
      opts.log.warn(`${label}: skill folder ${folder.rel} not proposed: ${reason}`);
      result.skipped.push({ path: folder.rel, reason });
      if (err instanceof ApiCallError && err.kind === "invalid") opts.onStatus?.(`skills: ${folder.rel} was not proposed: ${reason}`);
    }
  }
  return result;
}
