/**
 * Vitest global set-up for `npm run bench`: after every bench file has run, prints the figures
 * they saved in this run (bench/results/*.json newer than the start) as one table, in the order
 * of SECTION_ORDER, and writes the lot to bench/results/summary.json.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import { formatTable, RESULTS_DIR, type ResultsFile } from "./results";

const SECTION_ORDER = ["control-plane", "stream", "polling", "runner", "d1-rows", "cold-start"];

export default function setup(): () => void {
  const started = Date.now();
  // Other work on the machine skews every figure: say how busy it was.
  const loadAtStart = loadavg()[0]!;
  return () => {
    if (!existsSync(RESULTS_DIR)) return;
    const files = readdirSync(RESULTS_DIR)
      .filter((f) => f.endsWith(".json") && f !== "summary.json" && f !== "chaos.json")
      .map((f) => ({ name: f.replace(/\.json$/, ""), file: JSON.parse(readFileSync(resolve(RESULTS_DIR, f), "utf8")) as ResultsFile }))
      .filter(({ file }) => file.figures && Date.parse(file.at) >= started)
      .sort((a, b) => rank(a.name) - rank(b.name));
    if (files.length === 0) return;
    const load = { atStart: round(loadAtStart), atEnd: round(loadavg()[0]!) };
    console.log(formatTable(files.map((f) => f.file)));
    console.log(`1-minute load average: ${load.atStart} at the start, ${load.atEnd} at the end (${cpus().length} cores)\n`);
    writeFileSync(resolve(RESULTS_DIR, "summary.json"), `${JSON.stringify({ at: new Date().toISOString(), machine: machine(), load, sections: files.map((f) => f.file) }, null, 2)}\n`);
  };
}

const round = (x: number) => Math.round(x * 100) / 100;
const rank = (name: string) => (SECTION_ORDER.indexOf(name) + 1 || SECTION_ORDER.length + 1);

function machine() {
  const cpus = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown";
  return { node: process.version, platform: `${process.platform} ${process.arch}`, cpu: cpus, cores: (readFileSync("/proc/cpuinfo", "utf8").match(/^processor\s*:/gm) ?? []).length };
}
