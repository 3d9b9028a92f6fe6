// Makes sure a Chromium for the dashboard's browser tests (test/ui, playwright-core) is installed:
// Debian's `chromium` package at /usr/bin/chromium, or the browser $CHROMIUM_PATH names. Run
// before the tests (`npm test`'s pretest). Installs it with apt-get as root, or through
// passwordless sudo; otherwise says what to run and fails, since the browser tests cannot pass
// without it. Playwright's own browser download is never used: it needs hosts beyond the package
// registries.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const wanted = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  return r.status === 0;
}

function canSudo() {
  try {
    execFileSync("sudo", ["-n", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

if (existsSync(wanted)) process.exit(0);
if (process.env.CHROMIUM_PATH) {
  console.error(`ensure-chromium: CHROMIUM_PATH is ${wanted}, which does not exist.`);
  process.exit(1);
}

const hasApt = spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status === 0;
const root = typeof process.getuid === "function" && process.getuid() === 0;
const prefix = root ? [] : hasApt && canSudo() ? ["sudo", "-n"] : null;
if (!hasApt || prefix === null) {
  console.error(`ensure-chromium: the dashboard's browser tests need Chromium at ${wanted}.
  Install it with:  sudo apt-get update && sudo apt-get install -y chromium
  (or point CHROMIUM_PATH at a Chromium or Chrome binary), then run the tests again.`);
  process.exit(1);
}

console.log("ensure-chromium: installing Debian's chromium for the browser tests (apt-get) …");
const apt = (args) => (prefix.length ? run(prefix[0], [...prefix.slice(1), "apt-get", ...args]) : run("apt-get", args));
if (!apt(["update"]) || !apt(["install", "-y", "chromium"]) || !existsSync(wanted)) {
  console.error("ensure-chromium: apt-get could not install chromium; see its output above.");
  process.exit(1);
}
console.log(`ensure-chromium: ${wanted} is installed.`);
