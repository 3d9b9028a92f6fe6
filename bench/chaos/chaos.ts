/**
 * The fault suite (`npm run chaos`, and a short run in `npm test` via test/chaos.test.ts): tasks
 * arrive at a steady pace on a real control plane with several real runners while seeded faults
 * hit it — runner SIGKILLs (restarted on the same data dir), cut sockets, control-plane restarts
 * (graceful and SIGKILL), slow viewers, floods of malformed frames and a rogue runner, and
 * clock-skewed webhook deliveries. Then it stops the faults, lets every task finish, and checks
 * each transcript and each viewer's copy against what the fixture printed (verify.ts).
 */
import { FIXTURES } from "../../test/helpers/runner-process";
import { floodRunnerSockets, floodViewerSocket, impersonate, deliverSkewed } from "./bad-clients";
import { emptyReport, FAULT_KINDS, type ChaosReport, type FaultKind } from "./chaos-report";
import { Cluster } from "./cluster";
import { Random } from "./random";
import { TrackedViewer } from "./tracked-viewer";
import { verifyTask, verifyViewer, type StoredEvent } from "./verify";

export interface ChaosOptions {
  seed: number;
  durationMs: number;
  runners: number;
  /** Mean gap between new tasks (each gap is uniform in [0.5, 1.5] × this). */
  taskEveryMs: number;
  /** Gap between faults, uniform in this range. */
  faultEveryMs: readonly [number, number];
  /** How long after the faults stop every task gets to finish. */
  drainMs: number;
  log?: (line: string) => void;
}

