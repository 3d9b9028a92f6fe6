// Cron schedules for triggers, pure: `parseCron` reads a standard 5-field expression and `nextFire`
// finds the next fire time in an IANA time zone using only `Intl` (so it runs in Workers and Node).
// Used by trigger validation and by schedule-policy.ts; unit-tested in cron.test.ts.
//
// Syntax: `minute hour day-of-month month day-of-week`, each field `*`, a value, a list `a,b`, a range
// `a-b`, or a step `*/n` or `a-b/n`; month names JAN–DEC and day names SUN–SAT in any case; 0 and 7
// are both Sunday. Macros: @hourly, @daily (@midnight), @weekly, @monthly, @yearly (@annually).
// Days follow Vixie cron: a day field that starts with `*` is unrestricted; when both day fields are
// restricted a day matches if EITHER matches, otherwise both must (so `*/2` counts as unrestricted,
// as in Vixie; see crontab(5), "Note: The day of a command's execution ...").
//
// Daylight saving, for the local wall-clock times an expression names:
// - A local time that does not exist (spring-forward gap, 02:30 on 2026-03-08 in New York) fires at
//   the first valid instant after the gap (03:00 EDT), once, however many times in the gap match.
// - A local time that occurs twice (fall-back overlap, 01:30 on 2026-11-01 in New York) fires once,
//   at its first occurrence (01:30 EDT); the repeated hour does not fire again.
// Both rules keep "wall time → fire instant" non-decreasing, so `nextFire` walks wall times in order
// (field by field, not minute by minute) and returns the first whose instant is after `after`.
// The search looks at most SEARCH_YEARS ahead; no match in that span (`0 0 30 2 *`) gives `null`.

/** The only error this module throws: a bad expression, time zone or time. */
export class CronError extends Error {
  override readonly name = "CronError";
}

/** A parsed expression: the allowed values of each field, sorted ascending; Sunday is 0. */
export interface CronSchedule {
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  readonly daysOfWeek: readonly number[];
  /** False when the field starts with `*` (Vixie): then the other day field alone decides. */
  readonly dayOfMonthRestricted: boolean;
  readonly dayOfWeekRestricted: boolean;
}

/** How far ahead `nextFire` looks before giving up. */
export const SEARCH_YEARS = 5;
/** Longer expressions are refused before parsing (no macro or 5-field expression needs more). */
export const MAX_EXPRESSION_LENGTH = 256;

const MINUTE = 60_000;
const DAY = 86_400_000;
const SEARCH_MS = SEARCH_YEARS * 366 * DAY;
/** `after` must be from 1970 on (older years trip `Date.UTC`'s two-digit years) and leave room to search. */
const MAX_TIME = 8.64e15 - SEARCH_MS - 2 * DAY;

const MACROS: Readonly<Record<string, string>> = {
  "@hourly": "0 * * * *",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@weekly": "0 0 * * 0",
  "@monthly": "0 0 1 * *",
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
};

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  kind?: string;
}

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTH_NAMES, kind: "month name" },
  { name: "day-of-week", min: 0, max: 7, names: DAY_NAMES, kind: "day name" },
];

