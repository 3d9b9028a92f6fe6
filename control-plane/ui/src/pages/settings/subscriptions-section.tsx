/**
 * Outbound webhooks (admins only: they send the workspace's events elsewhere): subscribe a URL to
 * event types (its signing secret shown once), switch it off and on, send a signed test ping, read
 * the delivery log with every attempt, delete. Sending and retrying is the workspace object's
 * (triggers/outbound-sender.ts); this page only shows what it did.
 */
import { useState } from "preact/hooks";
import { describeError, wsApi } from "../../lib/api";
import { useLoad } from "../../lib/use-load";
import { SecretOnce } from "./secret-once";
import { Empty, FormError, LoadState, ReadOnlyNote, Section, when } from "./section";
import type { Role } from "./settings-page";
import { SubscriptionDeliveries } from "./subscription-deliveries";

interface Subscription {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabledReason: string | null;
  createdAt: number;
}

function CreateSubscriptionForm({ workspaceId, onCreated }: { workspaceId: string; onCreated: (secret: string) => void }) {
  // The control plane's list, so a new event type shows here without a dashboard change.
  const types = useLoad(() => wsApi<{ eventTypes: string[] }>(workspaceId, "GET", "/subscriptions/event-types"), [workspaceId]);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    try {
      const res = await wsApi<{ subscription: { secret: string } }>(workspaceId, "POST", "/subscriptions", { url: String(data.get("url")).trim(), events: data.getAll("events").map(String) });
      form.reset();
      setError(null);
      onCreated(res.subscription.secret);
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <form class="settings-form" onSubmit={(e) => void submit(e)} aria-label="Create an outbound webhook">
      <label class="form-wide">
        Receiver URL
        <input name="url" type="url" required maxLength={2000} placeholder="https://ci.example.com/multica" />
      </label>
      <fieldset class="events form-wide">
        <legend>Events</legend>
        <LoadState load={types} what="event types">
          {({ eventTypes }) =>
            eventTypes.map((t) => (
              <label key={t} class="check">
                <input type="checkbox" name="events" value={t} />
                <span class="mono">{t}</span>
              </label>
            ))
          }
        </LoadState>
      </fieldset>
      <button type="submit" class="button primary">
        Subscribe
      </button>
      <FormError error={error} />
    </form>
  );
}

export function SubscriptionsSection({ workspaceId, role }: { workspaceId: string; role: Role }) {
  const intro = "Send this workspace's events, signed, to your own services: CI, chat, dashboards.";
  if (role === "member") {
    return (
      <Section id="subscriptions" title="Outbound webhooks" intro={intro}>
        <ReadOnlyNote>Only admins see and manage outbound webhooks: they send this workspace's events elsewhere.</ReadOnlyNote>
      </Section>
    );
  }
  return <SubscriptionList workspaceId={workspaceId} intro={intro} />;
}

function SubscriptionList({ workspaceId, intro }: { workspaceId: string; intro: string }) {
  const load = useLoad(() => wsApi<{ subscriptions: Subscription[] }>(workspaceId, "GET", "/subscriptions"), [workspaceId]);
  const [secret, setSecret] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [logVersion, setLogVersion] = useState(0);
  const [rowError, setRowError] = useState<string | null>(null);
  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      setRowError(null);
    } catch (err) {
      setRowError(describeError(err));
    }
    setLogVersion((v) => v + 1);
    await load.reload();
  };
  const ping = async (id: string) => {
    setOpen(id);
    await act(() => wsApi(workspaceId, "POST", `/subscriptions/${id}/test`));
  };

  return (
    <Section id="subscriptions" title="Outbound webhooks" intro={intro}>
      <CreateSubscriptionForm workspaceId={workspaceId} onCreated={(s) => void (setSecret(s), load.reload())} />
      {secret && (
        <SecretOnce label="signing secret" secret={secret} onDone={() => setSecret(null)}>
          <p class="hint">Verify each delivery's X-Multica-Signature with it (see the README's Webhooks section).</p>
        </SecretOnce>
      )}
      <FormError error={rowError} />
      <LoadState load={load} what="subscriptions">
        {({ subscriptions }) =>
          subscriptions.length === 0 ? (
            <Empty>No outbound webhooks yet. Subscribe a URL above to receive events as they happen.</Empty>
          ) : (
            <ul class="item-list">
              {subscriptions.map((s) => (
                <li key={s.id} class={s.enabled ? "item" : "item item-off"} aria-label={`Subscription ${s.url}`}>
                  <div class="item-head">
                    <code class="item-url">{s.url}</code>
                    <span class={`state-pill state-${s.enabled ? "on" : "off"}`}>{s.enabled ? "Enabled" : "Disabled"}</span>
                    <span class="spacer" />
                    <button type="button" class="button small" disabled={!s.enabled} onClick={() => void ping(s.id)}>
                      Send test ping
                    </button>
                    <button type="button" class="button small" aria-expanded={open === s.id} onClick={() => setOpen(open === s.id ? null : s.id)}>
                      {open === s.id ? "Hide deliveries" : "Deliveries"}
                    </button>
                    <button type="button" class="button small" onClick={() => void act(() => wsApi(workspaceId, "PATCH", `/subscriptions/${s.id}`, { enabled: !s.enabled }))}>
                      {s.enabled ? "Disable" : "Enable"}
                    </button>
                    <button type="button" class="button small danger" aria-label={`Delete ${s.url}`} onClick={() => confirm(`Stop sending events to ${s.url} and delete its delivery log?`) && void act(() => wsApi(workspaceId, "DELETE", `/subscriptions/${s.id}`))}>
                      Delete
                    </button>
                  </div>
                  {s.disabledReason && <p class="form-error">Disabled: {s.disabledReason}</p>}
                  <dl class="item-facts">
                    <dt>Events</dt>
                    <dd>{s.events.join(", ")}</dd>
                    <dt>Created</dt>
                    <dd>{when(s.createdAt)}</dd>
                  </dl>
                  {open === s.id && <SubscriptionDeliveries workspaceId={workspaceId} subscriptionId={s.id} version={logVersion} />}
                </li>
              ))}
            </ul>
          )
        }
      </LoadState>
    </Section>
  );
}
