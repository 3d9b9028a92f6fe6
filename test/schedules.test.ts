/**
 * Schedules through the real control plane (wrangler dev, D1, Durable Object alarms) and a real
 * runner process running real commands. A test cannot wait for the wall clock to reach a fire, so
 * the TEST_HOOKS hook `/_test/schedule-clock` sets a schedule's clock as if its fire were due now
 * (or as if the control plane had been down for days) and has the workspace re-arm its alarm; the
 * alarm then fires for real: opens the issue, queues the agent's task, and the runner runs it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nextFire } from "../control-plane/src/triggers/cron";
import { startControlPlane, waitFor, type TestControlPlane } from "./helpers/control-plane";
import { FIXTURES, startRunner, type RunnerProcess } from "./helpers/runner-process";

interface Fire {
  at: number;
  utc: string;
  local: string;
}
interface Schedule {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  state: "active" | "paused";
  enabled: boolean;
  pausedReason: string | null;
  consecutiveFailures: number;
  lastFireAt: number;
  nextFireAt: number | null;
  nextFires: Fire[];
}
interface Run {
  id: string;
  scheduledFor: number;
  kind: "on_time" | "catch_up" | "manual";
  missed: number;
  issueId: string | null;
  taskId: string | null;
  outcome: string;
  error: string | null;
}
interface Issue {
  id: string;
  key: string;
  title: string;
  body: string;
  labels: string[];
  priority: string;
  assigneeAgentId: string | null;
}
interface ErrorBody {
  error: { code: string; message: string; details?: { path: string | null; message: string }[] };
}

const MINUTE = 60_000;
const DAY = 86_400_000;
let cp: TestControlPlane;
let runner: RunnerProcess;
const agents = { ok: "", fail: "" };

beforeAll(async () => {
  cp = await startControlPlane();
  const node = process.execPath;
  runner = startRunner({
    url: cp.url, token: await cp.runnerToken(), name: "schedules", concurrency: 4,
    commands: { "sched-ok": { command: node, args: [`${FIXTURES}/count.mjs`, "3"] }, "sched-fail": { command: node, args: [`${FIXTURES}/count.mjs`, "1", "0", "7"] } },
  });
  for (const key of ["ok", "fail"] as const) {
    agents[key] = (await cp.api.post<{ agent: { id: string } }>("/agents", { name: `sched-${key}`, runtimes: [`command:sched-${key}`], maxConcurrentTasks: 4 })).body.agent.id;
  }
});
afterAll(async () => {
  runner?.signal("SIGKILL");
  await runner?.exited;
  await cp?.stop();
});

async function create(body: Record<string, unknown>): Promise<Schedule> {
  const res = await cp.api.post<{ schedule: Schedule }>("/schedules", { timezone: "UTC", ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.schedule;
}
const schedule = async (id: string) => (await cp.api.get<{ schedule: Schedule }>(`/schedules/${id}`)).body.schedule;
const runs = async (id: string) => (await cp.api.get<{ runs: Run[] }>(`/schedules/${id}/runs`)).body.runs;
const issue = async (id: string) => (await cp.api.get<{ issue: Issue }>(`/issues/${id}`)).body.issue;
const titled = async (title: string) => (await cp.api.get<{ issues: Issue[] }>(`/issues?q=${encodeURIComponent(title)}`)).body.issues.filter((i) => i.title === title);

/** Sets a schedule's clock (the test hook) and has the workspace re-arm its alarm. */
async function setClock(id: string, lastFireAt: number, nextFireAt: number): Promise<void> {
  const res = await fetch(`${cp.url}/api/v1/_test/schedule-clock`, {
    method: "POST", headers: { authorization: `Bearer ${cp.adminToken}`, "content-type": "application/json" }, body: JSON.stringify({ scheduleId: id, lastFireAt, nextFireAt }),
  });
  expect(res.status, await res.text()).toBe(204);
}

/** The clock moved past `t`: the alarm has handled the fire that was due. */
const settledAfter = (id: string, t: number) => waitFor(async () => ((await schedule(id)).lastFireAt > t ? schedule(id) : null), 15_000, "the alarm to handle the schedule");
const finishedRuns = (id: string, n: number) => waitFor(async () => {
  const all = await runs(id);
  return all.length >= n && all.every((r) => r.outcome !== "started") ? all : null;
}, 30_000, `${n} finished run(s)`);
/** A daily fire at the hour 12 hours away from now (UTC): never due by accident while the tests run. */
const farDaily = () => `0 ${(new Date().getUTCHours() + 12) % 24} * * *`;

