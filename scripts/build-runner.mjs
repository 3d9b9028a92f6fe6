// Bundles the runner CLI into runner/dist/cli.js (shared/ inlined) so `npx multica-runner`
// runs on plain Node ≥ 20 without TypeScript tooling. Runtime dependencies stay external.
import { build } from "esbuild";
import { readFileSync } from "node:fs";

const pkg = JSON.parse(readFileSync(new URL("../runner/package.json", import.meta.url), "utf8"));

await build({
  entryPoints: [new URL("../runner/src/cli.ts", import.meta.url).pathname],
  outfile: new URL("../runner/dist/cli.js", import.meta.url).pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: true,
  external: Object.keys(pkg.dependencies ?? {}),
  define: { RUNNER_VERSION: JSON.stringify(pkg.version) },
  banner: { js: "#!/usr/bin/env node" },
  logLevel: "warning",
});
