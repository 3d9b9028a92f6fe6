/**
 * A short run of the fault suite (bench/chaos): about 25 s of seeded faults — every kind at least
 * once — against a real control plane and three real runners, then every task must have ended,
 * every transcript must be complete, in order and without duplicates, and every viewer must have
 * seen exactly what was stored. `npm run chaos` is the long run. The seed is printed; set
 * CHAOS_SEED to repeat a run.
 */
import { expect, it } from "vitest";
import { runChaos } from "../bench/chaos/chaos";
import { FAULT_KINDS, formatReport } from "../bench/chaos/chaos-report";
import { seedFrom } from "../bench/chaos/random";

const seed = seedFrom(process.env.CHAOS_SEED);

it(`loses and duplicates nothing under runner kills, cut sockets, restarts and bad clients (seed ${seed})`, async () => {
  const report = await runChaos({ seed, durationMs: 25_000, runners: 3, taskEveryMs: 900, faultEveryMs: [2000, 3000], drainMs: 90_000 });
  console.log(formatReport(report));
  expect(report.problems).toEqual([]);
  expect({ lost: report.lost, duplicates: report.duplicates, outOfOrder: report.outOfOrder, stuck: report.stuck }).toEqual({ lost: 0, duplicates: 0, outOfOrder: 0, stuck: 0 });
  expect(report.tasks).toBeGreaterThanOrEqual(5);
  // Every kind ran (the first faults go through them all), and each bad client was dealt with.
  for (const kind of FAULT_KINDS) expect(report.faults[kind], kind).toBeGreaterThan(0);
  expect(report.badSocketsClosed).toBe(report.badSockets);
  expect(report.rogueFramesRefused).toBe(report.rogueFrames);
  expect(report.webhooksRejectedLogged).toBe(report.webhooksRejected);
}, 240_000);
