/**
 * A schedule's run log (newest first, the last 100): when each fire was due and happened, how it
 * came about (on time, caught up after downtime, run by hand), the issue it opened and how its run
 * ended.
 */
import { wsApi } from "../../lib/api";
import { humanize } from "../../lib/format";
import { useLoad } from "../../lib/use-load";
import { Empty, LoadState, when } from "./section";

interface Run {
  id: string;
  scheduledFor: number;
  firedAt: number;
  kind: "on_time" | "catch_up" | "manual";
  missed: number;
  issueId: string | null;
  taskId: string | null;
  outcome: "started" | "succeeded" | "failed" | "cancelled" | "error";
  error: string | null;
}

/** `version` changes after "Run now", so the log reloads with the new run. */
export function ScheduleRuns({ workspaceId, scheduleId, version }: { workspaceId: string; scheduleId: string; version: number }) {
  const load = useLoad(() => wsApi<{ runs: Run[] }>(workspaceId, "GET", `/schedules/${scheduleId}/runs`), [workspaceId, scheduleId, version]);
  return (
    <div class="log" role="region" aria-label="Run log">
      <div class="log-head">
        <h3>Runs</h3>
        <button type="button" class="button small ghost" onClick={() => void load.reload()}>
          Refresh
        </button>
      </div>
      <LoadState load={load} what="runs">
        {({ runs }) =>
          runs.length === 0 ? (
            <Empty>No runs yet: the first comes at the next fire, or use Run now.</Empty>
          ) : (
            <table class="settings-table compact">
              <caption class="sr-only">Runs</caption>
              <thead>
                <tr>
                  <th scope="col">Fired</th>
                  <th scope="col">Due</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Issue</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => (
                  <tr key={r.id}>
                    <td>{when(r.firedAt)}</td>
                    <td>{when(r.scheduledFor)}</td>
                    <td>
                      {humanize(r.kind)}
                      {r.missed > 0 && <span class="muted"> ({r.missed} missed)</span>}
                    </td>
                    <td class="cell-wrap">
                      <span class={`state-pill outcome-${r.outcome}`}>{humanize(r.outcome)}</span>
                      {r.error && <div class="form-error">{r.error}</div>}
                    </td>
                    <td>{r.issueId ? <a href={`/w/${workspaceId}/issues/${r.issueId}`}>Open issue</a> : "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </LoadState>
    </div>
  );
}
