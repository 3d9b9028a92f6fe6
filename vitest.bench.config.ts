import { defineConfig } from "vitest/config";

// `npm run bench` (*.bench-run.ts) and `npm run chaos` (*.chaos-run.ts): one file at a time, with
// long timeouts. Not part of `npm test`; each script picks its files by a name filter.
export default defineConfig({
  test: {
    include: ["bench/**/*.bench-run.ts", "bench/**/*.chaos-run.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    // Prints one table of every figure the bench files saved (bench/results/).
    globalSetup: ["bench/print-table.ts"],
  },
});
