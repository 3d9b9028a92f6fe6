/**
 * The real runner process at rest, for `npm run bench`: how long from spawning it to its welcome
 * (registered with the control plane), and what it costs while connected and idle — resident
 * memory and CPU (Linux /proc: utime + stime over a quiet window, heartbeats included).
 */
import { readFileSync, rmSync } from "node:fs";
import { startRunner, type RunnerProcess } from "../test/helpers/runner-process";
import { nowMs } from "./stats";

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux we run on. */
const CLK_TCK = 100;

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
}

/** Stops a probe runner and removes its data directory. */
async function stop(runner: RunnerProcess): Promise<void> {
  runner.signal("SIGTERM");
  await runner.exited;
  rmSync(runner.dataDir, { recursive: true, force: true });
}

/**
 * Spawn → `welcome` in the runner's log, `n` times, each a fresh runner with a fresh data dir.
 * `env` lets a run hide the agent CLIs (the runner asks each one found on PATH for its version
 * before it says hello).
 */
export async function measureStartToRegistered(url: string, token: string, n: number, env: Record<string, string> = {}): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = nowMs();
    const runner = startRunner({ url, token, name: `start-probe-${i}`, commands: { noop: { command: "true" } }, env });
    try {
      await runner.waitForLog(/welcome/, 30_000);
      samples.push(nowMs() - t0);
    } finally {
      await stop(runner);
    }
  }
  return samples;
}

/** RSS after settling, and CPU used over an idle window of `windowMs`, of one connected runner. */
export async function measureIdle(url: string, token: string, windowMs: number): Promise<{ rssMiB: number; cpuPercent: number }> {
  const runner = startRunner({ url, token, name: "idle-probe", commands: { noop: { command: "true" } } });
  try {
    await runner.waitForLog(/welcome/, 30_000);
    // Start-up garbage and JIT settle first; what matters is the steady state.
    await new Promise((r) => setTimeout(r, 3000));
    const before = cpuTicks(runner.pid);
    const t0 = nowMs();
    await new Promise((r) => setTimeout(r, windowMs));
    const ticks = cpuTicks(runner.pid) - before;
    const seconds = (nowMs() - t0) / 1000;
    return { rssMiB: rssBytes(runner.pid) / 1024 / 1024, cpuPercent: (ticks / CLK_TCK / seconds) * 100 };
  } finally {
    await stop(runner);
  }
}
