// Missed-run policies after downtime, and the pause after consecutive failures.
import { describe, expect, it } from "vitest";
import { CronError } from "./cron";
import { MISSED_COUNT_LIMIT, planRuns, recordOutcome, type FailureState, type PlanInput } from "./schedule-policy";

const at = (iso: string) => Date.parse(iso);
const hourly = (lastFireIso: string, nowIso: string, policy: PlanInput["policy"]): PlanInput => ({
  expr: "0 * * * *",
  tz: "UTC",
  lastFireAt: at(lastFireIso),
  now: at(nowIso),
  policy,
});

describe("planRuns", () => {
  it("runs a fire that is due now on time, under either policy", () => {
    for (const policy of ["skip", "catch_up_once"] as const) {
      expect(planRuns(hourly("2026-05-01T09:00:00Z", "2026-05-01T10:00:00.250Z", policy))).toEqual({
        run: { scheduledFor: at("2026-05-01T10:00:00Z"), kind: "on_time" },
        missed: 0,
        firstMissed: null,
        nextFireAt: at("2026-05-01T11:00:00Z"),
        settledThrough: at("2026-05-01T10:00:00.250Z"),
      });
    }
  });

  it("starts nothing when no fire is due", () => {
    expect(planRuns(hourly("2026-05-01T10:00:00Z", "2026-05-01T10:30:00Z", "catch_up_once"))).toMatchObject({
      run: null,
      missed: 0,
      nextFireAt: at("2026-05-01T11:00:00Z"),
    });
  });

  it("skip: drops fires missed while down and resumes after now", () => {
    expect(planRuns(hourly("2026-05-01T06:00:00Z", "2026-05-01T10:30:00Z", "skip"))).toEqual({
      run: null,
      missed: 4,
      firstMissed: at("2026-05-01T07:00:00Z"),
      nextFireAt: at("2026-05-01T11:00:00Z"),
      settledThrough: at("2026-05-01T10:30:00Z"),
    });
  });

  it("catch_up_once: one run now for any number of missed fires, then the next fire after now", () => {
    expect(planRuns(hourly("2026-05-01T06:00:00Z", "2026-05-01T10:30:00Z", "catch_up_once"))).toEqual({
      run: { scheduledFor: at("2026-05-01T07:00:00Z"), kind: "catch_up" },
      missed: 4,
      firstMissed: at("2026-05-01T07:00:00Z"),
      nextFireAt: at("2026-05-01T11:00:00Z"),
      settledThrough: at("2026-05-01T10:30:00Z"),
    });
    expect(planRuns(hourly("2026-05-01T09:00:00Z", "2026-05-01T10:30:00Z", "catch_up_once")).run).toEqual({
      scheduledFor: at("2026-05-01T10:00:00Z"),
      kind: "catch_up",
    });
  });

  it("counts a fire later than the grace period as missed", () => {
    const input = hourly("2026-05-01T09:00:00Z", "2026-05-01T10:01:00.001Z", "skip");
    expect(planRuns(input)).toMatchObject({ run: null, missed: 1 });
    expect(planRuns({ ...input, graceMs: 5 * 60_000 })).toMatchObject({ run: { kind: "on_time" }, missed: 0 });
  });

  it("lets the on-time run stand in for the catch-up", () => {
    expect(planRuns(hourly("2026-05-01T06:00:00Z", "2026-05-01T10:00:10Z", "catch_up_once"))).toMatchObject({
      run: { scheduledFor: at("2026-05-01T10:00:00Z"), kind: "on_time" },
      missed: 3,
    });
  });

  it("is settled after acting: planning again from settledThrough starts nothing", () => {
    const first = planRuns(hourly("2026-05-01T06:00:00Z", "2026-05-01T10:30:00Z", "catch_up_once"));
    const again = planRuns({ ...hourly("2026-05-01T06:00:00Z", "2026-05-01T10:30:05Z", "catch_up_once"), lastFireAt: first.settledThrough });
    expect(again).toMatchObject({ run: null, missed: 0, nextFireAt: at("2026-05-01T11:00:00Z") });
  });

  it("bounds the missed count after a long outage", () => {
    const plan = planRuns({ expr: "* * * * *", tz: "UTC", lastFireAt: at("2026-05-01T00:00:00Z"), now: at("2026-05-08T00:00:30Z"), policy: "catch_up_once" });
    expect(plan).toMatchObject({ missed: MISSED_COUNT_LIMIT, run: { scheduledFor: at("2026-05-08T00:00:00Z"), kind: "on_time" } });
  });

  it("works in the schedule's time zone across a DST change", () => {
    // Down over the New York spring-forward night: the 02:00 job fired (at 03:00 EDT) while down.
    const plan = planRuns({ expr: "0 2 * * *", tz: "America/New_York", lastFireAt: at("2026-03-07T07:00:00Z"), now: at("2026-03-08T12:00:00Z"), policy: "catch_up_once" });
    expect(plan).toEqual({
      run: { scheduledFor: at("2026-03-08T07:00:00Z"), kind: "catch_up" },
      missed: 1,
      firstMissed: at("2026-03-08T07:00:00Z"),
      nextFireAt: at("2026-03-09T06:00:00Z"),
      settledThrough: at("2026-03-08T12:00:00Z"),
    });
  });

  it("reports a schedule that never fires again", () => {
    expect(planRuns({ expr: "0 0 30 2 *", tz: "UTC", lastFireAt: 0, now: at("2026-05-01T00:00:00Z"), policy: "skip" })).toEqual({
      run: null,
      missed: 0,
      firstMissed: null,
      nextFireAt: null,
      settledThrough: at("2026-05-01T00:00:00Z"),
    });
  });

  it("passes on CronError for a bad expression or zone", () => {
    expect(() => planRuns({ ...hourly("2026-05-01T06:00:00Z", "2026-05-01T10:30:00Z", "skip"), tz: "Nowhere/Land" })).toThrow(CronError);
    expect(() => planRuns({ ...hourly("2026-05-01T06:00:00Z", "2026-05-01T10:30:00Z", "skip"), expr: "0 25 * * *" })).toThrow(CronError);
  });
});

