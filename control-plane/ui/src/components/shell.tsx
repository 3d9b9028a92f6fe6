/**
 * The frame around every signed-in page: a sidebar with the workspace switcher, the sections, the
 * live feed's state and the signed-in user with sign-out; the page fills the rest.
 */
import type { ComponentChildren } from "preact";
import { navigate, path } from "../lib/router";
import { liveState } from "../state/board";
import { signOut, user, workspaces } from "../state/session";

const SECTIONS = [
  ["board", "Board"],
  ["agents", "Agents"],
  ["runners", "Runners"],
  ["skills", "Skills"],
  ["settings", "Settings"],
] as const;

const LIVE_TEXT = { connecting: "Connecting…", open: "Live", reconnecting: "Reconnecting…", closed: "Offline" } as const;

export function Shell({ workspaceId, children }: { workspaceId: string; children: ComponentChildren }) {
  const current = path.value;
  const live = liveState.value;
  return (
    <div class="shell">
      <nav class="sidebar" aria-label="Main">
        <div class="brand">
          <img src="/favicon.svg" alt="" width="22" height="22" />
          <span>Multica</span>
        </div>
        <label class="sr-only" for="workspace-switcher">
          Workspace
        </label>
        <select id="workspace-switcher" class="workspace-switcher" value={workspaceId} onChange={(e) => navigate(`/w/${e.currentTarget.value}/board`)}>
          {workspaces.value.map((w) => (
            <option key={w.id} value={w.id}>
              {w.name} ({w.role})
            </option>
          ))}
        </select>
        <ul class="nav">
          {SECTIONS.map(([slug, label]) => {
            const href = `/w/${workspaceId}/${slug}`;
            const active = current === href || current.startsWith(`${href}/`) || (slug === "board" && current.startsWith(`/w/${workspaceId}/issues/`));
            return (
              <li key={slug}>
                <a href={href} aria-current={active ? "page" : undefined}>
                  {label}
                </a>
              </li>
            );
          })}
        </ul>
        <div class="sidebar-foot">
          <p class={`live live-${live}`} role="status" aria-live="polite">
            <span class="dot" aria-hidden="true" />
            {LIVE_TEXT[live]}
          </p>
          <p class="whoami" title={user.value?.email ?? undefined}>
            {user.value?.name}
          </p>
          <button
            type="button"
            class="button ghost small"
            onClick={() => void signOut()}
          >
            Sign out
          </button>
        </div>
      </nav>
      <div class="page">{children}</div>
    </div>
  );
}