describe("firing", () => {
  it("fires on time: opens the issue and runs the agent on the runner", async () => {
    // A daily cron for the current minute: on time now, and never again while the tests run.
    if (Date.now() % MINUTE > 45_000) await new Promise((r) => setTimeout(r, MINUTE - (Date.now() % MINUTE) + 100));
    const boundary = Date.now() - (Date.now() % MINUTE);
    const at = new Date(boundary);
    const created = await create({
      name: "standup", cron: `${at.getUTCMinutes()} ${at.getUTCHours()} * * *`,
      action: { title: "Daily triage", description: "Sort the new issues.", priority: "high", labels: ["scheduled"], agentId: agents.ok },
    });
    expect(created.nextFireAt).toBe(boundary + DAY);
    await setClock(created.id, boundary - 1, Date.now() - 1);
    const [run] = await finishedRuns(created.id, 1);
    expect(run).toMatchObject({ kind: "on_time", scheduledFor: boundary, missed: 0, outcome: "succeeded", issueId: expect.stringMatching(/^iss_/), taskId: expect.stringMatching(/^tsk_/) });
    expect(await issue(run!.issueId!)).toMatchObject({ title: "Daily triage", body: "Sort the new issues.", priority: "high", labels: ["scheduled"], assigneeAgentId: agents.ok });
    const task = await cp.api.task(run!.taskId!, "?limit=100");
    expect(task.body.task.status).toBe("succeeded");
    expect(task.body.transcript.events.filter((e) => e.event.kind === "output").map((e) => e.event.text)).toEqual(["line 1", "line 2", "line 3"]);
    const activity = (await cp.api.get<{ activities: { kind: string; data: Record<string, unknown> }[] }>(`/issues/${run!.issueId}/activity`)).body.activities;
    expect(activity.find((a) => a.kind === "created")?.data).toMatchObject({ schedule: { id: created.id, runId: run!.id, kind: "on_time" } });
    expect(await schedule(created.id)).toMatchObject({ state: "active", consecutiveFailures: 0, nextFireAt: boundary + DAY });
  });

  it("skip: fires missed while the control plane was down are dropped, and the clock moves on", async () => {
    const cron = farDaily();
    const created = await create({ name: "skipper", cron, missedPolicy: "skip", action: { title: "Skipped report" } });
    const downSince = Date.now() - 3 * DAY;
    await setClock(created.id, downSince, Date.now() - 1);
    const after = await settledAfter(created.id, downSince);
    expect(after.lastFireAt).toBeGreaterThan(Date.now() - MINUTE);
    expect(after.nextFireAt).toBe(nextFire(cron, "UTC", after.lastFireAt));
    // The dropped fires show in the run log as one `skipped` row that opened nothing.
    expect(await runs(created.id)).toEqual([
      expect.objectContaining({ outcome: "skipped", missed: 3, scheduledFor: nextFire(cron, "UTC", downSince), issueId: null, taskId: null, error: expect.stringContaining("skipped") }),
    ]);
    expect(await titled("Skipped report")).toEqual([]);
  });

  it("catch_up_once: one run for all the missed fires, never a second one for the same fire", async () => {
    const cron = farDaily();
    const created = await create({ name: "catcher", cron, missedPolicy: "catch_up_once", action: { title: "Caught-up report", agentId: agents.ok } });
    const downSince = Date.now() - 3 * DAY;
    await setClock(created.id, downSince, Date.now() - 1);
    const [run] = await finishedRuns(created.id, 1);
    // Three fires (one a day, 12 hours from now) were missed; the run stands for the first of them.
    expect(run).toMatchObject({ kind: "catch_up", missed: 3, scheduledFor: nextFire(cron, "UTC", downSince), outcome: "succeeded" });
    const first = await schedule(created.id);
    expect(first.lastFireAt).toBeGreaterThan(Date.now() - MINUTE);

    // The same fire due again (a repeated alarm, a second instance): the unique index refuses it whole.
    await setClock(created.id, downSince, Date.now() - 1);
    await settledAfter(created.id, downSince);
    expect((await runs(created.id)).map((r) => r.id)).toEqual([run!.id]);
    expect(await titled("Caught-up report")).toHaveLength(1);
  });
});