/** Parses a 5-field expression or macro; throws `CronError` naming the field and the bad token. */
export function parseCron(expr: string): CronSchedule {
  if (typeof expr !== "string") throw new CronError("expression must be a string");
  if (expr.length > MAX_EXPRESSION_LENGTH) throw new CronError(`expression is longer than ${MAX_EXPRESSION_LENGTH} characters`);
  let text = expr.trim();
  if (text.startsWith("@")) {
    const macro = MACROS[text.toLowerCase()];
    if (macro === undefined) throw new CronError(`unknown macro "${text}" (use @hourly, @daily, @weekly, @monthly or @yearly)`);
    text = macro;
  }
  const parts = text === "" ? [] : text.split(/\s+/);
  if (parts.length !== 5) throw new CronError(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const [minutes, hours, daysOfMonth, months, daysOfWeek] = FIELDS.map((spec, i) => parseField(parts[i] ?? "", spec));
  return {
    minutes: minutes ?? [],
    hours: hours ?? [],
    daysOfMonth: daysOfMonth ?? [],
    months: months ?? [],
    daysOfWeek: daysOfWeek ?? [],
    dayOfMonthRestricted: !(parts[2] ?? "").startsWith("*"),
    dayOfWeekRestricted: !(parts[4] ?? "").startsWith("*"),
  };
}

function parseField(text: string, spec: FieldSpec): number[] {
  const values = new Set<number>();
  for (const item of text.split(",")) {
    if (item === "") throw new CronError(`${spec.name}: empty item in list "${text}"`);
    const [range = "", step, extra] = item.split("/");
    if (extra !== undefined) throw new CronError(`${spec.name}: "${item}" has more than one step`);
    let every = 1;
    if (step !== undefined) {
      if (!/^\d+$/.test(step)) throw new CronError(`${spec.name}: step "${step}" is not a number`);
      every = Number(step);
      if (every < 1) throw new CronError(`${spec.name}: step ${step} must be at least 1`);
    }
    let lo: number;
    let hi: number;
    if (range === "*") {
      [lo, hi] = [spec.min, spec.name === "day-of-week" ? 6 : spec.max];
    } else if (range.includes("-")) {
      const [a = "", b = "", more] = range.split("-");
      if (more !== undefined || a === "" || b === "") throw new CronError(`${spec.name}: "${range}" is not a range`);
      [lo, hi] = [parseValue(a, spec), parseValue(b, spec)];
      if (lo > hi) throw new CronError(`${spec.name}: range "${range}" runs backwards`);
    } else {
      if (step !== undefined) throw new CronError(`${spec.name}: step "${item}" needs a range or * before the /`);
      lo = hi = parseValue(range, spec);
    }
    for (let v = lo; v <= hi; v += every) values.add(spec.name === "day-of-week" && v === 7 ? 0 : v);
  }
  return [...values].sort((a, b) => a - b);
}

function parseValue(token: string, spec: FieldSpec): number {
  if (/^\d+$/.test(token)) {
    const n = Number(token);
    if (n < spec.min || n > spec.max) throw new CronError(`${spec.name}: ${token} is out of range ${spec.min}–${spec.max}`);
    return n;
  }
  const index = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index >= 0) return spec.name === "month" ? index + 1 : index;
  throw new CronError(`${spec.name}: "${token}" is not a number${spec.kind ? ` or a ${spec.kind}` : ""}`);
}

/**
 * The first fire time strictly after `after` (ms since epoch) of `expr` in the IANA zone `tz`, or
 * `null` when nothing matches within SEARCH_YEARS. Daylight-saving rules are in the module header.
 * Throws `CronError` for a bad expression, an unknown time zone or an `after` out of range.
 */
export function nextFire(expr: string | CronSchedule, tz: string, after: number): number | null {
  const schedule = typeof expr === "string" ? parseCron(expr) : expr;
  const zone = zoneClock(tz);
  if (!Number.isFinite(after) || after < 0 || after > MAX_TIME) throw new CronError(`after must be a time in ms since 1970, got ${after}`);
  const start = zone.wallOf(after);
  const until = start + SEARCH_MS;
  let from = start - mod(start, MINUTE);
  for (;;) {
    const wall = nextWall(schedule, from, until);
    if (wall === null) return null;
    const instants = zone.instantsOf(wall);
    const fire = instants[0] ?? zone.gapEnd(wall);
    if (fire > after) return fire;
    // Only the first occurrence of a repeated wall time fires: when `after` is in the second, step on.
    from = wall + MINUTE;
  }
}

/** Checks that `tz` is a time zone `Intl` knows; throws `CronError` "unknown time zone" if not. */
export function assertTimeZone(tz: string): void {
  zoneClock(tz);
}

