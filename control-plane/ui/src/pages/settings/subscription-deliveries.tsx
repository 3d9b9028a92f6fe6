/**
 * One outbound subscription's delivery log (newest first, the last 100): each event sent, its
 * state (pending, retrying, delivered, failed), and every attempt with the receiver's status, the
 * error and the start of its answer. A failed delivery can be retried by hand once more.
 */
import { useState } from "preact/hooks";
import { describeError, wsApi } from "../../lib/api";
import { duration } from "../../lib/format";
import { useLoad } from "../../lib/use-load";
import { DeliveryLog, Empty, FormError, LoadState, when } from "./section";

interface Attempt {
  attempt: number;
  at: number;
  status: number;
  durationMs: number;
  error: string | null;
  responseSnippet: string;
}

interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: "pending" | "retrying" | "delivered" | "failed";
  attempt: number;
  nextAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  failReason: string | null;
  attempts: Attempt[];
  createdAt: number;
}

/** `version` changes after a test ping or a retry, so the log reloads. */
export function SubscriptionDeliveries({ workspaceId, subscriptionId, version }: { workspaceId: string; subscriptionId: string; version: number }) {
  const load = useLoad(() => wsApi<{ deliveries: Delivery[] }>(workspaceId, "GET", `/subscriptions/${subscriptionId}/deliveries`), [workspaceId, subscriptionId, version]);
  const [error, setError] = useState<string | null>(null);
  const retry = async (d: Delivery) => {
    try {
      await wsApi(workspaceId, "POST", `/subscriptions/${subscriptionId}/deliveries/${d.id}/retry`);
      setError(null);
    } catch (err) {
      setError(describeError(err));
    }
    await load.reload();
  };

  return (
    <DeliveryLog onRefresh={() => void load.reload()}>
      <FormError error={error} />
      <LoadState load={load} what="deliveries">
        {({ deliveries }) =>
          deliveries.length === 0 ? (
            <Empty>Nothing sent yet. Deliveries appear when a subscribed event happens, or after Send test ping.</Empty>
          ) : (
            <ul class="deliveries">
              {deliveries.map((d) => (
                <li key={d.id} class="delivery">
                  <div class="delivery-head">
                    <span class="mono">{d.eventType}</span>
                    <span class={`state-pill delivery-${d.status}`}>{d.status}</span>
                    <span class="muted">
                      {d.attempt} {d.attempt === 1 ? "attempt" : "attempts"}
                      {d.lastStatus ? `, last answer ${d.lastStatus}` : ""}
                    </span>
                    <span class="muted">{when(d.createdAt)}</span>
                    {d.nextAttemptAt && d.status === "retrying" && <span class="muted">next try {when(d.nextAttemptAt)}</span>}
                    <span class="spacer" />
                    {d.status === "failed" && (
                      <button type="button" class="button small" onClick={() => void retry(d)}>
                        Retry
                      </button>
                    )}
                  </div>
                  {(d.failReason || d.lastError) && <p class="form-error">{d.failReason ?? d.lastError}</p>}
                  {d.attempts.length > 0 && (
                    <details class="attempts">
                      <summary>Attempts</summary>
                      <table class="settings-table compact">
                        <caption class="sr-only">Attempts of delivery {d.id}</caption>
                        <thead>
                          <tr>
                            <th scope="col">#</th>
                            <th scope="col">At</th>
                            <th scope="col">Answer</th>
                            <th scope="col">Took</th>
                            <th scope="col">Error or answer body</th>
                          </tr>
                        </thead>
                        <tbody>
                          {d.attempts.map((a) => (
                            <tr key={a.attempt}>
                              <td>{a.attempt}</td>
                              <td>{when(a.at)}</td>
                              <td>{a.status === 0 ? "none" : a.status}</td>
                              <td>{duration(a.durationMs)}</td>
                              <td class="cell-wrap mono">{a.error ?? (a.responseSnippet || "—")}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </details>
                  )}
                </li>
              ))}
            </ul>
          )
        }
      </LoadState>
    </DeliveryLog>
  );
}
