/**
 * Protocol-level runners for the benchmarks (test/helpers/sockets.ts RawRunner underneath): they
 * speak the real wire protocol to the real control plane but do no work, so a figure measures
 * the control plane and not a child process. `autoRunner` completes each task the moment it is
 * assigned; `agentAndIssue` makes an agent on one runtime and an issue to assign it to.
 */
import type { ApiClient } from "../test/helpers/control-plane";
import { RawRunner } from "../test/helpers/sockets";
import { nowMs } from "./stats";

export interface AutoRunnerHooks {
  /** Called the moment an assignment arrives (before the runner answers it). */
  onAssign?: (taskId: string, at: number) => void;
  /** Called when the control plane acknowledges the task's report (the lifecycle is over). */
  onReportAck?: (taskId: string) => void;
}

/**
 * A runner that completes every assigned task at once: started, one event, succeeded. Its
 * handler is attached before hello, since assignments can arrive in the same read as the welcome.
 */
export async function autoRunner(url: string, token: string, runnerId: string, runtime: string, concurrency: number, hooks: AutoRunnerHooks = {}): Promise<RawRunner> {
  const r = await RawRunner.connect(url, token);
  r.ws.on("message", (data) => {
    const m = JSON.parse(data.toString()) as { type: string; taskId: string; attempt: number };
    if (m.type === "report.ack") hooks.onReportAck?.(m.taskId);
    if (m.type !== "task.assign") return;
    hooks.onAssign?.(m.taskId, nowMs());
    completeAt(r, m.taskId, m.attempt);
  });
  await r.hello(runnerId, [runtime], concurrency);
  return r;
}

/** The three frames of a finished task: started, one output event, a succeeded report. */
export function completeAt(r: RawRunner, taskId: string, attempt: number): void {
  r.send({ type: "task.started", taskId, attempt });
  r.send({ type: "task.events", taskId, attempt, events: [{ seq: 1, ts: Date.now(), event: { kind: "output", stream: "stdout", text: "done" } }] });
  r.send({ type: "task.report", taskId, attempt, status: "succeeded", lastSeq: 1, exit: { exitCode: 0, signal: null, error: null, durationMs: 0 }, sessionId: null, usage: null });
}

export async function agentAndIssue(api: ApiClient, runtime: string): Promise<{ agentId: string; issueId: string }> {
  const agent = await api.post<{ agent: { id: string } }>("/agents", { name: runtime, runtimes: [runtime], maxConcurrentTasks: 100 });
  const issue = await api.post<{ issue: { id: string } }>("/issues", { title: "bench" });
  return { agentId: agent.body.agent.id, issueId: issue.body.issue.id };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
