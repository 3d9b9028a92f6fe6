/**
 * The world the dashboard's browser tests run in: a real control plane (wrangler dev), a real
 * runner with fixture agents (command runtimes printing lines at set speeds, and a stand-in Claude
 * Code through the real adapter), a seeded board, and two browsers with profiles of their own.
 */
import { startControlPlane, type TestControlPlane } from "../helpers/control-plane";
import { FIXTURES, startRunner, type RunnerProcess } from "../helpers/runner-process";
import { openBrowser, type TestBrowser } from "./browser";

export interface World {
  cp: TestControlPlane;
  runner: RunnerProcess;
  /** Two browsers, each its own user-data dir (so its own session cookie). */
  a: TestBrowser;
  b: TestBrowser;
  /** Agent ids: Fixer Bot (600 lines, 50 ms apart), Steady Bot (80 lines, 100 ms), Bulk Bot (10,000 at once), Claude. */
  agents: { slow: string; medium: string; bulk: string; claude: string };
  issueByTitle(title: string): Promise<{ id: string; status: string; title: string } | null>;
  close(): Promise<void>;
}

const count = (n: number, intervalMs: number) => ({ command: process.execPath, args: [`${FIXTURES}/count.mjs`, String(n), String(intervalMs)] });

/** A board with some texture for the screenshots: priorities, labels, a member assigned. */
async function seed(cp: TestControlPlane): Promise<void> {
  const me = (await (await fetch(`${cp.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${cp.adminToken}` } })).json()) as { userId: string };
  const issues = [
    { title: "Write the onboarding guide", status: "backlog", priority: "low", labels: ["docs"] },
    { title: "Rate-limit the public API", status: "todo", priority: "high", labels: ["api", "security"], assignee: { userId: me.userId } },
    { title: "Flaky upload test on CI", status: "todo", priority: "urgent", labels: ["bug", "ci"] },
    { title: "Dark mode for the board", status: "backlog", priority: "none", labels: ["ui"] },
    { title: "Ship the 0.1 release", status: "done", priority: "medium", labels: ["release"], assignee: { userId: me.userId } },
  ];
  for (const issue of issues) await cp.api.post("/issues", issue);
}

export async function startWorld(): Promise<World> {
  const cp = await startControlPlane({ LEASE_MS: "5000", HEARTBEAT_MS: "1000" });
  const runner = startRunner({
    url: cp.url, token: await cp.runnerToken(), name: "ui-runner", concurrency: 4,
    commands: { slow: count(600, 50), medium: count(80, 100), bulk: count(10_000, 0) },
    agents: { claude: { binary: `${FIXTURES}/fake-claude.mjs` } },
  });
  await runner.waitForLog(/welcome/);
  const agent = async (name: string, runtime: string) => (await cp.api.post<{ agent: { id: string } }>("/agents", { name, runtimes: [runtime] })).body.agent.id;
  const agents = {
    slow: await agent("Fixer Bot", "command:slow"),
    medium: await agent("Steady Bot", "command:medium"),
    bulk: await agent("Bulk Bot", "command:bulk"),
    claude: await agent("Claude", "claude"),
  };
  await seed(cp);
  const [a, b] = await Promise.all([openBrowser(), openBrowser()]);
  return {
    cp, runner, a, b, agents,
    async issueByTitle(title) {
      const res = await cp.api.get<{ issues: { id: string; status: string; title: string }[] }>(`/issues?q=${encodeURIComponent(title)}`);
      return res.body.issues.find((i) => i.title === title) ?? null;
    },
    async close() {
      await Promise.all([a.close(), b.close()]);
      runner.signal("SIGKILL");
      await runner.exited;
      await cp.stop();
    },
  };
}
