/**
 * `npm run bench`, start-up: the local control plane (wrangler dev running workerd, as `npm start`
 * runs it) from nothing to answering /api/v1/health, with a fresh state directory (D1 migrations
 * applied first) and restarted on existing state; and the first request into the workspace
 * Durable Object afterwards (a runner's connect → welcome, which creates the object). Local
 * figures: a deployed Worker's cold start is Cloudflare's, not measured here.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { applyMigrations, bootstrap, launchControlPlane, type ControlPlaneProcess } from "../scripts/control-plane.mjs";
import { ApiClient } from "../test/helpers/control-plane";
import { RawRunner } from "../test/helpers/sockets";
import { Results } from "./results";
import { nowMs, summarize } from "./stats";

const results = new Results("cold-start", "Start-up (local wrangler dev / workerd)");
const SECRET = "bench-bootstrap-secret";
const RUNS = 3;

it("control plane cold start to ready, restart to ready, first DO request", async () => {
  const fresh: number[] = [];
  const restart: number[] = [];
  const migrations: number[] = [];
  const firstDo: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const state = mkdtempSync(join(tmpdir(), "multica-bench-cold-"));
    let cp: ControlPlaneProcess | null = null;
    try {
      let t0 = nowMs();
      cp = await launchControlPlane({ persistTo: state, vars: { BOOTSTRAP_SECRET: SECRET } });
      fresh.push(nowMs() - t0);
      const boot = await bootstrap(cp.url, SECRET);
      if (!boot) throw new Error("already bootstrapped");
      const api = new ApiClient(cp.url, boot.token.secret, boot.workspace.id);
      const token = (await api.post<{ token: { secret: string } }>("/tokens", { name: "cold", kind: "runner" })).body.token.secret;
      await cp.stop();

      t0 = nowMs();
      cp = await launchControlPlane({ persistTo: state, port: cp.port, vars: { BOOTSTRAP_SECRET: SECRET } });
      restart.push(nowMs() - t0);
      t0 = nowMs();
      const r = await RawRunner.connect(cp.url, token);
      await r.hello(`rnr_benchcold${i}`, ["command:none"], 1);
      firstDo.push(nowMs() - t0);
      r.close();
      await cp.stop();

      // The migrations step alone, on a state directory of its own.
      const other = mkdtempSync(join(tmpdir(), "multica-bench-migrate-"));
      t0 = nowMs();
      await applyMigrations(other);
      migrations.push(nowMs() - t0);
      rmSync(other, { recursive: true, force: true });
    } finally {
      await cp?.stop();
      rmSync(state, { recursive: true, force: true });
    }
  }
  results.latency("cold start, fresh state → /health (incl. migrations)", summarize(fresh));
  results.latency("  of which D1 migrations (wrangler d1 migrations apply)", summarize(migrations));
  results.latency("restart on existing state → /health", summarize(restart));
  results.latency("first DO request after restart (runner connect → welcome)", summarize(firstDo));
  results.save();
  expect(fresh).toHaveLength(RUNS);
}, 300_000);
