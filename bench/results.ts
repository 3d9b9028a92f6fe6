/**
 * How the benchmarks record figures: each bench file collects its figures in a `Results` and
 * saves them to bench/results/<name>.json; after the run, print-table.ts reads every file this
 * run wrote and prints them as one table. A figure is a latency summary (ms, p50/p99) or a
 * single value with its unit (a rate, a size, a count).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Summary } from "./stats";

export const RESULTS_DIR = resolve(import.meta.dirname, "results");

export type Figure = ({ kind: "latency" } & Summary) | { kind: "value"; value: number; unit: string };

export interface ResultsFile {
  at: string;
  section: string;
  figures: Record<string, Figure>;
}

export class Results {
  readonly figures: Record<string, Figure> = {};

  constructor(
    private readonly name: string,
    private readonly section: string,
  ) {}

  latency(label: string, s: Summary): void {
    this.figures[label] = { kind: "latency", ...s };
  }

  value(label: string, value: number, unit: string): void {
    this.figures[label] = { kind: "value", value: Math.round(value * 100) / 100, unit };
  }

  save(): void {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file: ResultsFile = { at: new Date().toISOString(), section: this.section, figures: this.figures };
    writeFileSync(resolve(RESULTS_DIR, `${this.name}.json`), `${JSON.stringify(file, null, 2)}\n`);
  }
}

/** One table: a header per section, then `label  p50  p99  max  n` or `label  value unit`. */
export function formatTable(files: readonly ResultsFile[]): string {
  const out = ["", "Multica benchmarks (latencies in ms)", `${"figure".padEnd(58)} ${"p50".padStart(9)} ${"p99".padStart(9)} ${"max".padStart(9)} ${"n".padStart(7)}`, "-".repeat(96)];
  for (const f of files) {
    out.push(`${f.section}`);
    for (const [label, fig] of Object.entries(f.figures)) {
      if (fig.kind === "latency") out.push(`  ${label.padEnd(56)} ${String(fig.p50).padStart(9)} ${String(fig.p99).padStart(9)} ${String(fig.max).padStart(9)} ${String(fig.n).padStart(7)}`);
      else out.push(`  ${label.padEnd(56)} ${`${fig.value} ${fig.unit}`.padStart(19)}`);
    }
  }
  return [...out, ""].join("\n");
}
