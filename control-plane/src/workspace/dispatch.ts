/**
 * Pure dispatch planning: which queued attempt goes to which connected runner, on which runtime.
 * Workspace.dispatch runs one pass (runDispatchPass) over the queue as TaskStore reads it and
 * applies each placement as a check-and-set transition.
 * Rules: queue order (oldest first); an agent's own preference order of runtimes; an agent's
 * max concurrent tasks; a runner's free slots; the least loaded runner wins a tie. An attempt
 * pinned to one runner (a follow-up that resumes a session kept there) waits for that runner.
 */

export interface RunnerSlots {
  runnerId: string;
  runtimes: ReadonlySet<string>;
  concurrency: number;
  busy: number;
}

export interface QueuedAttempt {
  key: string;
  agentId: string;
  runtimes: readonly string[];
  maxConcurrent: number;
  /** Only this runner may take it. */
  pinnedRunner?: string;
  /** The agent's runner pool: only these runners may take it (any of them, so one offline is no stall). */
  allowedRunners?: readonly string[] | null;
}

export interface Placement {
  key: string;
  runnerId: string;
  runtime: string;
}

/** Chooses the runtime and runner for one attempt, or null when none fits now. */
export function placeOne(task: QueuedAttempt, runners: readonly RunnerSlots[]): Omit<Placement, "key"> | null {
  for (const runtime of task.runtimes) {
    let best: RunnerSlots | null = null;
    for (const r of runners) {
      if (r.busy >= r.concurrency || !r.runtimes.has(runtime)) continue;
      if (task.pinnedRunner !== undefined && r.runnerId !== task.pinnedRunner) continue;
      if (task.allowedRunners && !task.allowedRunners.includes(r.runnerId)) continue;
      if (!best || r.busy / r.concurrency < best.busy / best.concurrency) best = r;
    }
    if (best) return { runnerId: best.runnerId, runtime };
  }
  return null;
}

/**
 * Plans placements for as many queued attempts as fit. `agentBusy` counts attempts each agent
 * already has dispatched or running. Inputs are not mutated.
 */
export function planDispatch(
  queued: readonly QueuedAttempt[],
  runners: readonly RunnerSlots[],
  agentBusy: ReadonlyMap<string, number>,
): Placement[] {
  const slots = runners.map((r) => ({ ...r }));
  const busy = new Map(agentBusy);
  const plan: Placement[] = [];
  for (const task of queued) {
    if (!slots.some((r) => r.busy < r.concurrency)) break;
    if ((busy.get(task.agentId) ?? 0) >= task.maxConcurrent) continue;
    const placed = placeOne(task, slots);
    if (!placed) continue;
    const runner = slots.find((r) => r.runnerId === placed.runnerId);
    if (runner) runner.busy += 1;
    busy.set(task.agentId, (busy.get(task.agentId) ?? 0) + 1);
    plan.push({ key: task.key, ...placed });
  }
  return plan;
}

/** A queued attempt's place in the queue: oldest `queuedAt` first, then `taskId`. */
export interface QueueKey {
  queuedAt: number;
  taskId: string;
}

/** One agent with queued work, and an upper bound of its queued attempts' limits (null: unknown). */
export interface QueuedAgent {
  agentId: string;
  limit: number | null;
}

/**
 * A dispatch pass reads at most this many queued attempts; the rest wait for the next pass. Each
 * read asks an agent for a few attempts per slot it could still fill, never fewer than MIN_READ.
 */
const MAX_SCAN = 1000;
const READ_PER_SLOT = 2;
const MIN_READ = 8;

export interface DispatchPass<R extends QueueKey & { agentId: string }> {
  agents: readonly QueuedAgent[];
  runners: readonly RunnerSlots[];
  /** Attempts each agent already has dispatched or running. */
  agentBusy: ReadonlyMap<string, number>;
  /** Up to `limit` of the agent's dispatchable queued attempts after `after`, oldest first. */
  read(agentId: string, after: QueueKey | null, limit: number): R[];
  /** The attempt as planning sees it, or null when it must wait (a follow-up behind a run). */
  candidate(row: R, runners: readonly RunnerSlots[]): QueuedAttempt | null;
  /** Carries out a placement; false when the attempt refused it (it changed meanwhile). */
  commit(row: R, placement: Omit<Placement, "key">): boolean;
}

/**
 * One dispatch pass: serves the queued attempts of every agent oldest first, merging the agents'
 * own queues, and places each that fits. An agent at its limit is never read (its rows cost
 * nothing however many it has queued), and one that reaches it during the pass is read no
 * further. Returns how many were placed. Inputs are not mutated.
 */
export function runDispatchPass<R extends QueueKey & { agentId: string }>(pass: DispatchPass<R>): number {
  const runners = pass.runners.map((r) => ({ ...r }));
  const agentBusy = new Map(pass.agentBusy);
  const limits = new Map(pass.agents.map((a) => [a.agentId, a.limit ?? Infinity]));
  let free = runners.reduce((n, r) => n + Math.max(0, r.concurrency - r.busy), 0);
  const room = (agentId: string) => Math.min(free, (limits.get(agentId) ?? Infinity) - (agentBusy.get(agentId) ?? 0));
  const read = (agentId: string, after: QueueKey | null) => pass.read(agentId, after, Math.max(MIN_READ, room(agentId) * READ_PER_SLOT));
  let placed = 0;
  let scanned = 0;
  for (const row of mergeQueues(pass.agents.map((a) => a.agentId), read, (agentId) => room(agentId) > 0)) {
    if (++scanned > MAX_SCAN) break;
    const task = pass.candidate(row, runners);
    const [p] = task ? planDispatch([task], runners, agentBusy) : [];
    if (!p || !pass.commit(row, { runnerId: p.runnerId, runtime: p.runtime })) continue;
    placed += 1;
    free -= 1;
    const runner = runners.find((r) => r.runnerId === p.runnerId);
    if (runner) runner.busy += 1;
    agentBusy.set(row.agentId, (agentBusy.get(row.agentId) ?? 0) + 1);
  }
  return placed;
}

/**
 * The queued attempts of several agents in one queue order, oldest first, reading each agent's
 * queue lazily a chunk at a time after the last row read. An agent is dropped, and read no more,
 * as soon as `open(agentId)` says no; nothing is read when no agent is open.
 */
export function* mergeQueues<R extends QueueKey>(
  agents: readonly string[],
  read: (agentId: string, after: QueueKey | null) => R[],
  open: (agentId: string) => boolean,
): Generator<R, void, undefined> {
  const cursors = agents.map((agentId) => ({ agentId, rows: [] as R[], at: 0, done: false }));
  for (;;) {
    let best: (typeof cursors)[number] | null = null;
    let head: R | undefined;
    for (const c of cursors) {
      if (c.done) continue;
      if (!open(c.agentId)) {
        c.done = true;
        continue;
      }
      if (c.at >= c.rows.length) {
        const last = c.rows[c.rows.length - 1];
        c.rows = read(c.agentId, last ? { queuedAt: last.queuedAt, taskId: last.taskId } : null);
        c.at = 0;
        if (c.rows.length === 0) {
          c.done = true;
          continue;
        }
      }
      const h = c.rows[c.at];
      if (h && (!head || h.queuedAt < head.queuedAt || (h.queuedAt === head.queuedAt && h.taskId < head.taskId))) {
        best = c;
        head = h;
      }
    }
    if (!best || !head) return;
    best.at += 1;
    yield head;
  }
}
