/**
 * The system the fault suite attacks: one local control plane (wrangler dev / workerd, its own
 * state directory) and several real `multica-runner` processes, each behind its own TCP proxy so
 * one runner's connection can be cut without touching the others. Runners keep their data
 * directory across SIGKILL and restart, so their outbox resumes as it would on a user's machine.
 * API calls go through `call()`, which a control-plane restart waits for (and holds back), so the
 * harness never loses track of a task whose creation answer was cut off.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startControlPlane, type TestControlPlane } from "../../test/helpers/control-plane";
import { startRunner, type CommandSpec, type RunnerProcess } from "../../test/helpers/runner-process";
import { startTcpProxy, type TcpProxy } from "../../test/helpers/tcp-proxy";

export interface ChaosRunner {
  name: string;
  dataDir: string;
  proxy: TcpProxy;
  /** The live process, or null while it is down after a SIGKILL. */
  proc: RunnerProcess | null;
  starts: number;
}

export class Cluster {
  private restarting: Promise<void> | null = null;
  private stopped = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(
    readonly cp: TestControlPlane,
    readonly token: string,
    readonly runners: ChaosRunner[],
    private readonly commands: Record<string, CommandSpec>,
    private readonly concurrency: number,
  ) {}

  /** Starts the control plane and `count` runners, and waits until every runner is welcomed. */
  static async start(opts: { runners: number; concurrency: number; commands: Record<string, CommandSpec>; vars: Record<string, string> }): Promise<Cluster> {
    const cp = await startControlPlane(opts.vars);
    const token = await cp.runnerToken("chaos");
    const runners: ChaosRunner[] = [];
    for (let i = 0; i < opts.runners; i++) {
      const name = `chaos-${i + 1}`;
      runners.push({ name, dataDir: mkdtempSync(join(tmpdir(), `multica-${name}-`)), proxy: await startTcpProxy(cp.port), proc: null, starts: 0 });
    }
    const cluster = new Cluster(cp, token, runners, opts.commands, opts.concurrency);
    try {
      for (const r of runners) cluster.launch(r);
      await Promise.all(runners.map((r) => r.proc!.waitForLog(/welcome/, 60_000)));
    } catch (err) {
      // The caller never gets the cluster: tear down what was started here.
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Starts (or restarts, same name and data dir) a runner process; does not wait for its welcome. */
  launch(r: ChaosRunner): void {
    // A restart scheduled before a failed run was torn down must not start anything after.
    if (r.proc || this.stopped) return;
    r.proc = startRunner({ url: r.proxy.url, token: this.token, name: r.name, commands: this.commands, dataDir: r.dataDir, concurrency: this.concurrency });
    r.starts += 1;
  }

  /** SIGKILL: no goodbye, no flush — what a crash or an OOM kill does. */
  async kill(r: ChaosRunner): Promise<void> {
    const proc = r.proc;
    if (!proc) return;
    r.proc = null;
    proc.signal("SIGKILL");
    await proc.exited;
  }

  /** Stops the control plane (SIGKILL when `hard`), keeps it down `downMs`, starts it on the same port and state. */
  async restartControlPlane(hard: boolean, downMs: number): Promise<void> {
    if (this.restarting) return this.restarting;
    this.restarting = (async () => {
      await Promise.allSettled([...this.inFlight]);
      await this.cp.restart({ hard, downMs });
    })();
    try {
      await this.restarting;
    } finally {
      this.restarting = null;
    }
  }

  /** Runs an API call when the control plane is not being restarted, and keeps restarts out until it ends. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    while (this.restarting) await this.restarting.catch(() => undefined);
    const p = fn();
    this.inFlight.add(p);
    try {
      return await p;
    } finally {
      this.inFlight.delete(p);
    }
  }

  /** Kills every runner and proxy, stops the control plane and removes the data directories. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.restarting?.catch(() => undefined);
    for (const r of this.runners) {
      await this.kill(r);
      await r.proxy.close();
      rmSync(r.dataDir, { recursive: true, force: true });
    }
    await this.cp.stop();
  }
}
