/**
 * Finds when a rate or usage limit resets in the text an agent CLI printed, in the shapes the
 * CLIs and providers use: an epoch after a `|` ("Claude AI usage limit reached|1763996400"),
 * JSON fields (`"resets_at": 1763996400`, `"retryDelay": "30s"`), a timestamp after a reset
 * word (RFC 3339, or an HTTP date in Retry-After), a wall-clock time ("resets 5:31pm (UTC)",
 * "try again at Nov 25th, 2026 7:20 PM", "resets at 15:00"), or a delay ("Please retry in
 * 12.5s", "try again in 2h 3m", "Retry-After: 30"). Pure apart from the runner's own time zone,
 * which a wall-clock time without a zone is read in (the CLI runs on the same machine).
 * rate-limit.ts uses it.
 */

const DAY_MS = 86_400_000;
/** A reset further away than this is taken for a misreading (no provider window is longer). */
const MAX_AHEAD_MS = 35 * DAY_MS;
/** Clocks shown to the minute (codex, claude) are up to a minute before the real reset. */
const MINUTE_MS = 60_000;

const UNIT = "(?:milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)(?![a-z])";
const DURATION = `\\d+(?:\\.\\d+)?\\s*${UNIT}(?:[\\s,]*(?:and\\s+)?\\d+(?:\\.\\d+)?\\s*${UNIT})*`;
const RESET_WORD = "(?:retry|try again|resets?|available again|wait)";

