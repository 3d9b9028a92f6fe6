import { it } from "vitest";
import { startControlPlane } from "../test/helpers/control-plane";
import { nowMs } from "./stats";

it("probe", async () => {
  const cp = await startControlPlane();
  const agent = await cp.api.post<{ agent: { id: string } }>("/agents", { name: "x", runtimes: ["command:x"], maxConcurrentTasks: 100 });
  const issue = await cp.api.post<{ issue: { id: string } }>("/issues", { title: "bench" });
  async function timeIt(name: string, n: number, fn: () => Promise<unknown>) {
    let next = 0;
    const t0 = nowMs();
    await Promise.all(Array.from({ length: 32 }, async () => { while (next < n) { next++; await fn(); } }));
    console.log(name, Math.round(n / ((nowMs() - t0) / 1000)), "/s");
  }
  await timeIt("health", 1000, () => fetch(`${cp.url}/api/v1/health`).then((r) => r.text()));
  await timeIt("list agents (auth + 1 D1 read)", 1000, () => cp.api.get("/agents"));
  await timeIt("assign (no runner)", 1000, () => cp.api.post(`/issues/${issue.body.issue.id}/assign`, { agentId: agent.body.agent.id }));
  await cp.stop();
}, 120000);
