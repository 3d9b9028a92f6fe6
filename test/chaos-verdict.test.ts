/**
 * The fault suite's judge (bench/chaos/verify.ts) must fail what it is there to catch: a lost
 * line, a repeated or skipped seq, an earlier attempt that ended any way but lost, a viewer that
 * missed or repeated an event. Pure: no control plane.
 */
import { describe, expect, it } from "vitest";
import { verifyTask, verifyViewer, type StoredEvent } from "../bench/chaos/verify";

const out = (attempt: number, seq: number, text: string): StoredEvent => ({ attempt, seq, event: { kind: "output", text } });
const life = (attempt: number, seq: number): StoredEvent => ({ attempt, seq, event: { kind: "lifecycle" } });
/** A lifecycle event, `lines` output lines, a lifecycle event: what a clean attempt stores. */
const attemptOf = (attempt: number, lines: number, end = true): StoredEvent[] => [
  life(attempt, 1),
  ...Array.from({ length: lines }, (_, i) => out(attempt, i + 2, `line ${i + 1}`)),
  ...(end ? [life(attempt, lines + 2)] : []),
];

describe("verifyTask", () => {
  it("passes a lost attempt's prefix followed by a complete retry", () => {
    const v = verifyTask("t", [{ attempt: 1, status: "lost" }, { attempt: 2, status: "succeeded" }], [...attemptOf(1, 3, false), ...attemptOf(2, 5)], 5);
    expect(v).toMatchObject({ lost: 0, duplicates: 0, outOfOrder: 0, problems: [] });
  });

  it("counts missing lines of the attempt that succeeded", () => {
    const events = attemptOf(1, 5).filter((e) => e.event.text !== "line 3").map((e, i) => ({ ...e, seq: i + 1 }));
    const v = verifyTask("t", [{ attempt: 1, status: "succeeded" }], events, 5);
    expect(v.lost).toBe(1);
    expect(v.problems.join()).toMatch(/output 3 is "line 4"/);
  });

  it("catches a repeated seq and a task that never finished", () => {
    const events = attemptOf(1, 3);
    const v = verifyTask("t", [{ attempt: 1, status: "running" }], [...events.slice(0, 2), events[1]!, ...events.slice(2)], 3);
    expect(v.duplicates).toBe(1);
    expect(v.outOfOrder).toBe(1);
    expect(v.lost).toBe(3);
  });

  it("refuses an earlier attempt that failed rather than being lost", () => {
    const v = verifyTask("t", [{ attempt: 1, status: "failed" }, { attempt: 2, status: "succeeded" }], [...attemptOf(1, 1), ...attemptOf(2, 2)], 2);
    expect(v.problems).toEqual(["t: attempt 1 ended failed, not lost"]);
  });
});

describe("verifyViewer", () => {
  const stored = [...attemptOf(1, 2, false), ...attemptOf(2, 2)];
  const keys = (events: StoredEvent[]) => events.map(({ attempt, seq }) => ({ attempt, seq }));

  it("accepts a lost attempt's late events after the retry's", () => {
    // Attempt 1's last event (seq 3) arrives after all of attempt 2's.
    const late = [...keys(stored).filter((k) => !(k.attempt === 1 && k.seq === 3)), { attempt: 1, seq: 3 }];
    expect(verifyViewer("t", { events: late, gaps: 0, liveDuplicates: 0 }, stored).problem).toBeNull();
  });

  it("reports what a viewer missed, repeated live, or got after a gap", () => {
    const v = verifyViewer("t", { events: keys(stored).slice(1), gaps: 1, liveDuplicates: 2 }, stored);
    expect(v).toMatchObject({ missed: 1, duplicates: 2, outOfOrder: 1 });
    expect(v.problem).toMatch(/1 missed, 2 duplicated live, 1 after a gap/);
  });
});