const EPOCH_SUFFIX = /\|\s*(\d{10}|\d{13})(?!\d)/;
const JSON_EPOCH = /"?(?:resets?_?at|resetsAt|reset_time)"?\s*[:=]\s*"?(\d{10}|\d{13})(?!\d)/i;
const JSON_DELAY = /"?retry_?delay"?\s*[:=]\s*"(\d+(?:\.\d+)?(?:ms|s))"/i;
const JSON_SECONDS = /"?(?:resets_in_seconds|reset_after_seconds|retry_after_seconds)"?\s*[:=]\s*(\d+(?:\.\d+)?)/i;
const ISO_AFTER_WORD =
  /(?:reset|retry|try again|until|available)[\w"'\s:=-]{0,30}?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)(?![\d:])/i;
const HTTP_DATE = /retry-after\s*:?\s*([A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)/i;
const DELAY_AFTER_WORD = new RegExp(`${RESET_WORD}(?:[ -]after|\\s+in|\\s+after)\\s*:?\\s*(?:(${DURATION})|(\\d+(?:\\.\\d+)?)(?![\\d.:-]|\\s*[ap]\\.?m\\b))`, "i");
const MONTH = "(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?,?(?:\\s+(\\d{4}),?)?\\s+(?:at\\s+)?";
const CLOCK = "(?:(\\d{1,2})(?::(\\d{2}))?\\s*([ap])\\.?m\\.?(?![a-z])|(\\d{1,2}):(\\d{2})(?![\\d:]))";
const ZONE = "(?:\\s*\\(([^)]{1,40})\\)|\\s*(UTC|GMT|Z)(?![a-z])|\\s*([+-]\\d{2}:?\\d{2}))?";
const WALL_CLOCK = new RegExp(`(?:resets?|try again|retry|until|available(?: again)?)\\s+(?:at\\s+|on\\s+|after\\s+)?(?:${MONTH})?${CLOCK}${ZONE}`, "i");
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** When the limit in `text` resets (ms since epoch), or null when the text does not say. */
export function findResetTime(text: string, now: number): number | null {
  const found = epochIn(text) ?? delayIn(text, now) ?? timestampIn(text) ?? wallClockIn(text, now);
  if (found === null || !Number.isFinite(found)) return null;
  // A reset long past or months away is a misreading, not a reset time.
  if (found < now - DAY_MS || found > now + MAX_AHEAD_MS) return null;
  return Math.max(0, Math.round(found));
}

/** A delay like "30s", "2h 3m", "500ms", "1.5 minutes" in milliseconds, or null. */
export function parseDuration(text: string): number | null {
  const parts = [...text.matchAll(new RegExp(`(\\d+(?:\\.\\d+)?)\\s*(${UNIT})`, "gi"))];
  if (parts.length === 0) return null;
  let ms = 0;
  for (const [, amount, unit] of parts) ms += Number(amount) * unitMs((unit ?? "s").toLowerCase());
  return Number.isFinite(ms) ? ms : null;
}

function unitMs(unit: string): number {
  if (unit === "ms" || unit.startsWith("milli")) return 1;
  if (unit.startsWith("s")) return 1000;
  if (unit.startsWith("m")) return MINUTE_MS;
  if (unit.startsWith("h")) return 3_600_000;
  return DAY_MS;
}

function epochIn(text: string): number | null {
  const digits = EPOCH_SUFFIX.exec(text)?.[1] ?? JSON_EPOCH.exec(text)?.[1];
  if (digits === undefined) return null;
  return digits.length === 13 ? Number(digits) : Number(digits) * 1000;
}

function delayIn(text: string, now: number): number | null {
  const json = JSON_DELAY.exec(text)?.[1];
  if (json !== undefined) return offset(now, parseDuration(json));
  const seconds = JSON_SECONDS.exec(text)?.[1];
  if (seconds !== undefined) return now + Number(seconds) * 1000;
  const m = DELAY_AFTER_WORD.exec(text);
  if (!m) return null;
  // A bare number after "retry after" is seconds, as in the Retry-After header.
  return m[1] !== undefined ? offset(now, parseDuration(m[1])) : now + Number(m[2]) * 1000;
}

function offset(now: number, ms: number | null): number | null {
  return ms === null ? null : now + ms;
}

function timestampIn(text: string): number | null {
  const iso = ISO_AFTER_WORD.exec(text)?.[1];
  if (iso !== undefined) {
    // RFC 3339 always has a zone; a bare timestamp from a provider is UTC.
    const zoned = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : `${iso}Z`;
    const t = Date.parse(zoned.replace(" ", "T"));
    return Number.isNaN(t) ? null : t;
  }
  const http = HTTP_DATE.exec(text)?.[1];
  const t = http === undefined ? NaN : Date.parse(http);
  return Number.isNaN(t) ? null : t;
}

/** "resets 5:31pm (UTC)": that time today in its zone, or the next day when it has passed. */
function wallClockIn(text: string, now: number): number | null {
  const m = WALL_CLOCK.exec(text);
  if (!m) return null;
  const [, monthName, dayText, yearText, h12, min12, ampm, h24, min24, paren, abbrev, numeric] = m;
  let hour = Number(h12 ?? h24);
  const minute = Number(min12 ?? min24 ?? 0);
  if (ampm !== undefined) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (ampm.toLowerCase() === "p" ? 12 : 0);
  }
  if (hour > 23 || minute > 59) return null;
  const zone = readZone(paren ?? abbrev ?? numeric);
  const today = dateIn(zone, now);
  if (monthName !== undefined) {
    const month = MONTHS.indexOf(monthName.toLowerCase().slice(0, 3));
    const year = yearText !== undefined ? Number(yearText) : today.year;
    const t = toEpoch(zone, year, month, Number(dayText), hour, minute);
    // "Nov 25, 3pm" without a year is the next Nov 25.
    return yearText === undefined && t < now - DAY_MS ? toEpoch(zone, year + 1, month, Number(dayText), hour, minute) : t;
  }
  const t = toEpoch(zone, today.year, today.month, today.day, hour, minute);
  return t + MINUTE_MS <= now ? toEpoch(zone, today.year, today.month, today.day + 1, hour, minute) : t;
}

type Zone = { kind: "fixed"; offsetMs: number } | { kind: "named"; name: string } | { kind: "local" };

/** "UTC", "GMT+2", "+05:30", "Europe/Berlin"; anything unknown is the runner's own zone. */
function readZone(text: string | undefined): Zone {
  const name = text?.trim();
  if (!name) return { kind: "local" };
  if (/^(?:UTC|GMT|Z)$/i.test(name)) return { kind: "fixed", offsetMs: 0 };
  const fixed = /^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(name);
  if (fixed) return { kind: "fixed", offsetMs: (fixed[1] === "-" ? -1 : 1) * (Number(fixed[2]) * 60 + Number(fixed[3] ?? 0)) * MINUTE_MS };
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return { kind: "named", name };
  } catch {
    return { kind: "local" };
  }
}

interface CivilDate {
  year: number;
  month: number;
  day: number;
}

function dateIn(zone: Zone, t: number): CivilDate {
  if (zone.kind === "local") {
    const d = new Date(t);
    return { year: d.getFullYear(), month: d.getMonth(), day: d.getDate() };
  }
  const d = new Date(t + offsetOf(zone, t));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth(), day: d.getUTCDate() };
}

/** The instant a wall-clock time in `zone` names (month 0-based; days past the month's end roll over). */
function toEpoch(zone: Zone, year: number, month: number, day: number, hour: number, minute: number): number {
  if (zone.kind === "local") return new Date(year, month, day, hour, minute).getTime();
  const wall = Date.UTC(year, month, day, hour, minute);
  const first = wall - offsetOf(zone, wall);
  // Across a DST change the offset at the guess may differ from the one at the answer.
  return wall - offsetOf(zone, first);
}

/** How far `zone`'s wall clock is ahead of UTC at `t`. */
function offsetOf(zone: Exclude<Zone, { kind: "local" }>, t: number): number {
  if (zone.kind === "fixed") return zone.offsetMs;
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone.name,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  }).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return wall - (t - (((t % 1000) + 1000) % 1000));
}
