/**
 * Members and roles: everyone sees who is in the workspace; admins add people by email and remove
 * members; owners also change roles and manage admins (routes/members.ts enforces the same rules,
 * this view only leaves out the controls a role cannot use). A new email gets a first access token,
 * shown once for the admin to hand over.
 */
import { useState } from "preact/hooks";
import { describeError, wsApi } from "../../lib/api";
import { humanize } from "../../lib/format";
import type { Member } from "../../lib/types";
import { useLoad } from "../../lib/use-load";
import { user } from "../../state/session";
import { SecretOnce } from "./secret-once";
import { Empty, FormError, LoadState, ReadOnlyNote, Section } from "./section";
import type { Role } from "./settings-page";

const ROLES = ["member", "admin", "owner"] as const;

function AddMemberForm({ workspaceId, role, onAdded }: { workspaceId: string; role: Role; onAdded: (token: { name: string; secret: string } | null) => void }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    setBusy(true);
    try {
      const res = await wsApi<{ member: Member; token: { secret: string } | null }>(workspaceId, "POST", "/members", {
        name: String(data.get("name")),
        email: String(data.get("email")),
        role: String(data.get("role")),
      });
      form.reset();
      setError(null);
      onAdded(res.token ? { name: res.member.name, secret: res.token.secret } : null);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="settings-form" onSubmit={(e) => void submit(e)} aria-label="Add a member">
      <label>
        Name
        <input name="name" required maxLength={100} autoComplete="off" />
      </label>
      <label>
        Email
        <input name="email" type="email" required maxLength={254} autoComplete="off" />
      </label>
      <label>
        Role
        <select name="role">
          {ROLES.filter((r) => role === "owner" || r === "member").map((r) => (
            <option key={r} value={r}>
              {humanize(r)}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" class="button primary" disabled={busy}>
        Add member
      </button>
      <FormError error={error} />
    </form>
  );
}

export function MembersSection({ workspaceId, role }: { workspaceId: string; role: Role }) {
  const load = useLoad(() => wsApi<{ members: Member[] }>(workspaceId, "GET", "/members"), [workspaceId]);
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const [rowError, setRowError] = useState<string | null>(null);
  const admin = role !== "member";

  const act = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      setRowError(null);
    } catch (err) {
      setRowError(describeError(err));
    }
    await load.reload();
  };
  // Owners manage everyone; admins only plain members (the API says why otherwise).
  const canRemove = (m: Member) => role === "owner" || (role === "admin" && m.role === "member");

  return (
    <Section id="members" title="Members" intro="People in this workspace and what they may do: members work issues, admins manage settings, owners manage admins.">
      {admin ? (
        <AddMemberForm workspaceId={workspaceId} role={role} onAdded={(t) => void (setSecret(t), load.reload())} />
      ) : (
        <ReadOnlyNote>Only admins add or remove members; ask an admin or owner of this workspace.</ReadOnlyNote>
      )}
      {secret && (
        <SecretOnce label="first access token" secret={secret.secret} onDone={() => setSecret(null)}>
          <p class="hint">Give it to {secret.name}; they sign in with it, then make their own token and revoke this one.</p>
        </SecretOnce>
      )}
      {role === "admin" && <p class="hint">Only owners change roles or remove admins.</p>}
      <FormError error={rowError} />
      <LoadState load={load} what="members">
        {({ members }) =>
          members.length === 0 ? (
            <Empty>Nobody is a member of this workspace yet.</Empty>
          ) : (
            <table class="settings-table">
              <caption class="sr-only">Members</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  {admin && <th scope="col"><span class="sr-only">Actions</span></th>}
                </tr>
              </thead>
              <tbody>
                {members.map((m) => (
                  <tr key={m.userId}>
                    <td>
                      {m.name}
                      {m.userId === user.value?.id && <span class="muted"> (you)</span>}
                    </td>
                    <td>{m.email ?? "—"}</td>
                    <td>
                      {role === "owner" ? (
                        <select aria-label={`Role of ${m.name}`} value={m.role} onChange={(e) => void act(() => wsApi(workspaceId, "PATCH", `/members/${m.userId}`, { role: e.currentTarget.value }))}>
                          {ROLES.map((r) => (
                            <option key={r} value={r}>
                              {humanize(r)}
                            </option>
                          ))}
                        </select>
                      ) : (
                        <span class={`role-pill role-${m.role}`}>{humanize(m.role)}</span>
                      )}
                    </td>
                    {admin && (
                      <td class="cell-actions">
                        {canRemove(m) && (
                          <button type="button" class="button small danger" aria-label={`Remove ${m.name}`} onClick={() => confirm(`Remove ${m.name} from this workspace? Their access tokens made here are revoked.`) && void act(() => wsApi(workspaceId, "DELETE", `/members/${m.userId}`))}>
                            Remove
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </LoadState>
    </Section>
  );
}
