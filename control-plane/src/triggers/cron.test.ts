// Cron parsing and next fire times, in UTC and across daylight-saving changes (real tzdb via Intl).
import { describe, expect, it } from "vitest";
import { assertTimeZone, CronError, nextFire, parseCron } from "./cron";

const NY = "America/New_York";

/** The next `n` fire times after `fromIso`, as ISO strings in UTC. */
function fires(expr: string, tz: string, fromIso: string, n: number): string[] {
  const out: string[] = [];
  let t = Date.parse(fromIso);
  for (let i = 0; i < n; i++) {
    const next = nextFire(expr, tz, t);
    if (next === null) break;
    out.push(new Date(next).toISOString().replace(":00.000Z", "Z"));
    t = next;
  }
  return out;
}

/** Every fire in [fromIso, toIso), as ISO strings in UTC. */
function firesBetween(expr: string, tz: string, fromIso: string, toIso: string): string[] {
  const out: string[] = [];
  const end = Date.parse(toIso);
  for (let t = nextFire(expr, tz, Date.parse(fromIso) - 1); t !== null && t < end; t = nextFire(expr, tz, t)) {
    out.push(new Date(t).toISOString().replace(":00.000Z", "Z"));
  }
  return out;
}

function parseError(expr: string): string {
  try {
    parseCron(expr);
  } catch (err) {
    expect(err).toBeInstanceOf(CronError);
    return (err as CronError).message;
  }
  throw new Error(`expected "${expr}" to be rejected`);
}

