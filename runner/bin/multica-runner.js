#!/usr/bin/env node
// The `multica-runner` command. A checked-in stub so npm can link the bin before the first
// build; the CLI itself is the bundle in ../dist (built by `npm install` / `npm run build`).
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  console.error("multica-runner: the CLI is not built yet; run `npm run build` in the Multica repository.");
  process.exit(1);
}
await import(cli.href);