/** The first wall time (ms, read as UTC fields) at or after `from` that matches, up to `until`. */
function nextWall(s: CronSchedule, from: number, until: number): number | null {
  let t = from;
  while (t <= until) {
    const d = new Date(t);
    const [y, mo, day, h, mi] = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()];
    if (!s.months.includes(mo + 1)) {
      t = Date.UTC(y, mo + 1, 1);
    } else if (!matchesDay(s, day, d.getUTCDay())) {
      t = Date.UTC(y, mo, day + 1);
    } else {
      const hour = firstAtLeast(s.hours, h);
      const minute = hour === h ? firstAtLeast(s.minutes, mi) : undefined;
      if (hour === undefined) t = Date.UTC(y, mo, day + 1);
      else if (hour > h) t = Date.UTC(y, mo, day, hour);
      else if (minute === undefined) t = Date.UTC(y, mo, day, h + 1);
      else return Date.UTC(y, mo, day, h, minute);
    }
  }
  return null;
}

function matchesDay(s: CronSchedule, dayOfMonth: number, dayOfWeek: number): boolean {
  const dom = s.daysOfMonth.includes(dayOfMonth);
  const dow = s.daysOfWeek.includes(dayOfWeek);
  return s.dayOfMonthRestricted && s.dayOfWeekRestricted ? dom || dow : dom && dow;
}

function firstAtLeast(sorted: readonly number[], value: number): number | undefined {
  return sorted.find((v) => v >= value);
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

interface ZoneClock {
  /** Local wall time of an instant, as ms whose UTC fields read the local date and time. */
  wallOf(t: number): number;
  /** The instants showing this wall time, earliest first: none in a gap, two in an overlap. */
  instantsOf(wall: number): number[];
  /** For a wall time in a gap: the first instant after the gap. */
  gapEnd(wall: number): number;
}

/** Formatters are costly to build; one per zone, and the cache is bounded (zone names are finite, but case varies). */
const formatters = new Map<string, Intl.DateTimeFormat>();
const MAX_FORMATTERS = 64;

function zoneClock(tz: string): ZoneClock {
  let fmt = formatters.get(tz);
  if (fmt === undefined) {
    if (typeof tz !== "string" || tz === "") throw new CronError(`unknown time zone "${String(tz)}"`);
    try {
      fmt = new Intl.DateTimeFormat("en-US-u-ca-gregory-nu-latn", {
        timeZone: tz,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch (err) {
      if (err instanceof RangeError) throw new CronError(`unknown time zone "${tz}"`);
      throw err;
    }
    if (formatters.size >= MAX_FORMATTERS) formatters.clear();
    formatters.set(tz, fmt);
  }
  const format = fmt;
  const wallOf = (t: number): number => {
    const f: Record<string, number> = {};
    for (const p of format.formatToParts(t)) if (p.type !== "literal") f[p.type] = Number(p.value);
    const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = f;
    return Date.UTC(year, month - 1, day, hour % 24, minute, second) + mod(t, 1000);
  };
  const offsetAt = (t: number): number => wallOf(t) - t;
  return {
    wallOf,
    instantsOf(wall) {
      // Offsets a day either side cover any one transition near `wall` (zones never change twice in a day).
      const candidates = new Set([wall - offsetAt(wall - DAY), wall - offsetAt(wall + DAY)]);
      return [...candidates].filter((t) => wallOf(t) === wall).sort((a, b) => a - b);
    },
    gapEnd(wall) {
      // Binary search, in whole seconds (tzdb transitions are), for the first instant showing ≥ wall.
      const ends = [wall - offsetAt(wall - DAY), wall - offsetAt(wall + DAY)];
      let lo = Math.floor(Math.min(...ends) / 1000);
      let hi = Math.ceil(Math.max(...ends) / 1000);
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (wallOf(mid * 1000) >= wall) hi = mid;
        else lo = mid;
      }
      return hi * 1000;
    },
  };
}
