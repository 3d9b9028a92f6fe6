/**
 * Status and priority marks drawn as small inline SVGs (no icon font, nothing fetched). Each is
 * decorative next to a text label, or carries its own accessible name when it stands alone.
 */
import type { IssuePriority, IssueStatus } from "../lib/protocol";
import { humanize } from "../lib/format";

const STATUS_COLOR: Record<IssueStatus, string> = {
  backlog: "#8a8f98",
  todo: "#6b6f76",
  in_progress: "#d89614",
  in_review: "#4b8bdb",
  done: "#4c9a6a",
  blocked: "#d0453c",
  cancelled: "#8a8f98",
};

/** How full the status ring is drawn: the further along, the more filled. */
const STATUS_FILL: Record<IssueStatus, number> = { backlog: 0, todo: 0, in_progress: 0.5, in_review: 0.75, done: 1, blocked: 1, cancelled: 1 };

export function StatusIcon({ status, label = false }: { status: IssueStatus; label?: boolean }) {
  const color = STATUS_COLOR[status];
  const fill = STATUS_FILL[status];
  const r = 5;
  const c = 2 * Math.PI * r;
  return (
    <svg class="icon" width="14" height="14" viewBox="0 0 14 14" role={label ? "img" : undefined} aria-label={label ? humanize(status) : undefined} aria-hidden={label ? undefined : "true"}>
      <circle cx="7" cy="7" r="6" fill="none" stroke={color} stroke-width="1.5" stroke-dasharray={status === "backlog" ? "2 2" : undefined} />
      {status === "blocked" || status === "cancelled" ? (
        <path d={status === "blocked" ? "M4.5 7h5" : "M5 5l4 4M9 5l-4 4"} stroke={color} stroke-width="1.6" stroke-linecap="round" />
      ) : status === "done" ? (
        <>
          <circle cx="7" cy="7" r="6" fill={color} />
          <path d="M4.3 7.2l1.8 1.8 3.6-3.8" fill="none" stroke="#fff" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" />
        </>
      ) : fill > 0 ? (
        <circle cx="7" cy="7" r={r / 2} fill="none" stroke={color} stroke-width={r} stroke-dasharray={`${(c / 2) * fill} ${c}`} transform="rotate(-90 7 7)" />
      ) : null}
    </svg>
  );
}

export function PriorityIcon({ priority }: { priority: IssuePriority }) {
  if (priority === "urgent") {
    return (
      <svg class="icon" width="14" height="14" viewBox="0 0 14 14" role="img" aria-label="Urgent priority">
        <rect x="1" y="1" width="12" height="12" rx="3" fill="#e5484d" />
        <path d="M7 3.6v4.2M7 10.2v.2" stroke="#fff" stroke-width="1.8" stroke-linecap="round" />
      </svg>
    );
  }
  const bars = { high: 3, medium: 2, low: 1, none: 0 }[priority];
  return (
    <svg class="icon" width="14" height="14" viewBox="0 0 14 14" role="img" aria-label={`${humanize(priority)} priority`}>
      {priority === "none" ? (
        <path d="M2.5 7h1.5M6.25 7h1.5M10 7h1.5" stroke="#8a8f98" stroke-width="1.5" stroke-linecap="round" />
      ) : (
        [0, 1, 2].map((i) => <rect key={i} x={1.5 + i * 4} y={9 - i * 3} width="3" height={3 + i * 3} rx="1" fill={i < bars ? "#5c6370" : "#d3d6dc"} />)
      )}
    </svg>
  );
}

export const STATUS_COLORS = STATUS_COLOR;
