/**
 * Starts the real runner CLI (runner/dist/cli.js, built by `npm run build`) as a child process
 * in its own process group, with a config file of command runtimes and its own data directory.
 * Used by the end-to-end tests and the benchmarks.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const RUNNER_CLI = resolve(import.meta.dirname, "../../runner/dist/cli.js");
export const FIXTURES = resolve(import.meta.dirname, "../fixtures");

export interface CommandSpec {
  command: string;
  args?: string[];
  env?: Record<string, string>;
  timeoutSeconds?: number;
}

export interface RunnerProcess {
  child: ChildProcess;
  pid: number;
  dataDir: string;
  /** Everything the runner logged so far (stderr + stdout). */
  log(): string;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Signals the runner process only (not its children), like a crash or a user's Ctrl+C. */
  signal(sig: NodeJS.Signals): void;
}

export function startRunner(opts: {
  url: string;
  token: string;
  name: string;
  commands: Record<string, CommandSpec>;
  dataDir?: string;
  concurrency?: number;
  extraArgs?: string[];
  env?: Record<string, string>;
  /** The config file's "agents" section (per agent CLI settings). */
  agents?: Record<string, unknown>;
}): RunnerProcess {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `multica-runner-${opts.name}-`));
  const config = join(dataDir, "..", `${opts.name}-${process.pid}-${Date.now()}.json`);
  writeFileSync(config, JSON.stringify({ commands: opts.commands, agents: opts.agents ?? {} }));
  const args = [RUNNER_CLI, "--url", opts.url, "--token", opts.token, "--name", opts.name, "--data-dir", dataDir, "--config", config, "--concurrency", String(opts.concurrency ?? 2), ...(opts.extraArgs ?? [])];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, HOME: dataDir, ...opts.env } });
  let out = "";
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) if (w.re.test(out)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) =>
    child.once("exit", (code, signal) => {
      // HOME is the data dir, and probing the agent CLIs unpacks ~240 MB of Copilot into its
      // .cache: gone with the process, or a suite run leaves gigabytes in /tmp. The rest stays
      // for a restart on the same data dir.
      rmSync(join(dataDir, ".cache"), { recursive: true, force: true });
      res({ code, signal });
    }),
  );
  return {
    child,
    pid: child.pid!,
    dataDir,
    log: () => out,
    exited,
    signal: (sig) => {
      try {
        child.kill(sig);
      } catch {
        // gone
      }
    },
    waitForLog(re, timeoutMs = 20_000) {
      if (re.test(out)) return Promise.resolve();
      return new Promise((resolveWait, reject) => {
        const timer = setTimeout(() => reject(new Error(`runner log never matched ${re}:\n${out.slice(-3000)}`)), timeoutMs);
        waiters.push({ re, resolve: () => (clearTimeout(timer), resolveWait()) });
      });
    },
  };
}
