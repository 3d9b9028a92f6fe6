/** What a schedule does when the alarm wakes (planFire) and how a task's end counts (outcomeOf): pure, no D1. */
import { describe, expect, it } from "vitest";
import { outcomeOf } from "./schedule-outcomes";
import { planFire } from "./schedule-runner";

const at = (iso: string) => Date.parse(iso);

describe("planFire", () => {
  const daily9 = { cron: "0 9 * * *", timezone: "Europe/Berlin" } as const;

  it("runs a fire that is due now on time, and moves the clock to the next one", () => {
    const plan = planFire({ ...daily9, missedPolicy: "skip", lastFireAt: at("2026-11-23T08:00:00Z") }, at("2026-11-24T08:00:20Z"));
    expect(plan).toEqual({ run: { scheduledFor: at("2026-11-24T08:00:00Z"), kind: "on_time" }, missed: 0, firstMissed: null, lastFireAt: at("2026-11-24T08:00:20Z"), nextFireAt: at("2026-11-25T08:00:00Z"), broken: null });
  });

  it("after downtime: skip drops the missed fires, catch_up_once runs the first of them", () => {
    const row = { ...daily9, lastFireAt: at("2026-11-20T08:00:00Z") };
    const now = at("2026-11-24T12:00:00Z");
    expect(planFire({ ...row, missedPolicy: "skip" }, now)).toMatchObject({ run: null, missed: 4, firstMissed: at("2026-11-21T08:00:00Z"), lastFireAt: now, nextFireAt: at("2026-11-25T08:00:00Z") });
    expect(planFire({ ...row, missedPolicy: "catch_up_once" }, now)).toMatchObject({ run: { scheduledFor: at("2026-11-21T08:00:00Z"), kind: "catch_up" }, missed: 4 });
  });

  it("turns a stored expression or zone that no longer computes into a reason to pause, not an exception", () => {
    const plan = planFire({ cron: "0 9 * * *", timezone: "Nowhere/Gone", missedPolicy: "skip", lastFireAt: 0 }, at("2026-11-24T12:00:00Z"));
    expect(plan.run).toBeNull();
    expect(plan.nextFireAt).toBeNull();
    expect(plan.broken).toMatch(/^its fire times cannot be computed: .*time zone/);
  });
});

describe("outcomeOf", () => {
  it("counts a success, a cancellation, and anything else as a failure", () => {
    expect(["succeeded", "cancelled", "failed", "lost"].map((s) => outcomeOf(s as never))).toEqual(["succeeded", "cancelled", "failed", "failed"]);
  });
});
