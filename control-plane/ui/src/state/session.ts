/**
 * Who is signed in and to which workspaces: the session (GET /session, backed by the HttpOnly
 * cookie the browser holds), the workspace list for the switcher, and sign-in / sign-out.
 */
import { signal } from "@preact/signals";
import { api, ApiFailure, setUnauthorizedHandler } from "../lib/api";
import type { User, Workspace } from "../lib/types";
import { closeWorkspace } from "./board";

/** undefined while the first check runs; null when nobody is signed in. */
export const user = signal<User | null | undefined>(undefined);
export const workspaces = signal<Workspace[]>([]);
/** Why the last check of the session failed for a reason other than "signed out". */
export const sessionError = signal<string | null>(null);

// The session ended under us (expired, revoked, signed out elsewhere): stop the live feed too,
// or it would keep knocking with a cookie that no longer works.
setUnauthorizedHandler(() => {
  closeWorkspace();
  user.value = null;
});

async function loadWorkspaces(): Promise<void> {
  workspaces.value = (await api<{ workspaces: Workspace[] }>("GET", "/workspaces")).workspaces;
}

/** Reads the session the cookie carries, if any. */
export async function checkSession(): Promise<void> {
  try {
    const { user: me } = await api<{ user: User }>("GET", "/session");
    await loadWorkspaces();
    sessionError.value = null;
    user.value = me;
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401) {
      user.value = null;
      return;
    }
    sessionError.value = err instanceof Error ? err.message : String(err);
    user.value = null;
  }
}

/** Trades a personal access token for a session cookie; throws ApiFailure with the reason. */
export async function signIn(token: string): Promise<void> {
  const { user: me } = await api<{ user: User }>("POST", "/session", { token });
  await loadWorkspaces();
  user.value = me;
}

export async function signOut(): Promise<void> {
  closeWorkspace();
  try {
    await api("DELETE", "/session");
  } finally {
    user.value = null;
    workspaces.value = [];
  }
}