describe("parseCron", () => {
  it("expands stars, lists, ranges and steps", () => {
    const s = parseCron("*/15 9-17/4 1,15 * *");
    expect(s.minutes).toEqual([0, 15, 30, 45]);
    expect(s.hours).toEqual([9, 13, 17]);
    expect(s.daysOfMonth).toEqual([1, 15]);
    expect(s.months).toHaveLength(12);
    expect(s.daysOfWeek).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(parseCron("0 0 * * *").minutes).toEqual([0]);
    expect(parseCron("5,1,5,3 * * * *").minutes).toEqual([1, 3, 5]);
  });

  it("reads month and day names in any case, and 7 as Sunday", () => {
    expect(parseCron("0 0 * jan,Mar-MAY *").months).toEqual([1, 3, 4, 5]);
    expect(parseCron("0 0 * * mon-FRI").daysOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(parseCron("0 0 * * 7").daysOfWeek).toEqual([0]);
    expect(parseCron("0 0 * * 5-7").daysOfWeek).toEqual([0, 5, 6]);
    expect(parseCron("0 0 * * sat,sun").daysOfWeek).toEqual([0, 6]);
  });

  it("expands the macros, in any case and with surrounding space", () => {
    expect(parseCron(" @HOURLY ")).toEqual(parseCron("0 * * * *"));
    expect(parseCron("@daily")).toEqual(parseCron("0 0 * * *"));
    expect(parseCron("@midnight")).toEqual(parseCron("0 0 * * *"));
    expect(parseCron("@weekly")).toEqual(parseCron("0 0 * * 0"));
    expect(parseCron("@monthly")).toEqual(parseCron("0 0 1 * *"));
    expect(parseCron("@yearly")).toEqual(parseCron("0 0 1 1 *"));
    expect(parseCron("@annually")).toEqual(parseCron("0 0 1 1 *"));
  });

  it("marks a day field unrestricted only when it starts with * (Vixie)", () => {
    expect(parseCron("0 0 * * *")).toMatchObject({ dayOfMonthRestricted: false, dayOfWeekRestricted: false });
    expect(parseCron("0 0 1 * MON")).toMatchObject({ dayOfMonthRestricted: true, dayOfWeekRestricted: true });
    expect(parseCron("0 0 */2 * 1-7")).toMatchObject({ dayOfMonthRestricted: false, dayOfWeekRestricted: true });
  });

  it("rejects bad expressions with a message naming the field and token", () => {
    expect(parseError("61 * * * *")).toBe("minute: 61 is out of range 0–59");
    expect(parseError("0 24 * * *")).toBe("hour: 24 is out of range 0–23");
    expect(parseError("0 0 0 * *")).toBe("day-of-month: 0 is out of range 1–31");
    expect(parseError("0 0 32 * *")).toBe("day-of-month: 32 is out of range 1–31");
    expect(parseError("0 0 * 13 *")).toBe("month: 13 is out of range 1–12");
    expect(parseError("0 0 * * 8")).toBe("day-of-week: 8 is out of range 0–7");
    expect(parseError("0 0 * FOO *")).toBe('month: "FOO" is not a number or a month name');
    expect(parseError("0 0 * * FUNDAY")).toBe('day-of-week: "FUNDAY" is not a number or a day name');
    expect(parseError("0 0 * MON *")).toBe('month: "MON" is not a number or a month name');
    expect(parseError("x * * * *")).toBe('minute: "x" is not a number');
    expect(parseError("-1 * * * *")).toBe('minute: "-1" is not a range');
    expect(parseError("1.5 * * * *")).toBe('minute: "1.5" is not a number');
    expect(parseError("0 5-2 * * *")).toBe('hour: range "5-2" runs backwards');
    expect(parseError("0 0 * * FRI-MON")).toBe('day-of-week: range "FRI-MON" runs backwards');
    expect(parseError("0 1-2-3 * * *")).toBe('hour: "1-2-3" is not a range');
    expect(parseError("*/0 * * * *")).toBe("minute: step 0 must be at least 1");
    expect(parseError("*/x * * * *")).toBe('minute: step "x" is not a number');
    expect(parseError("*/ * * * *")).toBe('minute: step "" is not a number');
    expect(parseError("5/15 * * * *")).toBe('minute: step "5/15" needs a range or * before the /');
    expect(parseError("*/2/3 * * * *")).toBe('minute: "*/2/3" has more than one step');
    expect(parseError("1,,2 * * * *")).toBe('minute: empty item in list "1,,2"');
    expect(parseError("0 0 * *")).toBe("expected 5 fields (minute hour day-of-month month day-of-week), got 4");
    expect(parseError("0 0 * * * *")).toBe("expected 5 fields (minute hour day-of-month month day-of-week), got 6");
    expect(parseError("   ")).toBe("expected 5 fields (minute hour day-of-month month day-of-week), got 0");
    expect(parseError("@reboot")).toBe('unknown macro "@reboot" (use @hourly, @daily, @weekly, @monthly or @yearly)');
    expect(parseError(`${"1,".repeat(200)}1 * * * *`)).toBe("expression is longer than 256 characters");
    expect(parseError(42 as unknown as string)).toBe("expression must be a string");
  });
});

describe("nextFire in UTC", () => {
  it("is strictly after `after`, on whole minutes", () => {
    expect(fires("* * * * *", "UTC", "2026-05-01T10:00:00Z", 2)).toEqual(["2026-05-01T10:01Z", "2026-05-01T10:02Z"]);
    expect(fires("* * * * *", "UTC", "2026-05-01T10:00:30.500Z", 1)).toEqual(["2026-05-01T10:01Z"]);
    expect(fires("0 * * * *", "UTC", "2026-05-01T10:59:59.999Z", 1)).toEqual(["2026-05-01T11:00Z"]);
  });

  it("walks a variety of expressions", () => {
    expect(fires("*/20 9-10 * * *", "UTC", "2026-05-01T10:30:00Z", 3)).toEqual(["2026-05-01T10:40Z", "2026-05-02T09:00Z", "2026-05-02T09:20Z"]);
    expect(fires("30 8 * * MON-FRI", "UTC", "2026-05-01T09:00:00Z", 3)).toEqual(["2026-05-04T08:30Z", "2026-05-05T08:30Z", "2026-05-06T08:30Z"]);
    expect(fires("0 0 1 */3 *", "UTC", "2026-05-01T00:00:00Z", 3)).toEqual(["2026-07-01T00:00Z", "2026-10-01T00:00Z", "2027-01-01T00:00Z"]);
    expect(fires("0 12 31 * *", "UTC", "2026-01-31T12:00:00Z", 3)).toEqual(["2026-03-31T12:00Z", "2026-05-31T12:00Z", "2026-07-31T12:00Z"]);
    expect(fires("@weekly", "UTC", "2026-05-01T00:00:00Z", 2)).toEqual(["2026-05-03T00:00Z", "2026-05-10T00:00Z"]);
    expect(fires("@yearly", "UTC", "2026-05-01T00:00:00Z", 2)).toEqual(["2027-01-01T00:00Z", "2028-01-01T00:00Z"]);
    expect(fires("59 23 31 12 *", "UTC", "2026-12-31T23:59:00Z", 1)).toEqual(["2027-12-31T23:59Z"]);
  });

  it("fires Feb 29 only in leap years", () => {
    expect(fires("0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", 2)).toEqual(["2028-02-29T00:00Z", "2032-02-29T00:00Z"]);
  });

  it("ORs the day fields when both are restricted, ANDs them otherwise", () => {
    // 2026-05-01 is a Friday: the 13th of any month OR any Friday.
    expect(fires("0 0 13 * FRI", "UTC", "2026-05-01T12:00:00Z", 4)).toEqual(["2026-05-08T00:00Z", "2026-05-13T00:00Z", "2026-05-15T00:00Z", "2026-05-22T00:00Z"]);
    // `*` in day-of-month: only Fridays.
    expect(fires("0 0 * * FRI", "UTC", "2026-05-01T12:00:00Z", 2)).toEqual(["2026-05-08T00:00Z", "2026-05-15T00:00Z"]);
    // `*/2` counts as unrestricted (Vixie), so odd days that are also Mondays.
    expect(fires("0 0 */2 * MON", "UTC", "2026-05-01T12:00:00Z", 2)).toEqual(["2026-05-11T00:00Z", "2026-05-25T00:00Z"]);
  });

  it("returns null when nothing matches within the search window", () => {
    expect(nextFire("0 0 30 2 *", "UTC", Date.parse("2026-01-01T00:00:00Z"))).toBeNull();
    expect(nextFire("0 0 31 4,6,9,11 *", "Europe/Berlin", Date.parse("2026-01-01T00:00:00Z"))).toBeNull();
  });

  it("accepts a parsed schedule", () => {
    expect(nextFire(parseCron("@hourly"), "UTC", Date.parse("2026-05-01T10:30:00Z"))).toBe(Date.parse("2026-05-01T11:00:00Z"));
  });

  it("rejects unknown time zones and bad times with CronError", () => {
    expect(() => nextFire("* * * * *", "Mars/Olympus", 0)).toThrow(new CronError('unknown time zone "Mars/Olympus"'));
    expect(() => nextFire("* * * * *", "", 0)).toThrow(new CronError('unknown time zone ""'));
    expect(() => assertTimeZone("Not/AZone")).toThrow(CronError);
    expect(() => assertTimeZone("europe/berlin")).not.toThrow();
    expect(() => nextFire("* * * * *", "UTC", Number.NaN)).toThrow(new CronError("after must be a time in ms since 1970, got NaN"));
    expect(() => nextFire("* * * * *", "UTC", 8.64e15)).toThrow(CronError);
    expect(() => nextFire("61 * * * *", "UTC", 0)).toThrow(CronError);
  });
});

describe("nextFire across time zones and daylight saving", () => {
  it("uses the zone's offset without DST (Asia/Kolkata, +05:30)", () => {
    expect(fires("0 9 * * *", "Asia/Kolkata", "2026-03-28T00:00:00Z", 2)).toEqual(["2026-03-28T03:30Z", "2026-03-29T03:30Z"]);
    expect(fires("0 0 1 1 *", "Asia/Kolkata", "2026-06-01T00:00:00Z", 1)).toEqual(["2026-12-31T18:30Z"]);
  });

  it("New York spring forward: `0 2 * * *` fires at 03:00 EDT, once", () => {
    expect(fires("0 2 * * *", NY, "2026-03-07T12:00:00Z", 3)).toEqual(["2026-03-08T07:00Z", "2026-03-09T06:00Z", "2026-03-10T06:00Z"]);
    // Any time in the gap fires at the end of the gap; a job at 03:00 shares that instant.
    expect(fires("30 2 * * *", NY, "2026-03-08T00:00:00Z", 1)).toEqual(["2026-03-08T07:00Z"]);
    expect(fires("30 2,3 * * *", NY, "2026-03-08T00:00:00Z", 2)).toEqual(["2026-03-08T07:00Z", "2026-03-08T07:30Z"]);
    expect(fires("0 2,3 * * *", NY, "2026-03-08T00:00:00Z", 2)).toEqual(["2026-03-08T07:00Z", "2026-03-09T06:00Z"]);
  });

  it("New York fall back: `30 1 * * *` fires once, at the first 01:30 (EDT)", () => {
    expect(fires("30 1 * * *", NY, "2026-10-31T12:00:00Z", 3)).toEqual(["2026-11-01T05:30Z", "2026-11-02T06:30Z", "2026-11-03T06:30Z"]);
    // Asked from inside the repeated hour, the second 01:30 is not offered either.
    expect(fires("30 1 * * *", NY, "2026-11-01T06:10:00Z", 1)).toEqual(["2026-11-02T06:30Z"]);
  });

  it("New York `*/15`: the gap collapses to 03:00 and the repeated hour fires once", () => {
    expect(firesBetween("*/15 * * * *", NY, "2026-03-08T06:00:00Z", "2026-03-08T08:00:00Z")).toEqual([
      "2026-03-08T06:00Z", "2026-03-08T06:15Z", "2026-03-08T06:30Z", "2026-03-08T06:45Z", // 01:00–01:45 EST
      "2026-03-08T07:00Z", "2026-03-08T07:15Z", "2026-03-08T07:30Z", "2026-03-08T07:45Z", // 03:00–03:45 EDT
    ]);
    expect(firesBetween("*/15 * * * *", NY, "2026-11-01T05:00:00Z", "2026-11-01T07:30:00Z")).toEqual([
      "2026-11-01T05:00Z", "2026-11-01T05:15Z", "2026-11-01T05:30Z", "2026-11-01T05:45Z", // 01:00–01:45 EDT
      "2026-11-01T07:00Z", "2026-11-01T07:15Z", // 02:00 EST on; 01:00–01:45 EST are repeats
    ]);
  });

  it("every minute over a transition day: no duplicates, nothing missing beyond the rules", () => {
    const spring = firesBetween("* * * * *", NY, "2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z");
    expect(new Set(spring).size).toBe(spring.length);
    expect(spring).toHaveLength(23 * 60); // the 60 gap minutes collapse into 03:00, which fires anyway
    const fall = firesBetween("* * * * *", NY, "2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z");
    expect(new Set(fall).size).toBe(fall.length);
    expect(fall).toHaveLength(24 * 60); // 25 hours long, the repeated hour skipped
  });

  it("Europe/Berlin: 2026-03-29 02:00→03:00 and 2026-10-25 03:00→02:00", () => {
    expect(fires("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 2)).toEqual(["2026-03-29T01:00Z", "2026-03-30T00:30Z"]);
    expect(fires("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 2)).toEqual(["2026-10-25T00:30Z", "2026-10-26T01:30Z"]);
    expect(firesBetween("0 * * * *", "Europe/Berlin", "2026-10-24T22:00:00Z", "2026-10-25T04:00:00Z")).toEqual([
      "2026-10-24T22:00Z", "2026-10-24T23:00Z", "2026-10-25T00:00Z", "2026-10-25T02:00Z", "2026-10-25T03:00Z",
    ]);
  });

  it("Australia/Lord_Howe: a 30-minute shift (+10:30 ↔ +11)", () => {
    // 2026-10-04 02:00 → 02:30: 02:00 and 02:15 both fire at 02:30 (+11).
    expect(fires("0 2 * * *", "Australia/Lord_Howe", "2026-10-02T12:00:00Z", 3)).toEqual(["2026-10-02T15:30Z", "2026-10-03T15:30Z", "2026-10-04T15:00Z"]);
    expect(fires("15 2 * * *", "Australia/Lord_Howe", "2026-10-03T12:00:00Z", 1)).toEqual(["2026-10-03T15:30Z"]);
    // 2026-04-05 02:00 → 01:30: 01:45 happens twice and fires at the first (+11).
    expect(fires("45 1 * * *", "Australia/Lord_Howe", "2026-04-03T12:00:00Z", 3)).toEqual(["2026-04-03T14:45Z", "2026-04-04T14:45Z", "2026-04-05T15:15Z"]);
    const day = firesBetween("*/15 * * * *", "Australia/Lord_Howe", "2026-04-04T14:00:00Z", "2026-04-04T16:00:00Z");
    expect(day).toEqual(["2026-04-04T14:00Z", "2026-04-04T14:15Z", "2026-04-04T14:30Z", "2026-04-04T14:45Z", "2026-04-04T15:30Z", "2026-04-04T15:45Z"]);
  });

  it("computes field by field: a search that never matches is still quick", () => {
    const start = performance.now();
    for (let i = 0; i < 20; i++) expect(nextFire("0 0 30 2 *", NY, Date.parse("2026-01-01T00:00:00Z"))).toBeNull();
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
