/**
 * Pure dispatch planning: which queued attempt goes to which connected runner, on which runtime.
 * The Durable Object feeds it a snapshot and applies the plan as check-and-set transitions.
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