describe("recordOutcome", () => {
  const fresh: FailureState = { consecutiveFailures: 0, pausedReason: null };
  const fold = (outcomes: Parameters<typeof recordOutcome>[1][], max?: number) => outcomes.reduce((s, o) => recordOutcome(s, o, max), fresh);

  it("pauses after 5 consecutive failures by default, with a reason", () => {
    expect(fold(["failed", "failed", "failed", "failed"])).toEqual({ consecutiveFailures: 4, pausedReason: null });
    expect(fold(["failed", "failed", "failed", "failed", "failed"])).toEqual({
      consecutiveFailures: 5,
      pausedReason: "paused after 5 consecutive failed runs",
    });
  });

  it("resets on success and ignores cancellations", () => {
    expect(fold(["failed", "failed", "failed", "failed", "succeeded", "failed"])).toEqual({ consecutiveFailures: 1, pausedReason: null });
    expect(fold(["failed", "cancelled", "failed"])).toEqual({ consecutiveFailures: 2, pausedReason: null });
  });

  it("takes a configured limit, and keeps the first reason once paused", () => {
    expect(fold(["failed", "failed"], 2)).toEqual({ consecutiveFailures: 2, pausedReason: "paused after 2 consecutive failed runs" });
    expect(fold(["failed", "failed", "failed", "succeeded"], 2)).toEqual({ consecutiveFailures: 0, pausedReason: "paused after 2 consecutive failed runs" });
    expect(fold(["failed"], 1).pausedReason).toBe("paused after 1 consecutive failed run");
  });

  it("rejects a limit below 1", () => {
    expect(() => recordOutcome(fresh, "failed", 0)).toThrow(RangeError);
    expect(() => recordOutcome(fresh, "failed", 2.5)).toThrow(RangeError);
  });
});
