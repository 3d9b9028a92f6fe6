/**
 * One inbound webhook's delivery log (newest first, the last 100): when it came, the event, what
 * was done with it and why, the issue it opened, and Redeliver for a delivery that was ignored or
 * failed inside the control plane. The server says which ones may be redelivered
 * (triggers/hook-delivery.ts); the outcome of a redelivery is shown on its row.
 */
import { useState } from "preact/hooks";
import { describeError, wsApi } from "../../lib/api";
import { useLoad } from "../../lib/use-load";
import { DeliveryLog, Empty, LoadState, when } from "./section";

interface Delivery {
  id: string;
  deliveryKey: string | null;
  event: string | null;
  status: "accepted" | "ignored" | "rejected";
  reason: string | null;
  issueId: string | null;
  url: string | null;
  receivedAt: number;
  redeliveryOf: string | null;
  /** Whether the redeliver route would act on it (triggers/hook-delivery.ts decides). */
  redeliverable: boolean;
}

type Outcome = { deliveryId?: string; status?: string; reason?: string; duplicate?: boolean; issueId?: string };

export function WebhookDeliveries({ workspaceId, webhookId, enabled }: { workspaceId: string; webhookId: string; enabled: boolean }) {
  const load = useLoad(() => wsApi<{ deliveries: Delivery[] }>(workspaceId, "GET", `/webhooks/${webhookId}/deliveries`), [workspaceId, webhookId]);
  const [notes, setNotes] = useState<Record<string, { text: string; error: boolean }>>({});

  const redeliver = async (d: Delivery) => {
    let note: { text: string; error: boolean };
    try {
      const r = await wsApi<Outcome>(workspaceId, "POST", `/webhooks/${webhookId}/deliveries/${d.id}/redeliver`);
      note = { text: r.duplicate ? "Already accepted once: logged as a duplicate" : r.status === "ignored" ? `Ignored again: ${r.reason ?? "no reason given"}` : "Accepted", error: false };
    } catch (err) {
      note = { text: describeError(err), error: true };
    }
    setNotes((n) => ({ ...n, [d.id]: note }));
    await load.reload();
  };

  return (
    <DeliveryLog onRefresh={() => void load.reload()}>
      <LoadState load={load} what="deliveries">
        {({ deliveries }) =>
          deliveries.length === 0 ? (
            <Empty>No deliveries yet. They show here as soon as the sender posts to the hook URL.</Empty>
          ) : (
            <table class="settings-table compact">
              <caption class="sr-only">Deliveries</caption>
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Issue</th>
                  <th scope="col"><span class="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {deliveries.map((d) => (
                  <tr key={d.id}>
                    <td>
                      {when(d.receivedAt)}
                      {d.redeliveryOf && <div class="muted small">redelivery of {d.redeliveryOf}</div>}
                    </td>
                    <td>{d.event ?? "—"}</td>
                    <td>
                      <span class={`state-pill delivery-${d.status}`}>{d.status}</span>
                    </td>
                    <td class="cell-wrap">
                      {d.reason ?? "—"}
                      {notes[d.id] && (
                        <p class={notes[d.id]!.error ? "form-error" : "hint"} role="status">
                          {notes[d.id]!.text}
                        </p>
                      )}
                    </td>
                    <td>{d.issueId ? <a href={`/w/${workspaceId}/issues/${d.issueId}`}>Open issue</a> : "—"}</td>
                    <td class="cell-actions">
                      {d.redeliverable && (
                        <button type="button" class="button small" disabled={!enabled} title={enabled ? undefined : "Enable the webhook to redeliver"} onClick={() => void redeliver(d)}>
                          Redeliver
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </LoadState>
    </DeliveryLog>
  );
}