/** What each task runs: count.mjs prints `line 1` … `line N`, one every `interval` ms. */
const WORKLOADS = { quick: { lines: 30, interval: 20 }, steady: { lines: 100, interval: 12 }, slow: { lines: 40, interval: 60 } } as const;
type Workload = keyof typeof WORKLOADS;
const MAX_ATTEMPTS = 10;
const HOOK_SECRET = "chaos-webhook-secret";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Tracked {
  lines: number;
}
type TaskBody = { task: { attempt: number; status: string }; attempts: { attempt: number; status: string }[]; transcript: { events: StoredEvent[]; next: { attempt: number; after: number } | null } };

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => undefined);
  const rng = new Random(o.seed);
  const report = emptyReport(o);
  const commands = Object.fromEntries(Object.entries(WORKLOADS).map(([name, w]) => [name, { command: process.execPath, args: [`${FIXTURES}/count.mjs`, String(w.lines), String(w.interval)] }]));
  // Short leases so a killed runner's attempts are retried within seconds; enough attempts that
  // a task hit by several faults in a row still finishes.
  const cluster = await Cluster.start({ runners: o.runners, concurrency: 3, commands, vars: { LEASE_MS: "3000", HEARTBEAT_MS: "500", MAX_ATTEMPTS: String(MAX_ATTEMPTS) } });
  const { cp } = cluster;
  const tasks = new Map<string, Tracked>();
  const viewers: TrackedViewer[] = [];
  const pending: Promise<unknown>[] = [];
  try {
    const agents = {} as Record<Workload, string>;
    for (const name of Object.keys(WORKLOADS) as Workload[]) {
      agents[name] = (await cp.api.post<{ agent: { id: string } }>("/agents", { name, runtimes: [`command:${name}`], maxConcurrentTasks: 50 })).body.agent.id;
    }
    const hook = (await cp.api.post<{ webhook: { id: string; url: string } }>("/webhooks", { kind: "generic", name: "chaos", secret: HOOK_SECRET, config: { agentId: agents.quick } })).body.webhook;
    const track = (taskId: string, lines: number) => {
      tasks.set(taskId, { lines });
      // The first task always has a viewer, so the slow-viewer fault has one from the start.
      if (tasks.size === 1 || rng.next() < 0.35) viewers.push(new TrackedViewer(cp.url, cp.workspaceId, cp.adminToken, taskId));
    };

    const until = Date.now() + o.durationMs;
    const submitting = (async () => {
      while (Date.now() < until) {
        const w = rng.pick(Object.keys(WORKLOADS) as Workload[]);
        const created = await cluster.call(async () => {
          const issue = await cp.api.post<{ issue: { id: string } }>("/issues", { title: `chaos ${w}`, body: "count" });
          return cp.api.post<{ task: { taskId: string } }>(`/issues/${issue.body.issue.id}/assign`, { agentId: agents[w] });
        });
        if (created.status === 201) track(created.body.task.taskId, WORKLOADS[w].lines);
        else report.problems.push(`assign answered ${created.status}: ${JSON.stringify(created.body)}`);
        await sleep(o.taskEveryMs * (0.5 + rng.next()));
      }
    })();

    const inject = async (kind: FaultKind): Promise<FaultKind | null> => {
      const alive = cluster.runners.filter((r) => r.proc);
      switch (kind) {
        case "runner SIGKILL": {
          if (alive.length < 2) return null; // keep one runner working
          const r = rng.pick(alive);
          await cluster.kill(r);
          pending.push(sleep(rng.int(300, 3000)).then(() => cluster.launch(r)));
          log(`SIGKILL ${r.name}`);
          return kind;
        }
        case "socket cut": {
          const r = rng.pick(cluster.runners);
          log(`cut ${r.name}: ${r.proxy.cut()} connection(s)`);
          return kind;
        }
        case "control-plane restart": {
          const hard = rng.next() < 0.5;
          const downMs = rng.int(0, 1500);
          log(`control plane ${hard ? "SIGKILL" : "SIGTERM"}, down ${downMs} ms`);
          await cluster.restartControlPlane(hard, downMs);
          return kind;
        }
        case "slow viewer": {
          const v = viewers.length > 0 ? rng.pick(viewers) : null;
          if (!v) return null;
          v.pause(rng.int(2000, 6000));
          return kind;
        }
        case "malformed flood": {
          const ids = [...tasks.keys()];
          if (ids.length === 0) return null;
          const runnerSide = await cluster.call(() => floodRunnerSockets(cp.url, cluster.token, rng));
          const viewerSide = await cluster.call(() => floodViewerSocket(cp.url, cp.workspaceId, cp.adminToken, rng.pick(ids), rng));
          const rogue = await cluster.call(() => impersonate(cp.url, cluster.token, Array.from({ length: 4 }, () => ({ taskId: rng.pick(ids), attempt: 1 }))));
          report.malformedFrames += runnerSide.frames + viewerSide.frames;
          report.badSockets += runnerSide.sockets + viewerSide.sockets;
          report.badSocketsClosed += runnerSide.closedAsExpected + viewerSide.closedAsExpected;
          report.rogueFrames += rogue.frames;
          report.rogueFramesRefused += rogue.refused;
          return kind;
        }
        case "skewed webhook": {
          const sign = () => (rng.next() < 0.5 ? -1 : 1);
          for (const skew of [sign() * rng.int(0, 240), sign() * rng.int(330, 3600)]) {
            const d = await cluster.call(() => deliverSkewed(hook.url, HOOK_SECRET, skew));
            const within = Math.abs(skew) <= 300;
            if (within && d.status === 201 && d.taskId) (report.webhooksAccepted++, track(d.taskId, WORKLOADS.quick.lines));
            else if (!within && d.status === 401 && d.reason) report.webhooksRejected++;
            else report.problems.push(`webhook skewed ${skew} s answered ${d.status} (${d.reason ?? "no reason"})`);
          }
          return kind;
        }
      }
    };

    const faulting = (async () => {
      // Every kind once (in a seeded order), then a weighted mix.
      const first = [...FAULT_KINDS].sort(() => rng.next() - 0.5);
      // Faults on viewers and tasks need one to exist.
      while (tasks.size === 0 && Date.now() < until) await sleep(100);
      // The first round may outlast the window on a slow machine (a restart can take seconds), but
      // not by more than 30 s: every kind runs whatever the timing.
      const firstRoundBy = until + 30_000;
      while (Date.now() < until || (first.length > 0 && Date.now() < firstRoundBy)) {
        await sleep(rng.int(o.faultEveryMs[0], o.faultEveryMs[1]));
        if (Date.now() >= until && first.length === 0) break;
        const planned = first.shift();
        const kind = planned ?? rng.weighted<FaultKind>({ "runner SIGKILL": 3, "socket cut": 3, "control-plane restart": 1, "slow viewer": 2, "malformed flood": 2, "skewed webhook": 2 });
        let done = await inject(kind);
        // Not possible right now (say, a second runner is still restarting): cut a socket instead,
        // and try a first-round kind again later.
        if (!done) {
          if (planned) first.push(planned);
          done = await inject("socket cut");
        }
        if (done) report.faults[done] += 1;
      }
    })();

    // Both loops end by the deadline; wait for both (and the runner restarts) before judging or tearing down.
    const loops = await Promise.allSettled([submitting, faulting]);
    await Promise.allSettled(pending);
    for (const l of loops) if (l.status === "rejected") throw l.reason;
    for (const r of cluster.runners) cluster.launch(r);
    log(`faults over: ${tasks.size} tasks; draining`);
    await drain(cluster, tasks, o.drainMs, report);
    await checkViewers(cluster, viewers, report);
    await checkWebhookLog(cluster, hook.id, report);
    report.runnerStarts = cluster.runners.reduce((n, r) => n + r.starts, 0);
    return report;
  } finally {
    await Promise.allSettled(viewers.map((v) => v.stop()));
    await cluster.stop();
  }
}

