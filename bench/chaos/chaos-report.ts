/** The fault suite's counts, and how `npm run chaos` and the test print them. */

export const FAULT_KINDS = ["runner SIGKILL", "socket cut", "control-plane restart", "slow viewer", "malformed flood", "skewed webhook"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosReport {
  seed: number;
  durationMs: number;
  runners: number;
  faults: Record<FaultKind, number>;
  /** Runner processes started, first starts included. */
  runnerStarts: number;
  tasks: number;
  attempts: number;
  events: number;
  viewers: number;
  viewerEvents: number;
  viewerConnections: number;
  /** Events a reconnecting viewer got again in its replay and dropped (expected). */
  viewerOverlap: number;
  malformedFrames: number;
  badSockets: number;
  badSocketsClosed: number;
  rogueFrames: number;
  rogueFramesRefused: number;
  webhooksAccepted: number;
  webhooksRejected: number;
  webhooksRejectedLogged: number;
  /** Output lines (or viewer events) that should be there and are not. Must be 0. */
  lost: number;
  duplicates: number;
  outOfOrder: number;
  stuck: number;
  problems: string[];
}

export function emptyReport(o: { seed: number; durationMs: number; runners: number }): ChaosReport {
  return {
    seed: o.seed, durationMs: o.durationMs, runners: o.runners,
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    runnerStarts: 0, tasks: 0, attempts: 0, events: 0, viewers: 0, viewerEvents: 0, viewerConnections: 0, viewerOverlap: 0,
    malformedFrames: 0, badSockets: 0, badSocketsClosed: 0, rogueFrames: 0, rogueFramesRefused: 0,
    webhooksAccepted: 0, webhooksRejected: 0, webhooksRejectedLogged: 0,
    lost: 0, duplicates: 0, outOfOrder: 0, stuck: 0, problems: [],
  };
}

export function faultCount(r: ChaosReport): number {
  return Object.values(r.faults).reduce((a, b) => a + b, 0);
}

export function formatReport(r: ChaosReport): string {
  const rows: [string, string | number][] = [
    ["seed (CHAOS_SEED)", r.seed],
    ["fault window", `${r.durationMs / 1000} s, ${r.runners} runners`],
    ["faults injected", faultCount(r)],
    ...Object.entries(r.faults).map(([k, n]): [string, number] => [`  ${k}`, n]),
    ["runner processes started", r.runnerStarts],
    ["tasks", r.tasks],
    ["attempts", r.attempts],
    ["transcript events stored", r.events],
    ["viewers (connections)", `${r.viewers} (${r.viewerConnections})`],
    ["events held by viewers (replay overlap dropped)", `${r.viewerEvents} (${r.viewerOverlap})`],
    ["malformed frames sent", r.malformedFrames],
    ["bad sockets closed as protocol errors", `${r.badSocketsClosed}/${r.badSockets}`],
    ["rogue runner frames refused", `${r.rogueFramesRefused}/${r.rogueFrames}`],
    ["skewed webhooks accepted (within 5 min)", r.webhooksAccepted],
    ["skewed webhooks refused (logged)", `${r.webhooksRejected} (${r.webhooksRejectedLogged})`],
    ["stuck", r.stuck],
    ["duplicates", r.duplicates],
    ["out of order", r.outOfOrder],
    ["lost", r.lost],
  ];
  const lines = rows.map(([k, v]) => `${k.padEnd(42)} ${v}`);
  if (r.problems.length > 0) lines.push("", `problems (${r.problems.length}):`, ...r.problems.slice(0, 40).map((p) => `  ${p}`));
  return ["", "Multica fault suite", "-".repeat(60), ...lines, ""].join("\n");
}
