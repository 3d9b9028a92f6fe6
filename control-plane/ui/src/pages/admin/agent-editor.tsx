/**
 * An agent's settings for admins: instructions, runtimes (most preferred first), runner pool,
 * concurrency, model, whether it may close issues, and its skills (attach, pin or follow latest,
 * enable, detach). Saves with PATCH /agents/:id; skills through /agents/:id/skills.
 */
import { useEffect, useState } from "preact/hooks";
import { describeError, wsApi } from "../../lib/api";
import type { Agent } from "../../lib/types";
import { toast } from "../../state/toasts";
import { FormError } from "../../components/form-error";

interface RunnerRow {
  id: string;
  name: string;
  online: boolean;
  runtimes: { key: string }[];
}
interface AttachedSkill {
  name: string;
  version: number | null;
  enabled: boolean;
  runsWith: number;
}
interface SkillRow {
  name: string;
  latestVersion: number;
}

export function AgentEditor({ workspaceId, agent, onSaved }: { workspaceId: string; agent: Agent; onSaved: () => void }) {
  const [instructions, setInstructions] = useState(agent.instructions);
  const [runtimes, setRuntimes] = useState(agent.runtimes.join("\n"));
  const [pool, setPool] = useState<string[] | null>(agent.runnerIds);
  const [max, setMax] = useState(agent.maxConcurrentTasks);
  const [model, setModel] = useState(agent.model ?? "");
  const [canClose, setCanClose] = useState(agent.canClose);
  const [runners, setRunners] = useState<RunnerRow[]>([]);
  const [attached, setAttached] = useState<AttachedSkill[]>([]);
  const [library, setLibrary] = useState<SkillRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const loadSkills = async () => setAttached((await wsApi<{ skills: AttachedSkill[] }>(workspaceId, "GET", `/agents/${agent.id}/skills`)).skills);
  useEffect(() => {
    Promise.all([
      wsApi<{ runners: RunnerRow[] }>(workspaceId, "GET", "/runners").then((r) => setRunners(r.runners)),
      wsApi<{ skills: SkillRow[] }>(workspaceId, "GET", "/skills").then((r) => setLibrary(r.skills)),
      loadSkills(),
    ]).catch((err: unknown) => setError(describeError(err)));
  }, [agent.id]);

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const keys = runtimes.split(/[\n,]/).map((r) => r.trim()).filter(Boolean);
      await wsApi(workspaceId, "PATCH", `/agents/${agent.id}`, { instructions, runtimes: keys, runnerIds: pool && pool.length > 0 ? pool : null, maxConcurrentTasks: max, model: model.trim() || null, canClose });
      setError(null);
      toast(`Saved ${agent.name}`, "info");
      onSaved();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  const skill = async (method: "PUT" | "DELETE", name: string, body?: { version: number | null; enabled: boolean }) => {
    try {
      await wsApi(workspaceId, method, `/agents/${agent.id}/skills/${encodeURIComponent(name)}`, body);
      await loadSkills();
    } catch (err) {
      toast(`Skill ${name}: ${describeError(err)}`);
    }
  };
  const known = [...new Set(runners.flatMap((r) => r.runtimes.map((rt) => rt.key)))].sort();
  const unattached = library.filter((s) => !attached.some((a) => a.name === s.name));
  const id = (f: string) => `agent-${agent.id}-${f}`;

  return (
    <form class="agent-editor" onSubmit={save} aria-label={`Settings of ${agent.name}`}>
      <div class="editor-grid">
        <div class="field wide">
          <label for={id("instructions")}>Instructions</label>
          <textarea id={id("instructions")} rows={6} value={instructions} onInput={(e) => setInstructions(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for={id("runtimes")}>Runtimes, most preferred first (one per line)</label>
          <textarea id={id("runtimes")} rows={3} value={runtimes} onInput={(e) => setRuntimes(e.currentTarget.value)} aria-describedby={id("known")} />
          <p id={id("known")} class="hint">
            Offered by runners now: {known.length > 0 ? known.join(", ") : "none connected"}
          </p>
        </div>
        <fieldset class="field">
          <legend>Runner pool</legend>
          <label class="check">
            <input type="checkbox" checked={pool === null} onChange={(e) => setPool(e.currentTarget.checked ? null : [])} /> Any runner with a matching runtime
          </label>
          {pool !== null &&
            runners.map((r) => (
              <label key={r.id} class="check">
                <input type="checkbox" checked={pool.includes(r.id)} onChange={(e) => setPool(e.currentTarget.checked ? [...pool, r.id] : pool.filter((x) => x !== r.id))} /> {r.name} {r.online ? "" : "(offline)"}
              </label>
            ))}
        </fieldset>
        <div class="field">
          <label for={id("max")}>Runs at once</label>
          <input id={id("max")} type="number" min={1} max={100} value={max} onInput={(e) => setMax(Number(e.currentTarget.value))} />
          <label for={id("model")}>Model</label>
          <input id={id("model")} placeholder="the runner's default" value={model} onInput={(e) => setModel(e.currentTarget.value)} />
          <label class="check">
            <input type="checkbox" checked={canClose} onChange={(e) => setCanClose(e.currentTarget.checked)} /> May set its issues to done
          </label>
        </div>
        <fieldset class="field wide">
          <legend>Skills</legend>
          {attached.length === 0 && <p class="muted">No skills attached.</p>}
          <ul class="plain-list">
            {attached.map((s) => (
              <li key={s.name} class="with-icon">
                <label class="check">
                  <input type="checkbox" checked={s.enabled} onChange={(e) => void skill("PUT", s.name, { version: s.version, enabled: e.currentTarget.checked })} /> {s.name}
                </label>
                <span class="muted">{s.version === null ? `latest (v${s.runsWith})` : `pinned to v${s.version}`}</span>
                <button type="button" class="button ghost small" onClick={() => void skill("DELETE", s.name)}>
                  Detach
                </button>
              </li>
            ))}
          </ul>
          {unattached.length > 0 && (
            <label class="with-icon">
              <span>Attach</span>
              <select value="" onChange={(e) => e.currentTarget.value && void skill("PUT", e.currentTarget.value, { version: null, enabled: true })}>
                <option value="">choose a skill…</option>
                {unattached.map((s) => (
                  <option key={s.name} value={s.name}>
                    {s.name} (v{s.latestVersion})
                  </option>
                ))}
              </select>
            </label>
          )}
        </fieldset>
      </div>
      <FormError error={error} />
      <div class="row">
        <button type="submit" class="button primary small" disabled={busy}>
          {busy ? "Saving…" : "Save agent"}
        </button>
      </div>
    </form>
  );
}
