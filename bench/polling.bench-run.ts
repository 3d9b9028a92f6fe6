/**
 * `npm run bench`, the dispatch claim measured side by side: our push dispatch and a runner
 * polling every 3 s and every 30 s (Multica's interval; polling-baseline.ts), on one real control
 * plane, with tasks arriving at uniformly random moments. For an arrival at a random moment the
 * expected wait for the next poll is interval / 2; both the measured and the expected figure are
 * reported, and the ratio to push. Bounded: 60 arrivals over 15 s for the 3 s poller and 40 over
 * 30 s for the 30 s poller, run at the same time (about a minute in all). Arrivals are spread
 * over the window and the pollers start at a random phase, so each arrival's wait for the next
 * poll is uniform in [0, interval): many arrivals per poll cost no extra time.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startControlPlane, type TestControlPlane } from "../test/helpers/control-plane";
import { agentAndIssue, autoRunner, sleep } from "./fake-runners";
import { PollingRunner } from "./polling-baseline";
import { Results } from "./results";
import { nowMs, summarize, type Summary } from "./stats";

const results = new Results("polling", "Dispatch: push vs polling, arrivals at random moments");
let cp: TestControlPlane;
let token: string;

beforeAll(async () => {
  cp = await startControlPlane();
  token = await cp.runnerToken("bench-polling");
}, 120_000);

afterAll(async () => {
  await cp?.stop();
  results.save();
});

/** Assigns `n` tasks at uniformly random moments within `windowMs`; returns each one's arrival time. */
async function arrivals(runtime: string, n: number, windowMs: number): Promise<Map<string, number>> {
  const { agentId, issueId } = await agentAndIssue(cp.api, runtime);
  const at = Array.from({ length: n }, () => Math.random() * windowMs).sort((a, b) => a - b);
  const sent = new Map<string, number>();
  const t0 = nowMs();
  for (const offset of at) {
    await sleep(Math.max(0, t0 + offset - nowMs()));
    const start = nowMs();
    const res = await cp.api.post<{ task: { taskId: string } }>(`/issues/${issueId}/assign`, { agentId });
    sent.set(res.body.task.taskId, start);
  }
  return sent;
}

async function claimLatencies(sent: Map<string, number>, claimedAt: Map<string, number>, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  while ([...sent.keys()].some((id) => !claimedAt.has(id)) && Date.now() < deadline) await sleep(50);
  return [...sent].map(([id, t]) => claimedAt.get(id)! - t);
}

it("push dispatch vs polling at 3 s and 30 s", async () => {
  const pushedAt = new Map<string, number>();
  const pusher = await autoRunner(cp.url, token, "rnr_benchpush", "command:push", 64, { onAssign: (id, at) => pushedAt.set(id, at) });
  const push = summarize(await claimLatencies(await arrivals("command:push", 100, 10_000), pushedAt, 10_000));
  pusher.close();

  const poll3 = new PollingRunner(cp.url, token, "command:poll3", 3_000);
  const poll30 = new PollingRunner(cp.url, token, "command:poll30", 30_000);
  let l3: number[];
  let l30: number[];
  try {
    const [sent3, sent30] = await Promise.all([arrivals("command:poll3", 60, 15_000), arrivals("command:poll30", 40, 30_000)]);
    [l3, l30] = await Promise.all([claimLatencies(sent3, poll3.claimedAt, 10_000), claimLatencies(sent30, poll30.claimedAt, 40_000)]);
  } finally {
    await Promise.all([poll3.stop(), poll30.stop()]);
  }
  const p3 = summarize(l3);
  const p30 = summarize(l30);

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  results.latency("push: HTTP assign → runner has it", push);
  results.latency(`poll every 3 s: HTTP assign → runner has it (${poll3.polls} polls)`, p3);
  results.latency(`poll every 30 s: HTTP assign → runner has it (${poll30.polls} polls)`, p30);
  results.value("poll every 3 s: measured mean (expected 1,500 + overhead)", mean(l3), "ms");
  results.value("poll every 30 s: measured mean (expected 15,000 + overhead)", mean(l30), "ms");
  const ratio = (a: Summary, b: Summary) => a.p50 / b.p50;
  results.value("p50 ratio, poll 3 s / push", ratio(p3, push), "×");
  results.value("p50 ratio, poll 30 s / push", ratio(p30, push), "×");
  results.value("expected ratio, poll 30 s (15,000 ms) / push p50", 15_000 / push.p50, "×");
  expect(l3.every(Number.isFinite) && l30.every(Number.isFinite)).toBe(true);
  expect(poll3.failedPolls + poll30.failedPolls).toBe(0);
}, 180_000);
