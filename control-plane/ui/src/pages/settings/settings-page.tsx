/**
 * Settings of a workspace, one section per path (`/w/:ws/settings/:tab`): members and roles,
 * access tokens, inbound webhooks, schedules and outbound subscriptions. The signed-in user's role
 * (from the workspace list) decides which controls show; the API checks it again on every call.
 */
import { workspaces } from "../../state/session";
import { MembersSection } from "./members-section";
import { SchedulesSection } from "./schedules-section";
import { SubscriptionsSection } from "./subscriptions-section";
import { TokensSection } from "./tokens-section";
import { WebhooksSection } from "./webhooks-section";

export type Role = "owner" | "admin" | "member";

const TABS = [
  ["members", "Members", MembersSection],
  ["tokens", "Tokens", TokensSection],
  ["webhooks", "Inbound webhooks", WebhooksSection],
  ["schedules", "Schedules", SchedulesSection],
  ["subscriptions", "Outbound webhooks", SubscriptionsSection],
] as const;

export function SettingsPage({ workspaceId, sub }: { workspaceId: string; sub?: string | undefined }) {
  const role: Role = workspaces.value.find((w) => w.id === workspaceId)?.role ?? "member";
  const tab = TABS.find(([slug]) => slug === sub) ?? TABS[0];
  const Current = tab[2];
  return (
    <div class="settings-page">
      <div class="toolbar">
        <h1 class="page-title">Settings</h1>
        <span class="muted">Your role here: {role}</span>
      </div>
      <div class="settings-body">
        <nav class="settings-tabs" aria-label="Settings sections">
          {TABS.map(([slug, label]) => (
            <a key={slug} href={`/w/${workspaceId}/settings/${slug}`} aria-current={slug === tab[0] ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <div class="settings-main">
          <Current key={`${workspaceId}/${tab[0]}`} workspaceId={workspaceId} role={role} />
        </div>
      </div>
    </div>
  );
}