describe("failures", () => {
  it("pauses after repeated failed runs; resume clears the failures and restarts the clock", async () => {
    const created = await create({ name: "flaky", cron: farDaily(), missedPolicy: "catch_up_once", maxConsecutiveFailures: 2, action: { title: "Flaky job", agentId: agents.fail } });
    expect((await cp.api.post<{ run: Run }>(`/schedules/${created.id}/run`)).status).toBe(201);
    const [one] = await finishedRuns(created.id, 1);
    expect(one).toMatchObject({ kind: "manual", outcome: "failed", error: expect.any(String) });
    expect(await schedule(created.id)).toMatchObject({ state: "active", consecutiveFailures: 1, pausedReason: null });

    const second = await cp.api.post<{ run: Run }>(`/schedules/${created.id}/run`);
    const all = await finishedRuns(created.id, 2);
    expect(all.map((r) => r.outcome)).toEqual(["failed", "failed"]);
    const paused = await schedule(created.id);
    expect(paused).toMatchObject({ state: "paused", enabled: false, consecutiveFailures: 2, pausedReason: "paused after 2 consecutive failed runs" });
    const activity = (await cp.api.get<{ activities: { kind: string; data: Record<string, unknown> }[] }>(`/issues/${second.body.run.issueId}/activity`)).body.activities;
    expect(activity.find((a) => a.kind === "schedule_paused")?.data).toMatchObject({ scheduleId: created.id, reason: paused.pausedReason });

    // Paused, an overdue fire is not fired (the alarm it arms finds nothing to do); resuming starts
    // from now, so the fires missed while paused are not caught up either.
    await setClock(created.id, Date.now() - 3 * DAY, Date.now() - 1);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await runs(created.id)).toHaveLength(2);
    const resumed = await cp.api.post<{ schedule: Schedule }>(`/schedules/${created.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.schedule).toMatchObject({ state: "active", enabled: true, consecutiveFailures: 0, pausedReason: null });
    expect(resumed.body.schedule.lastFireAt).toBeGreaterThan(Date.now() - MINUTE);
    expect(resumed.body.schedule.nextFireAt).toBeGreaterThan(Date.now());
    await new Promise((r) => setTimeout(r, 1500));
    expect(await runs(created.id)).toHaveLength(2);
  });

  it("a run whose agent was deleted is logged as an error and counts as a failure", async () => {
    const doomed = (await cp.api.post<{ agent: { id: string } }>("/agents", { name: "doomed", runtimes: ["command:nowhere"] })).body.agent.id;
    const created = await create({ name: "orphan", cron: farDaily(), maxConsecutiveFailures: 1, action: { title: "Orphan job", agentId: doomed } });
    expect((await cp.api.delete(`/agents/${doomed}`)).status).toBe(204);
    const res = await cp.api.post<{ run: Run }>(`/schedules/${created.id}/run`);
    expect(res.status).toBe(201);
    expect(res.body.run).toMatchObject({ kind: "manual", outcome: "error", issueId: null, error: `agent ${doomed} no longer exists in this workspace` });
    expect(await schedule(created.id)).toMatchObject({ state: "paused", pausedReason: "paused after 1 consecutive failed run" });
    expect(await titled("Orphan job")).toEqual([]);
  });
});

describe("managing schedules", () => {
  it("previews the next five fires in the schedule's zone, across a daylight-saving change", async () => {
    const created = await create({ name: "nightly", cron: "30 2 * * *", timezone: "America/New_York", action: { title: "Nightly" } });
    let t = Date.now();
    const expected = Array.from({ length: 5 }, () => (t = nextFire("30 2 * * *", "America/New_York", t)!));
    expect(created.nextFires.map((f) => f.at)).toEqual(expected);
    for (const f of created.nextFires) {
      expect(f.utc).toBe(new Date(f.at).toISOString());
      expect(f.local).toMatch(/T02:30-0[45]:00$/);
    }
    const changed = await cp.api.patch<{ schedule: Schedule }>(`/schedules/${created.id}`, { cron: "@hourly", timezone: "Asia/Kolkata" });
    expect(changed.status).toBe(200);
    expect(changed.body.schedule.nextFires.filter((f) => /T\d\d:00\+05:30$/.test(f.local))).toHaveLength(5);
    expect((await cp.api.get<{ schedules: Schedule[] }>("/schedules")).body.schedules.map((s) => s.id)).toContain(created.id);
    expect((await cp.api.post<{ schedule: Schedule }>(`/schedules/${created.id}/pause`)).body.schedule.state).toBe("paused");
    expect((await cp.api.delete(`/schedules/${created.id}`)).status).toBe(204);
    expect((await cp.api.get(`/schedules/${created.id}`)).status).toBe(404);
    expect((await cp.api.post(`/schedules/${created.id}/run`)).status).toBe(404);
  });

  it("refuses a bad cron expression or time zone with what is wrong in details", async () => {
    const bad = await cp.api.post<ErrorBody>("/schedules", { name: "bad", cron: "61 * * * *", timezone: "Mars/Olympus_Mons", action: { title: "x" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("bad_request");
    expect(bad.body.error.details).toEqual([
      { path: "cron", message: expect.stringMatching(/minute/) },
      { path: "timezone", message: expect.stringMatching(/time zone/) },
    ]);
    const tz = await cp.api.post<ErrorBody>("/schedules", { name: "bad", cron: "@daily", timezone: "Europe/Atlantis", action: { title: "x" } });
    expect(tz.body.error.details?.map((d) => d.path)).toEqual(["timezone"]);
    const never = await cp.api.post<ErrorBody>("/schedules", { name: "bad", cron: "0 0 30 2 *", timezone: "UTC", action: { title: "x" } });
    expect(never.body.error.details).toEqual([{ path: "cron", message: expect.stringMatching(/never fires/) }]);
    const agent = await cp.api.post<ErrorBody>("/schedules", { name: "bad", cron: "@daily", timezone: "UTC", action: { title: "x", agentId: "agt_nosuchagent000" } });
    expect(agent.status).toBe(400);
    expect(agent.body.error.details?.map((d) => d.path)).toEqual(["action.agentId"]);
    const created = await create({ name: "fine", cron: "@daily", action: { title: "x" } });
    const patched = await cp.api.patch<ErrorBody>(`/schedules/${created.id}`, { cron: "* * 31 2 MON-" });
    expect(patched.status).toBe(400);
    expect(patched.body.error.details?.[0]?.path).toBe("cron");
  });

  it("lets members read schedules but not create, change or run them", async () => {
    const added = await cp.api.post<{ token: { secret: string } }>("/members", { name: "Sam", email: "sam@schedules.test" });
    const member = cp.api.as(added.body.token.secret);
    const created = await create({ name: "admins-only", cron: "@daily", action: { title: "x" } });
    expect((await member.post("/schedules", { name: "mine", cron: "@daily", timezone: "UTC", action: { title: "x" } })).status).toBe(403);
    expect((await member.post(`/schedules/${created.id}/run`)).status).toBe(403);
    expect((await member.post(`/schedules/${created.id}/pause`)).status).toBe(403);
    expect((await member.get(`/schedules/${created.id}`)).status).toBe(200);
    expect((await member.get(`/schedules/${created.id}/runs`)).status).toBe(200);
  });
});

describe("downtime", () => {
  // Last in the file: the restart drops the runner's connection (it reconnects with backoff).
  it("an alarm that came due while the control plane was down fires once it is back", async () => {
    const cron = farDaily();
    const created = await create({ name: "sleeper", cron, missedPolicy: "catch_up_once", action: { title: "After the outage" } });
    const downSince = Date.now() - 2 * DAY;
    // The alarm is armed for 2 s from now; the control plane is killed before then and stays down past it.
    await setClock(created.id, downSince, Date.now() + 2000);
    await cp.restart({ hard: true, downMs: 4000 });
    const [run] = await finishedRuns(created.id, 1);
    expect(run).toMatchObject({ kind: "catch_up", missed: 2, scheduledFor: nextFire(cron, "UTC", downSince), outcome: "succeeded" });
    expect(await titled("After the outage")).toHaveLength(1);
  });
});
