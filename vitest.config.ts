import { defineConfig } from "vitest/config";

// Unit tests live beside the code (*.test.ts); integration and end-to-end tests in test/.
// End-to-end files start real workerd and runner processes, so they get generous timeouts
// and run one file at a time per core.
export default defineConfig({
  // Worker modules import `cloudflare:workers`; unit tests that load them in Node get a stand-in.
  resolve: { alias: { "cloudflare:workers": new URL("./test/shims/cloudflare-workers.ts", import.meta.url).pathname } },
  test: {
    include: ["shared/src/**/*.test.ts", "control-plane/src/**/*.test.ts", "runner/src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
