/**
 * Inbound webhooks (admins only: their secrets open issues and start runs): create a GitHub or
 * generic endpoint (its URL and secret shown once), switch it off and on, delete it, and read its
 * delivery log. Signature rules and templates are in the README's Webhooks section.
 */
import { useState } from "preact/hooks";
import { describeError, wsApi } from "../../lib/api";
import { useLoad } from "../../lib/use-load";
import { agents } from "../../state/board";
import { SecretOnce } from "./secret-once";
import { Empty, FormError, LoadState, ReadOnlyNote, Section, when } from "./section";
import type { Role } from "./settings-page";
import { WebhookDeliveries } from "./webhook-deliveries";

interface Webhook {
  id: string;
  kind: "github" | "generic";
  name: string;
  config: { label?: string; agentId?: string };
  enabled: boolean;
  createdAt: number;
  url: string;
}

function CreateWebhookForm({ workspaceId, onCreated }: { workspaceId: string; onCreated: (hook: Webhook & { secret: string }) => void }) {
  const [kind, setKind] = useState<"github" | "generic">("github");
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const opt = (k: string) => String(data.get(k) ?? "").trim();
    const config = { ...(opt("label") ? { label: opt("label") } : {}), ...(opt("agentId") ? { agentId: opt("agentId") } : {}), ...(opt("titleTemplate") ? { titleTemplate: opt("titleTemplate") } : {}) };
    try {
      const res = await wsApi<{ webhook: Webhook & { secret: string } }>(workspaceId, "POST", "/webhooks", { kind, name: opt("name"), config });
      form.reset();
      setError(null);
      onCreated(res.webhook);
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <form class="settings-form" onSubmit={(e) => void submit(e)} aria-label="Create an inbound webhook">
      <label>
        Sender
        <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as "github" | "generic")}>
          <option value="github">GitHub</option>
          <option value="generic">Generic JSON</option>
        </select>
      </label>
      <label>
        Webhook name
        <input name="name" required maxLength={100} autoComplete="off" />
      </label>
      {kind === "github" ? (
        <label>
          Only with label
          <input name="label" maxLength={100} placeholder="any label" />
        </label>
      ) : (
        <label>
          Issue title template
          <input name="titleTemplate" maxLength={1000} placeholder="{{title}}" />
        </label>
      )}
      <label>
        Assign to agent
        <select name="agentId">
          <option value="">Nobody</option>
          {agents.value.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="button primary">
        Create webhook
      </button>
      <FormError error={error} />
    </form>
  );
}

export function WebhooksSection({ workspaceId, role }: { workspaceId: string; role: Role }) {
  const admin = role !== "member";
  const intro = "Endpoints that turn GitHub issues and pull requests, or any signed JSON, into issues here.";
  if (!admin) {
    return (
      <Section id="webhooks" title="Inbound webhooks" intro={intro}>
        <ReadOnlyNote>Only admins see and manage inbound webhooks: their secrets can open issues and start agent runs.</ReadOnlyNote>
      </Section>
    );
  }
  return <WebhookList workspaceId={workspaceId} intro={intro} />;
}

function WebhookList({ workspaceId, intro }: { workspaceId: string; intro: string }) {
  const load = useLoad(() => wsApi<{ webhooks: Webhook[] }>(workspaceId, "GET", "/webhooks"), [workspaceId]);
  const [created, setCreated] = useState<(Webhook & { secret: string }) | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [rowError, setRowError] = useState<string | null>(null);
  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      setRowError(null);
    } catch (err) {
      setRowError(describeError(err));
    }
    await load.reload();
  };
  const agentName = (id: string | undefined) => (id ? (agents.value.find((a) => a.id === id)?.name ?? id) : "Nobody");

  return (
    <Section id="webhooks" title="Inbound webhooks" intro={intro}>
      <CreateWebhookForm workspaceId={workspaceId} onCreated={(h) => void (setCreated(h), load.reload())} />
      {created && (
        <SecretOnce label="webhook secret" secret={created.secret} onDone={() => setCreated(null)}>
          <p class="hint">
            Point the sender at <code>{created.url}</code>
            {created.kind === "github" ? " (content type application/json) with this secret." : " and sign each body with this secret (X-Multica-Signature)."}
          </p>
        </SecretOnce>
      )}
      <FormError error={rowError} />
      <LoadState load={load} what="webhooks">
        {({ webhooks }) =>
          webhooks.length === 0 ? (
            <Empty>No inbound webhooks yet. Create one above and give its URL and secret to GitHub or your tool.</Empty>
          ) : (
            <ul class="item-list">
              {webhooks.map((h) => (
                <li key={h.id} class={h.enabled ? "item" : "item item-off"}>
                  <div class="item-head">
                    <strong>{h.name}</strong>
                    <span class="kind-pill">{h.kind === "github" ? "GitHub" : "Generic"}</span>
                    <span class={`state-pill state-${h.enabled ? "on" : "off"}`}>{h.enabled ? "Enabled" : "Disabled"}</span>
                    <span class="spacer" />
                    <button type="button" class="button small" aria-expanded={open === h.id} onClick={() => setOpen(open === h.id ? null : h.id)}>
                      {open === h.id ? "Hide deliveries" : "Deliveries"}
                    </button>
                    <button type="button" class="button small" onClick={() => void act(() => wsApi(workspaceId, "PATCH", `/webhooks/${h.id}`, { enabled: !h.enabled }))}>
                      {h.enabled ? "Disable" : "Enable"}
                    </button>
                    <button type="button" class="button small danger" aria-label={`Delete ${h.name}`} onClick={() => confirm(`Delete the webhook "${h.name}" and its delivery log?`) && void act(() => wsApi(workspaceId, "DELETE", `/webhooks/${h.id}`))}>
                      Delete
                    </button>
                  </div>
                  <dl class="item-facts">
                    <dt>URL</dt>
                    <dd>
                      <code>{h.url}</code>
                    </dd>
                    <dt>Assigns</dt>
                    <dd>{agentName(h.config.agentId)}</dd>
                    {h.config.label && (
                      <>
                        <dt>Label</dt>
                        <dd>{h.config.label}</dd>
                      </>
                    )}
                    <dt>Created</dt>
                    <dd>{when(h.createdAt)}</dd>
                  </dl>
                  {open === h.id && <WebhookDeliveries workspaceId={workspaceId} webhookId={h.id} enabled={h.enabled} />}
                </li>
              ))}
            </ul>
          )
        }
      </LoadState>
    </Section>
  );
}
