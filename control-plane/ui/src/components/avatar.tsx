/**
 * An assignee's avatar: a member is a round badge with initials, an agent a rounded square with a
 * robot mark, so people and agents tell apart at a glance on a dense board. Colours come from a
 * hash of the id (stable across views and browsers).
 */
import { agents, members } from "../state/board";

const PALETTE = ["#5e6ad2", "#26b5ce", "#4cb782", "#f2994a", "#eb5757", "#bb87fc", "#0f7488", "#d4a72c"];

function colorOf(id: string): string {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length]!;
}

function initials(name: string): string {
  const words = name.trim().split(/[\s_-]+/).filter(Boolean);
  return ((words[0]?.[0] ?? "?") + (words[1]?.[0] ?? "")).toUpperCase();
}

export type AssigneeRef = { agentId: string } | { userId: string } | null;

export function Avatar({ who, size = 20 }: { who: AssigneeRef; size?: number }) {
  if (!who) {
    return (
      <span class="avatar avatar-none" style={{ width: size, height: size }} role="img" aria-label="Unassigned">
        <svg width={size * 0.7} height={size * 0.7} viewBox="0 0 14 14" aria-hidden="true">
          <circle cx="7" cy="5" r="2.5" fill="none" stroke="currentColor" stroke-width="1.2" />
          <path d="M2.5 12.5c.8-2.4 2.5-3.5 4.5-3.5s3.7 1.1 4.5 3.5" fill="none" stroke="currentColor" stroke-width="1.2" />
        </svg>
      </span>
    );
  }
  if ("agentId" in who) {
    const name = agents.value.find((a) => a.id === who.agentId)?.name ?? "agent";
    return (
      <span class="avatar avatar-agent" style={{ width: size, height: size, background: colorOf(who.agentId) }} role="img" aria-label={`Agent ${name}`} title={`Agent ${name}`}>
        <svg width={size * 0.66} height={size * 0.66} viewBox="0 0 14 14" aria-hidden="true">
          <rect x="2.5" y="4" width="9" height="7.5" rx="2" fill="none" stroke="#fff" stroke-width="1.3" />
          <path d="M7 1.8V4" stroke="#fff" stroke-width="1.3" stroke-linecap="round" />
          <circle cx="5.3" cy="7.6" r="1" fill="#fff" />
          <circle cx="8.7" cy="7.6" r="1" fill="#fff" />
        </svg>
      </span>
    );
  }
  const name = members.value.find((m) => m.userId === who.userId)?.name ?? "member";
  return (
    <span class="avatar" style={{ width: size, height: size, background: colorOf(who.userId), fontSize: Math.round(size * 0.42) }} role="img" aria-label={name} title={name}>
      {initials(name)}
    </span>
  );
}

/** The display name of an assignee. */
export function assigneeName(who: AssigneeRef): string {
  if (!who) return "Unassigned";
  if ("agentId" in who) return agents.value.find((a) => a.id === who.agentId)?.name ?? "Unknown agent";
  return members.value.find((m) => m.userId === who.userId)?.name ?? "Former member";
}
