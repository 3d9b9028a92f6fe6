/** Measures the real runner's resident memory while connected and idle (Linux /proc). */
import { readFileSync } from "node:fs";
import { startRunner } from "../test/helpers/runner-process";

export async function measureRunnerIdleRss(url: string, token: string): Promise<number> {
  const runner = startRunner({ url, token, name: "rss-probe", commands: { noop: { command: "true" } } });
  try {
    await runner.waitForLog(/welcome|connected/i, 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    const status = readFileSync(`/proc/${runner.pid}/status`, "utf8");
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb * 1024;
  } finally {
    runner.signal("SIGTERM");
    await runner.exited;
  }
}
