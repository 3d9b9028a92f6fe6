/**
 * `npm run chaos`: the full fault suite — about 75 s of seeded faults against a local control
 * plane and four real runners, then every task and viewer checked. CHAOS_SEED repeats a run,
 * CHAOS_DURATION (seconds) changes the fault window. Prints the counts and writes them to
 * bench/results/chaos.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { expect, it } from "vitest";
import { runChaos } from "./chaos";
import { faultCount, formatReport } from "./chaos-report";
import { seedFrom } from "./random";

const seed = seedFrom(process.env.CHAOS_SEED);
const durationMs = Number(process.env.CHAOS_DURATION ?? 75) * 1000;

it(`survives ${durationMs / 1000} s of faults with nothing lost (seed ${seed})`, async () => {
  console.log(`chaos: seed ${seed} (repeat with CHAOS_SEED=${seed}), ${durationMs / 1000} s of faults`);
  const report = await runChaos({
    seed, durationMs, runners: 4, taskEveryMs: 500, faultEveryMs: [1500, 4000], drainMs: 120_000,
    log: (line) => console.log(`chaos: ${line}`),
  });
  console.log(formatReport(report));
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/chaos.json", JSON.stringify({ at: new Date().toISOString(), report }, null, 2));
  expect(report.problems).toEqual([]);
  expect(report.lost).toBe(0);
  expect(report.duplicates).toBe(0);
  expect(report.stuck).toBe(0);
  expect(report.badSocketsClosed).toBe(report.badSockets);
  expect(report.rogueFramesRefused).toBe(report.rogueFrames);
  expect(faultCount(report)).toBeGreaterThan(0);
}, durationMs + 300_000);
