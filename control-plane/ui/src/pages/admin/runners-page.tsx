/**
 * Runners: the machines that run agents — online or offline, their runtimes with versions,
 * concurrency, what each is running now (from the live board's runs) and when it was last seen.
 * Re-read when a run changes state and every 15 s, since runners connecting or dropping off has no
 * frame of its own on the live feed.
 */
import { useEffect, useState } from "preact/hooks";
import { describeError, wsApi } from "../../lib/api";
import { ago, humanize } from "../../lib/format";
import { issues, onLive, runs } from "../../state/board";

interface RunnerRow {
  id: string;
  name: string;
  version: string;
  concurrency: number;
  online: boolean;
  connectedAt: number | null;
  lastSeenAt: number;
  runtimes: { key: string; version: string | null }[];
}

const POLL_MS = 15_000;

export function RunnersPage({ workspaceId }: { workspaceId: string }) {
  const [list, setList] = useState<RunnerRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    const load = async () => {
      try {
        const res = await wsApi<{ runners: RunnerRow[] }>(workspaceId, "GET", "/runners");
        if (!alive) return;
        setList(res.runners.sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name)));
        setError(null);
      } catch (err) {
        if (alive) setError(describeError(err));
      }
    };
    void load();
    const timer = setInterval(() => void load(), POLL_MS);
    const off = onLive((m) => m.type === "task.status" && void load());
    return () => {
      alive = false;
      clearInterval(timer);
      off();
    };
  }, [workspaceId]);

  const active = [...runs.value.values()];
  const online = list?.filter((r) => r.online).length ?? 0;
  return (
    <div class="admin-page">
      <header class="toolbar">
        <h1 class="page-title">Runners</h1>
        {list && (
          <span class="muted">
            {online} online · {list.length - online} offline
          </span>
        )}
      </header>
      <div class="page-pad">
        {error && (
          <p class="form-error" role="alert">
            Could not load runners: {error}
          </p>
        )}
        {list === null && !error && (
          <p class="loading" role="status">
            Loading runners…
          </p>
        )}
        {list?.length === 0 && (
          <p class="muted">
            No runner has connected yet. Make a runner token (Settings → Tokens) and start one: <code>npx multica-runner --url {location.origin} --token &lt;token&gt;</code>
          </p>
        )}
        <div class="runner-grid">
          {list?.map((r) => {
            const mine = active.filter((t) => t.runnerId === r.id);
            return (
              <article key={r.id} class="runner-card" aria-labelledby={`runner-${r.id}`}>
                <header>
                  <span class={`presence ${r.online ? "on" : "off"}`} aria-hidden="true" />
                  <h2 id={`runner-${r.id}`}>{r.name}</h2>
                  <span class={`status-pill ${r.online ? "s-running" : "s-cancelled"}`}>{r.online ? "Online" : "Offline"}</span>
                </header>
                <dl class="facts">
                  <dt>Runner</dt>
                  <dd>v{r.version}, {r.concurrency} at once</dd>
                  <dt>{r.online ? "Connected" : "Last seen"}</dt>
                  <dd title={new Date(r.online && r.connectedAt ? r.connectedAt : r.lastSeenAt).toLocaleString()}>{ago(r.online && r.connectedAt ? r.connectedAt : r.lastSeenAt)}</dd>
                  <dt>Running</dt>
                  <dd>
                    {mine.length === 0
                      ? "nothing"
                      : mine.map((t) => (
                          <a key={t.taskId} class="run-link" href={`/w/${workspaceId}/issues/${t.issueId}`}>
                            {issues.value.get(t.issueId)?.key ?? "issue"} · {humanize(t.status)}
                          </a>
                        ))}
                  </dd>
                </dl>
                <h3 class="small-title">Runtimes</h3>
                <ul class="runtimes">
                  {r.runtimes.map((rt) => (
                    <li key={rt.key}>
                      <code>{rt.key}</code>
                      <span class="muted">{rt.version ?? "version unknown"}</span>
                    </li>
                  ))}
                </ul>
              </article>
            );
          })}
        </div>
      </div>
    </div>
  );
}