const isTerminal = (t: TaskBody["task"]) => ["succeeded", "failed", "cancelled"].includes(t.status) || (t.status === "lost" && t.attempt >= MAX_ATTEMPTS);

async function readTask(cluster: Cluster, taskId: string): Promise<TaskBody> {
  let query = "?limit=5000";
  const events: StoredEvent[] = [];
  for (;;) {
    const page = (await cluster.cp.api.task(taskId, query)).body as unknown as TaskBody;
    events.push(...page.transcript.events);
    if (!page.transcript.next) return { ...page, transcript: { events, next: null } };
    query = `?attempt=${page.transcript.next.attempt}&after=${page.transcript.next.after}&limit=5000`;
  }
}

/** Waits for every task to end, then verifies each one's attempts and transcript. */
async function drain(cluster: Cluster, tasks: Map<string, Tracked>, drainMs: number, report: ChaosReport): Promise<void> {
  const deadline = Date.now() + drainMs;
  let open = [...tasks.keys()];
  while (open.length > 0 && Date.now() < deadline) {
    const states = await Promise.all(open.map(async (id) => [id, (await cluster.cp.api.task(id, "?limit=1")).body as unknown as TaskBody] as const));
    open = states.filter(([, t]) => !isTerminal(t.task)).map(([id]) => id);
    if (open.length > 0) await sleep(500);
  }
  report.tasks = tasks.size;
  for (const [taskId, t] of tasks) {
    const body = await readTask(cluster, taskId);
    if (!isTerminal(body.task)) {
      report.stuck += 1;
      report.problems.push(`${taskId}: still ${body.task.status} (attempt ${body.task.attempt}) ${drainMs / 1000} s after the faults stopped`);
    }
    const v = verifyTask(taskId, body.attempts, body.transcript.events, t.lines);
    report.attempts += v.attempts;
    report.events += v.events;
    report.lost += v.lost;
    report.duplicates += v.duplicates;
    report.outOfOrder += v.outOfOrder;
    report.problems.push(...v.problems);
  }
}

/** Gives viewers time to catch up (one may be in its reconnect backoff), then compares them with the store. */
async function checkViewers(cluster: Cluster, viewers: TrackedViewer[], report: ChaosReport): Promise<void> {
  const stored = new Map<string, StoredEvent[]>();
  for (const v of viewers) if (!stored.has(v.taskId)) stored.set(v.taskId, (await readTask(cluster, v.taskId)).transcript.events);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && viewers.some((v) => v.events.length < stored.get(v.taskId)!.length)) await sleep(200);
  for (const v of viewers) {
    await v.stop();
    const verdict = verifyViewer(v.taskId, v, stored.get(v.taskId)!);
    report.viewers += 1;
    report.viewerEvents += v.events.length;
    report.viewerConnections += v.connections;
    report.viewerOverlap += v.overlap;
    report.lost += verdict.missed;
    report.duplicates += verdict.duplicates;
    report.outOfOrder += verdict.outOfOrder;
    if (verdict.problem) report.problems.push(verdict.problem);
  }
}

/** Refused deliveries must be in the hook's log, with why. */
async function checkWebhookLog(cluster: Cluster, hookId: string, report: ChaosReport): Promise<void> {
  const res = await cluster.cp.api.get<{ deliveries: { status: string; reason: string | null }[] }>(`/webhooks/${hookId}/deliveries`);
  report.webhooksRejectedLogged = res.body.deliveries.filter((d) => d.status === "rejected" && /timestamp_(too_old|in_future)/.test(d.reason ?? "")).length;
  if (report.webhooksRejectedLogged !== report.webhooksRejected) report.problems.push(`${report.webhooksRejected} skewed deliveries refused, ${report.webhooksRejectedLogged} logged as refused`);
}
