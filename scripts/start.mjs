// `npm start`: builds the dashboard and runs the whole control plane locally (Worker + Durable
// Objects + D1 under workerd, the dashboard served on the same origin), state kept in
// .multica/state, and prints the URL plus, the first time, an admin token (sign in to the dashboard
// with it). Flags: --port N (default 8787, or $PORT), --state DIR (default .multica/state).
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync, existsSync, chmodSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildUi } from "./build-ui.mjs";
import { bootstrap, launchControlPlane } from "./control-plane.mjs";

const { values } = parseArgs({
  options: { port: { type: "string" }, state: { type: "string" }, help: { type: "boolean", short: "h" } },
});
if (values.help) {
  console.log(`Usage: npm start [-- --port N] [-- --state DIR]

Starts the Multica control plane locally on http://127.0.0.1:<port> (default 8787) with its
database and Durable Object state persisted in DIR (default .multica/state). The first start
creates a workspace and prints an admin token (also saved to DIR/../admin.json).`);
  process.exit(0);
}
const port = Number(values.port ?? process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`npm start: --port must be a TCP port number (got "${values.port}")`);
  process.exit(2);
}
const state = resolve(values.state ?? ".multica/state");
const adminFile = join(state, "..", "admin.json");
mkdirSync(state, { recursive: true });

const secret = randomBytes(24).toString("hex");
console.log(`Starting the Multica control plane (state in ${state}) …`);
try {
  await buildUi();
} catch (err) {
  console.error(`npm start: the dashboard did not build: ${err.message}`);
  process.exit(1);
}
let cp;
try {
  cp = await launchControlPlane({ persistTo: state, port, vars: { BOOTSTRAP_SECRET: secret }, logLevel: "info", log: (l) => console.log(`  ${l}`) });
} catch (err) {
  console.error(`npm start: ${err.message}`);
  if (/EADDRINUSE|address already in use/i.test(err.message)) console.error(`Port ${port} is taken: try npm start -- --port ${port + 1}`);
  process.exit(1);
}

const first = await bootstrap(cp.url, secret);
if (first) {
  writeFileSync(adminFile, JSON.stringify({ url: cp.url, workspaceId: first.workspace.id, token: first.token.secret }, null, 2));
  chmodSync(adminFile, 0o600);
}
const admin = existsSync(adminFile) ? JSON.parse(readFileSync(adminFile, "utf8")) : null;

console.log(`
Multica is running: dashboard and API at ${cp.url}
${first ? "First start: created workspace 'default' and an admin token (saved to " + adminFile + ")." : "Admin token: see " + adminFile}
${admin ? `
  workspace: ${admin.workspaceId}
  token:     ${admin.token}

Open ${cp.url} and sign in with that token.

Connect a runner:
  curl -s -X POST ${cp.url}/api/v1/workspaces/${admin.workspaceId}/tokens \\
    -H "authorization: Bearer ${admin.token}" -H 'content-type: application/json' \\
    -d '{"name":"my-laptop","kind":"runner"}'
  npx multica-runner --url ${cp.url} --token <the runner token's secret>` : ""}

Press Ctrl+C to stop.`);

const shutdown = async () => {
  await cp.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
