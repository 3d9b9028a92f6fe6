/**
 * The agent run panel: the issue's runs (newest first, a picker when there are several), the
 * chosen run's state, attempt, duration, tokens and cost, Cancel while it is not over and Rerun
 * once it is, and its transcript streaming live in a virtualized list.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { VirtualList } from "../../components/virtual-list";
import { describeError, wsApi } from "../../lib/api";
import { compact, duration, humanize, usd } from "../../lib/format";
import type { AttemptView } from "../../lib/protocol";
import type { Issue, TaskRow } from "../../lib/types";
import { actorName, onLive, UNFINISHED } from "../../state/board";
import { toast } from "../../state/toasts";
import { estimateRow, type OpenFolds, TranscriptRow } from "./transcript-row";
import { useTranscript } from "./use-transcript";

interface Run {
  taskId: string;
  agentId: string;
  queuedAt: number;
}

/** Runs of the issue, newest first, from the fetched task rows and live status frames. */
function useRuns(issueId: string, initial: TaskRow[]): Run[] {
  const [runs, setRuns] = useState<Run[]>(() => {
    const byTask = new Map<string, Run>();
    for (const t of initial) if (!byTask.has(t.id)) byTask.set(t.id, { taskId: t.id, agentId: t.agentId, queuedAt: t.queuedAt });
    return [...byTask.values()].sort((a, b) => b.queuedAt - a.queuedAt);
  });
  useEffect(
    () =>
      onLive((m) => {
        if (m.type !== "task.status" || m.attempt.issueId !== issueId) return;
        const a = m.attempt;
        setRuns((list) => (list.some((r) => r.taskId === a.taskId) ? list : [{ taskId: a.taskId, agentId: a.agentId, queuedAt: a.queuedAt }, ...list]));
      }),
    [issueId],
  );
  return runs;
}

function RunView({ workspaceId, issue, run }: { workspaceId: string; issue: Issue; run: Run }) {
  const t = useTranscript(workspaceId, run.taskId);
  const folds = useRef<OpenFolds>(new Set());
  const [busy, setBusy] = useState(false);
  const latest: AttemptView | undefined = t.attempts[t.attempts.length - 1];
  const over = latest ? !UNFINISHED.has(latest.status) : false;
  const tokens = t.attempts.reduce((n, a) => n + (a.usage ? a.usage.inputTokens + a.usage.outputTokens : 0), 0);
  const cost = t.attempts.reduce((n, a) => n + (a.usage?.costUsd ?? 0), 0);
  const took = latest?.startedAt ? (latest.endedAt ?? Date.now()) - latest.startedAt : null;

  const act = async (what: "cancel" | "rerun") => {
    setBusy(true);
    try {
      if (what === "cancel") await wsApi(workspaceId, "POST", `/tasks/${run.taskId}/cancel`);
      else await wsApi(workspaceId, "POST", `/issues/${issue.id}/assign`, { agentId: run.agentId });
    } catch (err) {
      toast(`Could not ${what} the run: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="run">
      <div class="run-head">
        <span class={`status-pill s-${latest?.status ?? "queued"}`} data-testid="run-status">
          {humanize(latest?.status ?? "connecting")}
        </span>
        <span class="muted">
          {actorName(`agent:${run.agentId}`)} · {latest?.runtime ?? "…"}
          {latest && latest.attempt > 1 && ` · attempt ${latest.attempt}`}
        </span>
        <span class="run-stats">
          {took !== null && <span>{duration(took)}</span>}
          {tokens > 0 && <span>{compact(tokens)} tokens</span>}
          {cost > 0 && <span>{usd(cost)}</span>}
        </span>
        <span class="spacer" />
        {t.socket !== "open" && (
          <span class="muted" role="status">
            {t.socket === "reconnecting" ? "Reconnecting…" : "Connecting…"}
          </span>
        )}
        {latest && !over && (
          <button type="button" class="button small danger" disabled={busy || latest.cancelRequested} onClick={() => void act("cancel")}>
            {latest.cancelRequested ? "Cancelling…" : "Cancel run"}
          </button>
        )}
        {over && (
          <button type="button" class="button small" disabled={busy} onClick={() => void act("rerun")}>
            Rerun
          </button>
        )}
      </div>
      {latest?.error && <p class="run-error">{latest.error}</p>}
      {t.model.items.length === 0 ? (
        <p class="muted transcript-empty">{t.replayed ? (over ? "This run printed nothing." : "Waiting for the agent's first output…") : "Loading the transcript…"}</p>
      ) : (
        <VirtualList items={t.model.items} version={t.version} estimate={estimateRow} label="Transcript" class="transcript" render={(item) => <TranscriptRow item={item} open={folds.current} />} />
      )}
    </div>
  );
}

export function RunPanel({ workspaceId, issue, tasks }: { workspaceId: string; issue: Issue; tasks: TaskRow[] }) {
  const runs = useRuns(issue.id, tasks);
  const [picked, setPicked] = useState<string | null>(null);
  // Follow the newest run unless one was picked by hand.
  const run = runs.find((r) => r.taskId === picked) ?? runs[0];
  return (
    <section class="panel" aria-labelledby="runs-title">
      <div class="panel-head">
        <h2 id="runs-title" class="panel-title">
          Agent runs
        </h2>
        {runs.length > 1 && (
          <label class="run-picker">
            <span class="sr-only">Run</span>
            <select value={run?.taskId} onChange={(e) => setPicked(e.currentTarget.value)}>
              {runs.map((r, i) => (
                <option key={r.taskId} value={r.taskId}>
                  Run {runs.length - i} · {actorName(`agent:${r.agentId}`)} · {new Date(r.queuedAt).toLocaleTimeString()}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      {run ? <RunView key={run.taskId} workspaceId={workspaceId} issue={issue} run={run} /> : <p class="muted">No runs yet. Assign an agent to start one.</p>}
    </section>
  );
}
