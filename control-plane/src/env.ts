/**
 * Worker bindings and the control plane's configuration. `readConfig` is the one place that
 * reads settings (wrangler.toml [vars] or `--var`), so nothing deeper touches `env` for them.
 */
import { DEFAULT_RETRY_POLICY } from "./triggers/outbound-retry";
import type { OutboundSettings } from "./triggers/outbound-sender";
import type { WorkspaceDO } from "./workspace/workspace-do";

export interface Env {
  DB: D1Database;
  WORKSPACE: DurableObjectNamespace<WorkspaceDO>;
  LEASE_MS?: string;
  HEARTBEAT_MS?: string;
  MAX_ATTEMPTS?: string;
  /** Enables POST /api/v1/bootstrap while no user exists; unset in production after set-up. */
  BOOTSTRAP_SECRET?: string;
  /** "1" turns on /api/v1/_test/* (the test suite's hooks); never set in wrangler.toml. */
  TEST_HOOKS?: string;
  /** Outbound webhooks: backoff window of the first retry (doubling after), and one attempt's timeout. */
  OUTBOUND_RETRY_BASE_MS?: string;
  OUTBOUND_TIMEOUT_MS?: string;
}

export interface Config {
  /** A dispatched attempt whose lease is not renewed for this long is marked lost. */
  leaseMs: number;
  /** How often runners renew their leases (told to them in `welcome`). */
  heartbeatMs: number;
  /** Default attempts per task before a repeatedly lost task is given up. */
  maxAttempts: number;
  bootstrapSecret: string | null;
  testHooks: boolean;
  /** Outbound webhook retries (triggers/outbound-retry.ts) and attempt timeout. */
  outbound: OutboundSettings;
}

function intVar(value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n >= min && n <= max ? n : fallback;
}

export function readConfig(env: Env): Config {
  const leaseMs = intVar(env.LEASE_MS, 30_000, 1_000, 3_600_000);
  return {
    leaseMs,
    // Three renewals per lease leaves room for one lost heartbeat.
    heartbeatMs: intVar(env.HEARTBEAT_MS, Math.floor(leaseMs / 3), 200, leaseMs),
    maxAttempts: intVar(env.MAX_ATTEMPTS, 3, 1, 10),
    bootstrapSecret: env.BOOTSTRAP_SECRET ? env.BOOTSTRAP_SECRET : null,
    testHooks: env.TEST_HOOKS === "1",
    outbound: {
      retry: { ...DEFAULT_RETRY_POLICY, baseMs: intVar(env.OUTBOUND_RETRY_BASE_MS, DEFAULT_RETRY_POLICY.baseMs, 10, 3_600_000) },
      timeoutMs: intVar(env.OUTBOUND_TIMEOUT_MS, 10_000, 100, 60_000),
    },
  };
}
