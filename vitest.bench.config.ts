import { defineConfig } from "vitest/config";

// `npm run bench`: the benchmark files, one at a time, with long timeouts. Not part of `npm test`.
export default defineConfig({
  test: {
    include: ["bench/**/*.bench-run.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
