/**
 * API tokens: personal access tokens (any member, for the CLI, scripts and signing in here) and
 * runner tokens (admins, for `multica-runner`). Members see their own, admins every token of the
 * workspace; agent tokens, minted per run, are listed only on request since they pile up. A new
 * token's secret is shown once (routes/tokens.ts stores only its hash).
 */
import { useState } from "preact/hooks";
import { describeError, wsApi } from "../../lib/api";
import { ago } from "../../lib/format";
import { useLoad } from "../../lib/use-load";
import type { Member } from "../../lib/types";
import { SecretOnce } from "./secret-once";
import { Empty, FormError, LoadState, Section, when } from "./section";
import type { Role } from "./settings-page";

interface Token {
  id: string;
  name: string;
  kind: "member" | "runner" | "agent";
  userId: string;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
  revokedAt: number | null;
}

const EXPIRY = [["", "Never"], ["7", "7 days"], ["30", "30 days"], ["90", "90 days"], ["365", "1 year"]] as const;

function stateOf(t: Token, now: number): { text: string; tone: string } {
  if (t.revokedAt !== null) return { text: `Revoked ${ago(t.revokedAt, now)}`, tone: "off" };
  if (t.expiresAt !== null && t.expiresAt <= now) return { text: "Expired", tone: "off" };
  return { text: t.expiresAt === null ? "Active" : `Active until ${when(t.expiresAt)}`, tone: "on" };
}

function CreateTokenForm({ workspaceId, role, onCreated }: { workspaceId: string; role: Role; onCreated: (secret: string) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const days = String(data.get("expires") ?? "");
    setBusy(true);
    try {
      const body = { name: String(data.get("name")), kind: String(data.get("kind") ?? "member"), ...(days ? { expiresInDays: Number(days) } : {}) };
      const res = await wsApi<{ token: { secret: string } }>(workspaceId, "POST", "/tokens", body);
      form.reset();
      setError(null);
      onCreated(res.token.secret);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="settings-form" onSubmit={(e) => void submit(e)} aria-label="Create a token">
      <label>
        Token name
        <input name="name" required maxLength={100} autoComplete="off" />
      </label>
      <label>
        Kind
        <select name="kind">
          <option value="member">Personal access token</option>
          {role !== "member" && <option value="runner">Runner token</option>}
        </select>
      </label>
      <label>
        Expires
        <select name="expires">
          {EXPIRY.map(([v, text]) => (
            <option key={v} value={v}>
              {text}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="button primary" disabled={busy}>
        Create token
      </button>
      <FormError error={error} />
    </form>
  );
}

export function TokensSection({ workspaceId, role }: { workspaceId: string; role: Role }) {
  // Members are read with the tokens: the board's copy may predate someone added a moment ago.
  const load = useLoad(async () => {
    const [t, m] = await Promise.all([wsApi<{ tokens: Token[] }>(workspaceId, "GET", "/tokens"), wsApi<{ members: Member[] }>(workspaceId, "GET", "/members")]);
    return { tokens: t.tokens, members: m.members };
  }, [workspaceId]);
  const [secret, setSecret] = useState<string | null>(null);
  const [showAgent, setShowAgent] = useState(false);
  const [rowError, setRowError] = useState<string | null>(null);
  const now = Date.now();

  const revoke = async (t: Token) => {
    if (!confirm(`Revoke "${t.name}"? Anything using it stops working at once.`)) return;
    try {
      await wsApi(workspaceId, "DELETE", `/tokens/${t.id}`);
      setRowError(null);
    } catch (err) {
      setRowError(describeError(err));
    }
    await load.reload();
  };

  return (
    <Section
      id="tokens"
      title="Access tokens"
      intro={role === "member" ? "Your personal access tokens: for the API, the CLI and signing in here." : "Personal access tokens of every member, and runner tokens that connect machines."}
    >
      <CreateTokenForm workspaceId={workspaceId} role={role} onCreated={(s) => void (setSecret(s), load.reload())} />
      {secret && <SecretOnce label="token" secret={secret} onDone={() => setSecret(null)} />}
      <FormError error={rowError} />
      <LoadState load={load} what="tokens">
        {({ tokens, members }) => {
          const owner = (id: string) => members.find((m) => m.userId === id)?.name ?? "Former member";
          const shown = tokens.filter((t) => showAgent || t.kind !== "agent");
          const agentCount = tokens.length - tokens.filter((t) => t.kind !== "agent").length;
          return (
            <>
              {agentCount > 0 && (
                <label class="check">
                  <input type="checkbox" checked={showAgent} onChange={(e) => setShowAgent(e.currentTarget.checked)} />
                  Show agent tokens ({agentCount}, one per run)
                </label>
              )}
              {shown.length === 0 ? (
                <Empty>No tokens yet. Create one above to use the API or connect a runner.</Empty>
              ) : (
                <table class="settings-table">
                  <caption class="sr-only">Tokens</caption>
                  <thead>
                    <tr>
                      <th scope="col">Name</th>
                      <th scope="col">Kind</th>
                      {role !== "member" && <th scope="col">Made by</th>}
                      <th scope="col">Created</th>
                      <th scope="col">Last used</th>
                      <th scope="col">State</th>
                      <th scope="col"><span class="sr-only">Actions</span></th>
                    </tr>
                  </thead>
                  <tbody>
                    {shown.map((t) => {
                      const state = stateOf(t, now);
                      return (
                        <tr key={t.id} class={state.tone === "off" ? "row-off" : undefined}>
                          <td>{t.name}</td>
                          <td>{t.kind === "member" ? "Personal" : t.kind === "runner" ? "Runner" : "Agent"}</td>
                          {role !== "member" && <td>{owner(t.userId)}</td>}
                          <td>{when(t.createdAt)}</td>
                          <td>{t.lastUsedAt ? ago(t.lastUsedAt, now) : "Never"}</td>
                          <td>
                            <span class={`state-pill state-${state.tone}`}>{state.text}</span>
                          </td>
                          <td class="cell-actions">
                            {state.tone === "on" && (
                              <button type="button" class="button small danger" aria-label={`Revoke ${t.name}`} onClick={() => void revoke(t)}>
                                Revoke
                              </button>
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              )}
            </>
          );
        }}
      </LoadState>
    </Section>
  );
}
