#!/usr/bin/env node
// The `multica` command: the workspace CLI. The same bundle as `multica-runner` (../dist/cli.js),
// which runs the workspace CLI when started under this name (see runner/src/cli.ts).
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  console.error("multica: the CLI is not built yet; run `npm run build` in the Multica repository.");
  process.exit(1);
}
await import(cli.href);
