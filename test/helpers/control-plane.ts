/**
 * Test harness for a real control plane: wrangler dev (workerd) in its own temp state directory,
 * bootstrapped, with a small typed API client. `restart()` stops and starts it on the same port
 * and state, as a crash or deploy would.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootstrap, launchControlPlane, type ControlPlaneProcess } from "../../scripts/control-plane.mjs";

export interface TestControlPlane {
  url: string;
  port: number;
  workspaceId: string;
  adminToken: string;
  api: ApiClient;
  /** Stops (SIGKILL when `hard`), stays down `downMs`, starts again on the same port and state. */
  restart(opts?: { hard?: boolean; downMs?: number }): Promise<void>;
  stop(): Promise<void>;
  /** Creates a runner token and returns its secret. */
  runnerToken(name?: string): Promise<string>;
  /** Test hook (TEST_HOOKS=1): an agent token scoped to this attempt and issue, as dispatch mints them. */
  agentToken(scope: { taskId: string; attempt: number; issueId: string; expiresAt?: number }): Promise<string>;
  /** Test hook (TEST_HOOKS=1): makes a token expired now. */
  expireToken(tokenId: string): Promise<void>;
}

export async function startControlPlane(vars: Record<string, string> = {}): Promise<TestControlPlane> {
  const state = mkdtempSync(join(tmpdir(), "multica-cp-"));
  const secret = "test-bootstrap-secret";
  // TEST_HOOKS=1 turns on /api/v1/_test/* (routes/test-hooks.ts); pass TEST_HOOKS: "" to run without.
  const allVars = { BOOTSTRAP_SECRET: secret, TEST_HOOKS: "1", ...vars };
  // MULTICA_TEST_LOGS=1 shows the Worker's own log lines (uncaught errors, console.error) while debugging.
  const log = process.env.MULTICA_TEST_LOGS ? (line: string) => console.error(`[control plane] ${line}`) : undefined;
  let proc: ControlPlaneProcess = await launchControlPlane({ persistTo: state, vars: allVars, ...(log ? { log } : {}) });
  const boot = await bootstrap(proc.url, secret);
  if (!boot) throw new Error("fresh control plane was already bootstrapped");
  const api = new ApiClient(proc.url, boot.token.secret, boot.workspace.id);
  const cp: TestControlPlane = {
    url: proc.url,
    port: proc.port,
    workspaceId: boot.workspace.id,
    adminToken: boot.token.secret,
    api,
    async restart(opts) {
      await (opts?.hard ? proc.kill() : proc.stop());
      if (opts?.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
      proc = await launchControlPlane({ persistTo: state, port: proc.port, vars: allVars });
    },
    async stop() {
      await proc.stop();
      rmSync(state, { recursive: true, force: true });
    },
    async runnerToken(name = "test-runner") {
      const res = await api.post<{ token: { secret: string } }>("/tokens", { name, kind: "runner" });
      return res.body.token.secret;
    },
    async agentToken(scope) {
      const res = await testHook(proc.url, boot.token.secret, "/agent-token", scope);
      return ((await res.json()) as { token: { secret: string } }).token.secret;
    },
    async expireToken(tokenId) {
      await testHook(proc.url, boot.token.secret, "/expire-token", { tokenId });
    },
  };
  return cp;
}

async function testHook(url: string, token: string, path: string, body: unknown): Promise<Response> {
  const res = await fetch(`${url}/api/v1/_test${path}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`test hook ${path} failed: ${res.status} ${await res.text()}`);
  return res;
}

export interface ApiResponse<T> {
  status: number;
  body: T;
}

/** Minimal JSON client for /api/v1/workspaces/:id/… */
export class ApiClient {
  constructor(
    readonly url: string,
    readonly token: string,
    readonly workspaceId: string,
  ) {}

  async request<T>(method: string, path: string, body?: unknown, token = this.token): Promise<ApiResponse<T>> {
    const res = await fetch(`${this.url}/api/v1/workspaces/${this.workspaceId}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  }

  get<T>(path: string) {
    return this.request<T>("GET", path);
  }

  post<T>(path: string, body?: unknown) {
    return this.request<T>("POST", path, body ?? {});
  }

  patch<T>(path: string, body: unknown) {
    return this.request<T>("PATCH", path, body);
  }

  delete<T>(path: string) {
    return this.request<T>("DELETE", path);
  }

  /** The same API as another token (a member, an agent…). */
  as(token: string): ApiClient {
    return new ApiClient(this.url, token, this.workspaceId);
  }

  /** The same token against another workspace. */
  in(workspaceId: string): ApiClient {
    return new ApiClient(this.url, this.token, workspaceId);
  }

  /** Creates an agent on the given runtimes and an issue, assigns it; returns the task id. */
  async assignNew(runtimes: string[], title = "test issue", agentExtra: Record<string, unknown> = {}) {
    const agent = await this.post<{ agent: { id: string } }>("/agents", { name: "agent", runtimes, ...agentExtra });
    const issue = await this.post<{ issue: { id: string } }>("/issues", { title, body: "do the thing" });
    const assigned = await this.post<{ task: { taskId: string; status: string } }>(`/issues/${issue.body.issue.id}/assign`, { agentId: agent.body.agent.id });
    if (assigned.status !== 201) throw new Error(`assign failed: ${JSON.stringify(assigned.body)}`);
    return { taskId: assigned.body.task.taskId, issueId: issue.body.issue.id, agentId: agent.body.agent.id };
  }

  task(taskId: string, query = "") {
    return this.get<TaskResponse>(`/tasks/${taskId}${query}`);
  }
}

export interface TaskResponse {
  task: { taskId: string; attempt: number; status: string; runnerId: string | null; exitCode: number | null; signal: string | null; error: string | null; lastSeq: number };
  attempts: TaskResponse["task"][];
  transcript: { events: { attempt: number; seq: number; ts: number; event: { kind: string; text?: string } }[]; next: { attempt: number; after: number } | null };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, timeoutMs = 20_000, what = "condition"): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
