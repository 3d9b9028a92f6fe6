/** Small measuring helpers for the benchmarks: percentiles over latency samples, a CPU meter. */
import { readFileSync } from "node:fs";

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return { n: sorted.length, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted[sorted.length - 1] ?? Number.NaN) };
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export const nowMs = () => performance.timeOrigin + performance.now();

/** Busy and total jiffies of all cores so far (Linux /proc/stat): for "how busy was the machine". */
function machineJiffies(): { busy: number; total: number } {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  // idle + iowait are not busy.
  return { busy: total - (cpu[3] ?? 0) - (cpu[4] ?? 0), total };
}

/**
 * Starts measuring CPU: call the result at the end to get this process's CPU (% of one core) and
 * the whole machine's (% of all cores) over the interval — to say whether a figure was bound by
 * the client, by the machine, or by neither.
 */
export function cpuMeter(): () => { clientPercent: number; machinePercent: number } {
  const t0 = nowMs();
  const c0 = process.cpuUsage();
  const m0 = machineJiffies();
  return () => {
    const wallMs = nowMs() - t0;
    const c = process.cpuUsage(c0);
    const m = machineJiffies();
    return { clientPercent: ((c.user + c.system) / 1000 / wallMs) * 100, machinePercent: ((m.busy - m0.busy) / Math.max(1, m.total - m0.total)) * 100 };
  };
}
