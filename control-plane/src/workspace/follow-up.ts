/**
 * Follow-ups: comments on an issue an agent already worked on. They wait while another run of
 * the same (issue, agent) is out, go to the runner that kept the earlier session when it is
 * connected (to resume it in the same work dir), and otherwise start fresh anywhere with the
 * earlier run's summary. Also builds every `task.assign` frame, follow-up or not, minting the
 * attempt's agent token as it does (agent-tokens.ts).
 */
import type { ControlTaskAssign } from "@multica/shared";
import { freshFollowUpPrompt, resumePrompt } from "../prompts";
import { mintAgentToken } from "./agent-tokens";
import type { QueuedAttempt, RunnerSlots } from "./dispatch";
import type { AttemptState } from "./task-machine";
import type { QueuedRow, TaskPayload, TaskStore } from "./task-store";

/** Where a queued follow-up may go now: "wait", pinned to the session's runner, or anywhere ({}). */
export function followUpPlacement(
  store: TaskStore,
  q: QueuedRow,
  runners: readonly RunnerSlots[],
): "wait" | Partial<Pick<QueuedAttempt, "pinnedRunner" | "runtimes">> {
  if (store.busyWith(q.issueId, q.agentId, q.taskId)) return "wait";
  const last = store.lastSession(q.issueId, q.agentId);
  if (!last?.runnerId || !last.runtime) return {};
  const { runnerId, runtime } = last;
  const there = runners.some((r) => r.runnerId === runnerId && r.runtimes.has(runtime));
  return there ? { pinnedRunner: runnerId, runtimes: [runtime] } : {};
}

/** The frame that hands attempt `s` (just dispatched) to its runner, with a fresh agent token. */
export function buildAssign(store: TaskStore, s: AttemptState, payload: TaskPayload, now: number): ControlTaskAssign {
  const frame: ControlTaskAssign = {
    type: "task.assign",
    taskId: s.taskId,
    attempt: s.attempt,
    runtime: s.runtime ?? "",
    sentAt: now,
    issue: { ...payload.issue, key: payload.issue.key ?? "", comments: payload.issue.comments ?? [] },
    agent: payload.agent,
    prompt: payload.prompt,
    repository: payload.repository ?? null,
    limits: payload.limits ?? { idleTimeoutMs: null, timeoutMs: null },
    resume: null,
    skills: payload.skills ?? [],
    agentToken: mintAgentToken(store, s, now),
  };
  const comments = payload.followUp?.comments;
  if (!comments) return frame;
  const last = store.lastSession(s.issueId, s.agentId);
  const summary = last ? store.summary(last.taskId, last.attempt) : null;
  frame.prompt = freshFollowUpPrompt(payload.prompt, summary, comments);
  // Resuming needs the runner and the CLI that hold the session (its files live there).
  if (last?.sessionId && last.runnerId === s.runnerId && last.runtime === s.runtime) {
    frame.resume = { sessionId: last.sessionId, prompt: resumePrompt(comments) };
  }
  return frame;
}
