/**
 * Agents: each agent's status, what it is running now (from the live board), its record (success
 * rate of finished attempts, runs, tokens, cost, last run) and, for admins, its settings. Stats are
 * read on open and whenever one of its runs changes state on the live feed.
 */
import { useEffect, useState } from "preact/hooks";
import { Avatar } from "../../components/avatar";
import { describeError, wsApi } from "../../lib/api";
import { ago, compact, humanize, usd } from "../../lib/format";
import { agents, issues, onLive, refresh, runs } from "../../state/board";
import { workspaces } from "../../state/session";
import { AgentEditor } from "./agent-editor";
import { NewAgentForm } from "./new-agent-form";

export interface AgentStats {
  agentId: string;
  status: "working" | "offline" | "blocked" | "idle";
  succeeded: number;
  failed: number;
  cancelled: number;
  running: number;
  queued: number;
  successRate: number | null;
  costUsd: number;
  tokens: number;
  lastRunAt: number | null;
}

export function AgentsPage({ workspaceId }: { workspaceId: string }) {
  const [stats, setStats] = useState<Map<string, AgentStats>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const admin = workspaces.value.find((w) => w.id === workspaceId)?.role !== "member";

  const load = async () => {
    try {
      const res = await wsApi<{ stats: AgentStats[] }>(workspaceId, "GET", "/agents/stats");
      setStats(new Map(res.stats.map((s) => [s.agentId, s])));
      setError(null);
    } catch (err) {
      setError(describeError(err));
    }
  };
  useEffect(() => {
    void load();
    // A run starting or ending changes the numbers; D1 mirrors it a moment after the frame.
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = onLive((m) => {
      if (m.type !== "task.status") return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void load(), 1000);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [workspaceId]);

  const running = [...runs.value.values()];
  return (
    <div class="admin-page">
      <header class="toolbar">
        <h1 class="page-title">Agents</h1>
        <span class="muted">{agents.value.length} agents</span>
      </header>
      {error && (
        <p class="form-error page-pad" role="alert">
          Could not load agent stats: {error}
        </p>
      )}
      <div class="page-pad">
        <table class="data-table">
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Status</th>
              <th scope="col">Running now</th>
              <th scope="col">Success rate</th>
              <th scope="col">Runs</th>
              <th scope="col">Tokens</th>
              <th scope="col">Cost</th>
              <th scope="col">Last run</th>
              {admin && <th scope="col"><span class="sr-only">Actions</span></th>}
            </tr>
          </thead>
          <tbody>
            {agents.value.map((agent) => {
              const s = stats.get(agent.id);
              const now = running.filter((r) => r.agentId === agent.id);
              return [
                <tr key={agent.id}>
                  <th scope="row">
                    <span class="with-icon">
                      <Avatar who={{ agentId: agent.id }} size={20} />
                      {agent.name}
                    </span>
                    <span class="muted small">{agent.runtimes.join(", ")}</span>
                  </th>
                  <td>{s ? <span class={`status-pill a-${s.status}`}>{humanize(s.status)}</span> : "…"}</td>
                  <td>
                    {now.length === 0 ? (
                      <span class="muted">—</span>
                    ) : (
                      now.map((r) => {
                        const issue = issues.value.get(r.issueId);
                        return (
                          <a key={r.taskId} class="run-link" href={`/w/${workspaceId}/issues/${r.issueId}`}>
                            {issue?.key ?? "issue"} · {humanize(r.status)}
                          </a>
                        );
                      })
                    )}
                  </td>
                  <td>{s?.successRate === null || !s ? <span class="muted">—</span> : `${Math.round(s.successRate * 100)}%`}</td>
                  <td title={s ? `${s.succeeded} succeeded, ${s.failed} failed, ${s.cancelled} cancelled` : undefined}>{s ? s.succeeded + s.failed + s.cancelled + s.running + s.queued : "…"}</td>
                  <td>{s ? compact(s.tokens) : "…"}</td>
                  <td>{s ? usd(s.costUsd) : "…"}</td>
                  <td>{s ? ago(s.lastRunAt) : "…"}</td>
                  {admin && (
                    <td>
                      <button type="button" class="button small" aria-expanded={editing === agent.id} onClick={() => setEditing(editing === agent.id ? null : agent.id)}>
                        {editing === agent.id ? "Close" : "Edit"}
                      </button>
                    </td>
                  )}
                </tr>,
                editing === agent.id && (
                  <tr key={`${agent.id}-edit`} class="editor-row">
                    <td colSpan={9}>
                      <AgentEditor
                        workspaceId={workspaceId}
                        agent={agent}
                        onSaved={() => {
                          void refresh();
                          void load();
                        }}
                      />
                    </td>
                  </tr>
                ),
              ];
            })}
          </tbody>
        </table>
        {agents.value.length === 0 && <p class="muted">No agents yet.{admin ? " Create one below." : " An admin can create them."}</p>}
        {admin && <NewAgentForm workspaceId={workspaceId} onCreated={() => void refresh().then(load)} />}
      </div>
    </div>
  );
}
