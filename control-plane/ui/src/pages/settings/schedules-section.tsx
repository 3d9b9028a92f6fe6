/**
 * Schedules: cron expressions that open an issue (and run an agent on it) at every fire. Everyone
 * sees them with their next fire times in the schedule's own zone, and their run logs; admins
 * create, pause, resume, run now and delete (routes/schedules.ts).
 */
import { useState } from "preact/hooks";
import { describeError, wsApi } from "../../lib/api";
import { useLoad } from "../../lib/use-load";
import { agents } from "../../state/board";
import { ScheduleForm } from "./schedule-form";
import { ScheduleRuns } from "./schedule-runs";
import { Empty, FormError, LoadState, ReadOnlyNote, Section } from "./section";
import type { Role } from "./settings-page";

interface Schedule {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  missedPolicy: "skip" | "catch_up_once";
  action: { title: string; agentId?: string };
  state: "active" | "paused";
  pausedReason: string | null;
  consecutiveFailures: number;
  maxConsecutiveFailures: number;
  nextFires: { at: number; utc: string; local: string }[];
}

/** `2026-03-08T09:00+01:00` → `2026-03-08 09:00 (+01:00)`: the zone's wall clock, as the API gives it. */
const wallClock = (local: string) => local.replace(/^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(.*)$/, "$1 $2 ($3)");

export function SchedulesSection({ workspaceId, role }: { workspaceId: string; role: Role }) {
  const admin = role !== "member";
  const load = useLoad(() => wsApi<{ schedules: Schedule[] }>(workspaceId, "GET", "/schedules"), [workspaceId]);
  const [open, setOpen] = useState<string | null>(null);
  const [runsVersion, setRunsVersion] = useState(0);
  const [rowError, setRowError] = useState<string | null>(null);
  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      setRowError(null);
    } catch (err) {
      setRowError(describeError(err));
    }
    setRunsVersion((v) => v + 1);
    await load.reload();
  };
  const agentName = (id: string | undefined) => (id ? (agents.value.find((a) => a.id === id)?.name ?? id) : null);

  return (
    <Section id="schedules" title="Schedules" intro="Open an issue on a cron schedule, in a time zone of your choice, and run an agent on it.">
      {admin ? <ScheduleForm workspaceId={workspaceId} onCreated={() => void load.reload()} /> : <ReadOnlyNote>Only admins create or change schedules; you can see them and their runs.</ReadOnlyNote>}
      <FormError error={rowError} />
      <LoadState load={load} what="schedules">
        {({ schedules }) =>
          schedules.length === 0 ? (
            <Empty>No schedules yet.{admin ? " Create one above, for example a weekday triage at 09:00." : ""}</Empty>
          ) : (
            <ul class="item-list">
              {schedules.map((s) => (
                <li key={s.id} class={s.state === "active" ? "item" : "item item-off"} aria-label={`Schedule ${s.name}`}>
                  <div class="item-head">
                    <strong>{s.name}</strong>
                    <code>{s.cron}</code>
                    <span class="muted">{s.timezone}</span>
                    <span class={`state-pill state-${s.state === "active" ? "on" : "off"}`}>{s.state === "active" ? "Active" : "Paused"}</span>
                    <span class="spacer" />
                    <button type="button" class="button small" aria-expanded={open === s.id} onClick={() => setOpen(open === s.id ? null : s.id)}>
                      {open === s.id ? "Hide runs" : "Runs"}
                    </button>
                    {admin && (
                      <>
                        <button type="button" class="button small" onClick={() => void act(() => wsApi(workspaceId, "POST", `/schedules/${s.id}/run`)).then(() => setOpen(s.id))}>
                          Run now
                        </button>
                        <button type="button" class="button small" onClick={() => void act(() => wsApi(workspaceId, "POST", `/schedules/${s.id}/${s.state === "active" ? "pause" : "resume"}`))}>
                          {s.state === "active" ? "Pause" : "Resume"}
                        </button>
                        <button type="button" class="button small danger" aria-label={`Delete ${s.name}`} onClick={() => confirm(`Delete the schedule "${s.name}" and its run log? Issues it opened stay.`) && void act(() => wsApi(workspaceId, "DELETE", `/schedules/${s.id}`))}>
                          Delete
                        </button>
                      </>
                    )}
                  </div>
                  {s.pausedReason && <p class="form-error">Paused itself: {s.pausedReason}</p>}
                  <dl class="item-facts">
                    <dt>Opens</dt>
                    <dd>
                      “{s.action.title}”{agentName(s.action.agentId) ? ` for ${agentName(s.action.agentId)}` : ""}
                    </dd>
                    <dt>Missed fires</dt>
                    <dd>{s.missedPolicy === "skip" ? "Skipped" : "Caught up once"}</dd>
                    <dt>Failures</dt>
                    <dd>
                      {s.consecutiveFailures} in a row (pauses at {s.maxConsecutiveFailures})
                    </dd>
                    <dt>Next fires</dt>
                    <dd>
                      {s.state === "paused" ? (
                        <span class="muted">None while paused</span>
                      ) : s.nextFires.length === 0 ? (
                        <span class="muted">Never fires again</span>
                      ) : (
                        <ol class="fires" aria-label={`Next fires of ${s.name}`}>
                          {s.nextFires.map((f) => (
                            <li key={f.at}>
                              <time dateTime={f.utc} title={f.utc}>
                                {wallClock(f.local)}
                              </time>
                            </li>
                          ))}
                        </ol>
                      )}
                    </dd>
                  </dl>
                  {open === s.id && <ScheduleRuns workspaceId={workspaceId} scheduleId={s.id} version={runsVersion} />}
                </li>
              ))}
            </ul>
          )
        }
      </LoadState>
    </Section>
  );
}
