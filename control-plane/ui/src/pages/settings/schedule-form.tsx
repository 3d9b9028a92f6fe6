/**
 * The form that creates a schedule: a name, a cron expression in an IANA zone (the browser's
 * by default), what to do about fires missed while the control plane was down, and the issue each
 * fire opens with the agent to run on it. The server checks the expression and zone and answers
 * with what is wrong (shown under the form).
 */
import { useState } from "preact/hooks";
import { describeError, wsApi } from "../../lib/api";
import { agents } from "../../state/board";
import { FormError } from "./section";

/** Chromium's list leaves out `UTC` (it has `Etc/UTC`); the API takes both. */
const ZONES = [...new Set(["UTC", ...Intl.supportedValuesOf("timeZone")])];
/** The browser's own zone to start with: schedules are usually about the creator's working day. */
const START_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

export function ScheduleForm({ workspaceId, onCreated }: { workspaceId: string; onCreated: () => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const text = (k: string) => String(data.get(k) ?? "").trim();
    const body = {
      name: text("name"),
      cron: text("cron"),
      timezone: text("timezone"),
      missedPolicy: text("missedPolicy"),
      maxConsecutiveFailures: Number(text("maxFailures")),
      action: { title: text("title"), ...(text("agentId") ? { agentId: text("agentId") } : {}) },
    };
    setBusy(true);
    try {
      await wsApi(workspaceId, "POST", "/schedules", body);
      form.reset();
      setError(null);
      onCreated();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="settings-form schedule-form" onSubmit={(e) => void submit(e)} aria-label="Create a schedule">
      <label>
        Schedule name
        <input name="name" required maxLength={100} autoComplete="off" />
      </label>
      <label>
        Cron expression
        <input name="cron" required maxLength={256} class="mono" placeholder="0 9 * * MON-FRI" aria-describedby="cron-help" />
      </label>
      <label>
        Time zone
        <select name="timezone">
          {ZONES.map((z) => (
            <option key={z} value={z} selected={z === START_ZONE}>
              {z}
            </option>
          ))}
        </select>
      </label>
      <label>
        Missed fires
        <select name="missedPolicy">
          <option value="skip">Skip them</option>
          <option value="catch_up_once">Run once to catch up</option>
        </select>
      </label>
      <label>
        Issue title
        <input name="title" required maxLength={300} autoComplete="off" />
      </label>
      <label>
        Agent to run
        <select name="agentId">
          <option value="">None (open the issue only)</option>
          {agents.value.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Pause after failures
        <input name="maxFailures" type="number" min={1} max={100} defaultValue="5" required />
      </label>
      <button type="submit" class="button primary" disabled={busy}>
        Create schedule
      </button>
      <p id="cron-help" class="hint form-wide">
        Five fields (minute hour day month weekday, names like MON-FRI allowed) or @hourly, @daily, @weekly, @monthly.
      </p>
      <FormError error={error} />
    </form>
  );
}
