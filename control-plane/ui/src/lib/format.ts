/** Formatting of times, token counts and money for the dashboard. Pure. */

const UNITS: [number, string][] = [
  [60, "s"],
  [60, "m"],
  [24, "h"],
  [30, "d"],
  [12, "mo"],
];

/** `5m ago`, `just now`, `3d ago`; `—` for null. */
export function ago(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return "—";
  let v = Math.max(0, Math.round((now - ms) / 1000));
  if (v < 10) return "just now";
  for (const [size, unit] of UNITS) {
    if (v < size) return `${v}${unit} ago`;
    v = Math.floor(v / size);
  }
  return `${v}y ago`;
}

/** 1234 → `1.2k`, 2_500_000 → `2.5M`. */
export function compact(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** US dollars, with cents, or more digits for amounts under a cent. */
export function usd(n: number): string {
  return n > 0 && n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`;
}

/** Milliseconds as `1m 05s`, `12s`, `850ms`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
}

/** `in_progress` → `In progress`. */
export function humanize(value: string): string {
  const words = value.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}
