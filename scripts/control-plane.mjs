// Starts the control plane locally: applies D1 migrations, runs `wrangler dev` (workerd) on
// 127.0.0.1 with state persisted under `persistTo`, waits until /api/v1/health answers.
// Used by `npm start` (scripts/start.mjs), the tests and the benchmarks, so all three run the
// control plane the same way.
import { spawn, execFile } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const wrangler = fileURLToPath(new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url));
// No telemetry, no update check, and no fetch of the `Request.cf` placeholder from the internet
// (the control plane does not use request.cf; offline the fetch fails with a noisy stack trace).
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_UPDATE_NOTIFIER: "1", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: process.env.CI ?? "1" };

/** A TCP port free right now on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function applyMigrations(persistTo) {
  await promisify(execFile)(process.execPath, [wrangler, "d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo], { cwd: root, env });
}

/**
 * @param {{ persistTo: string, port?: number, vars?: Record<string,string>, log?: (line: string) => void }} opts
 * @returns {Promise<{ url: string, port: number, pid: number, stop: () => Promise<void>, kill: () => Promise<void> }>}
 */
export async function launchControlPlane(opts) {
  await applyMigrations(opts.persistTo);
  const port = opts.port ?? (await freePort());
  const inspector = await freePort();
  const args = [wrangler, "dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspector),
    "--persist-to", opts.persistTo, "--show-interactive-dev-session=false", "--log-level", opts.logLevel ?? "warn"];
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push("--var", `${k}:${v}`);
  // Each control plane gets a dev registry of its own. wrangler's shared one (in ~/.config) makes
  // every `wrangler dev` on the machine reload its Worker whenever another one starts or stops,
  // failing requests in flight ("Your worker restarted mid-request"); Multica binds no other Worker.
  const registry = join(opts.persistTo, "dev-registry");
  const child = spawn(process.execPath, args, { cwd: root, env: { ...env, WRANGLER_REGISTRY_PATH: registry }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const onData = (d) => {
    const s = d.toString();
    output = (output + s).slice(-8000);
    if (opts.log) for (const line of s.split("\n")) if (line.trim()) opts.log(line);
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${url}/api/v1/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      killGroup(child.pid, "SIGKILL");
      throw new Error(`control plane did not become ready in 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }

  const stopWith = (signal) => async () => {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(child.pid, signal);
      const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
  };
  return { url, port, inspectorPort: inspector, pid: child.pid, stop: stopWith("SIGTERM"), kill: stopWith("SIGKILL"), output: () => output };
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** First-run set-up through POST /api/v1/bootstrap; returns null when already bootstrapped. */
export async function bootstrap(url, secret) {
  const res = await fetch(`${url}/api/v1/bootstrap`, { method: "POST", headers: { "x-bootstrap-secret": secret } });
  if (res.status === 409) return null;
  if (!res.ok) throw new Error(`bootstrap failed: ${res.status} ${await res.text()}`);
  return res.json();
}
