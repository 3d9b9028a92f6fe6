/**
 * One card of the board: key, title, priority, labels, live run indicator and assignee avatar.
 * The title is the link to the issue (stretched over the card); the card drags to another column
 * or place, and has keyboard moves for those who do not drag: Alt+←/→ changes column, Alt+↑/↓
 * reorders, and the ⋯ menu sets any status.
 */
import { Avatar } from "../../components/avatar";
import { PriorityIcon, StatusIcon } from "../../components/icons";
import { MenuButton } from "../../components/menu";
import { humanize } from "../../lib/format";
import { ISSUE_STATUSES, type IssueStatus } from "../../lib/protocol";
import type { Issue, LiveRun } from "../../lib/types";
import { dragging } from "./drag";

export type KeyboardMove = "left" | "right" | "up" | "down";

const KEYS: Record<string, KeyboardMove> = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" };

export function RunBadge({ run }: { run: LiveRun | undefined }) {
  if (!run) return null;
  const running = run.status === "running";
  return (
    <span class={`run-badge ${running ? "running" : "waiting"}`} title={`Run ${run.status}`}>
      <span class="dot" aria-hidden="true" />
      {running ? "Running" : humanize(run.status)}
    </span>
  );
}

export function IssueCard(props: { issue: Issue; href: string; run: LiveRun | undefined; onMove: (m: KeyboardMove) => void; onStatus: (s: IssueStatus) => void }) {
  const { issue } = props;
  return (
    <div
      class={`card ${dragging.value === issue.id ? "is-dragging" : ""}`}
      data-issue-id={issue.id}
      draggable
      onDragStart={(e) => {
        e.dataTransfer?.setData("text/x-multica-issue", issue.id);
        e.dataTransfer?.setData("text/plain", issue.key);
        if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
        dragging.value = issue.id;
      }}
      onDragEnd={() => (dragging.value = null)}
      onKeyDown={(e) => {
        const move = KEYS[e.key];
        if (!e.altKey || !move) return;
        e.preventDefault();
        props.onMove(move);
      }}
    >
      <div class="card-top">
        <span class="card-key">{issue.key}</span>
        <MenuButton
          class="card-menu"
          label={`Move ${issue.key}`}
          items={ISSUE_STATUSES.map((s) => ({ value: s, text: humanize(s), checked: s === issue.status, label: (<><StatusIcon status={s} /> {humanize(s)}</>) }))}
          onPick={(s) => props.onStatus(s as IssueStatus)}
        >
          <svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">
            <circle cx="3" cy="7" r="1.2" fill="currentColor" />
            <circle cx="7" cy="7" r="1.2" fill="currentColor" />
            <circle cx="11" cy="7" r="1.2" fill="currentColor" />
          </svg>
        </MenuButton>
      </div>
      <a class="card-title" href={props.href} title="Open · Alt+←/→ moves to another column, Alt+↑/↓ reorders" aria-keyshortcuts="Alt+ArrowLeft Alt+ArrowRight Alt+ArrowUp Alt+ArrowDown">
        {issue.title}
      </a>
      <div class="card-meta">
        <PriorityIcon priority={issue.priority} />
        {issue.labels.slice(0, 3).map((l) => (
          <span key={l} class="label-chip">
            {l}
          </span>
        ))}
        <RunBadge run={props.run} />
        <span class="spacer" />
        <Avatar who={issue.assignee} />
      </div>
    </div>
  );
}
