/**
 * The board: one column per status, cards ordered by position, quick filters on top. Moves (drag,
 * keyboard, menu) are optimistic PATCHes of status and position; everything else that changes
 * arrives through the live feed (state/board.ts).
 */
import { useState } from "preact/hooks";
import { describeError } from "../../lib/api";
import { positionAt } from "../../lib/positions";
import { ISSUE_STATUSES, type IssueStatus } from "../../lib/protocol";
import type { Issue } from "../../lib/types";
import { issues, loaded, loadError, refresh } from "../../state/board";
import { updateIssue } from "../../state/issue-actions";
import { BoardColumn } from "./board-column";
import { FilterBar } from "./filter-bar";
import { passes } from "./filters";
import type { KeyboardMove } from "./issue-card";

const byPosition = (a: Issue, b: Issue) => a.position - b.position || a.number - b.number;

function columnsOf(all: Iterable<Issue>): Record<IssueStatus, Issue[]> {
  const cols = Object.fromEntries(ISSUE_STATUSES.map((s) => [s, [] as Issue[]])) as Record<IssueStatus, Issue[]>;
  for (const i of all) cols[i.status].push(i);
  for (const s of ISSUE_STATUSES) cols[s].sort(byPosition);
  return cols;
}

/** Puts focus back on a card after a keyboard move re-rendered it in another place. */
function refocus(id: string): void {
  requestAnimationFrame(() => document.querySelector<HTMLElement>(`.card[data-issue-id="${id}"] .card-title`)?.focus());
}

export function BoardPage({ workspaceId }: { workspaceId: string }) {
  const [creating, setCreating] = useState<IssueStatus | null>(null);
  // Positions are computed against whole columns, so a move under a filter lands between real neighbours.
  const all = columnsOf(issues.value.values());
  const shown = columnsOf([...issues.value.values()].filter(passes));

  const moveTo = (id: string, status: IssueStatus, column: Issue[], index: number) => {
    const issue = issues.value.get(id);
    if (!issue) return;
    const position = positionAt(column, index, id);
    if (issue.status === status && issue.position === position) return;
    void updateIssue(id, status === issue.status ? { position } : { status, position });
  };

  const onDrop = (id: string, status: IssueStatus, index: number) => {
    // `index` counts the shown cards; map it to the full column through the card it lands before.
    const visible = shown[status].filter((i) => i.id !== id);
    const before = visible[index];
    const full = all[status];
    moveTo(id, status, full, before ? full.filter((i) => i.id !== id).indexOf(before) : full.filter((i) => i.id !== id).length);
  };

  const onMove = (issue: Issue, move: KeyboardMove) => {
    const col = ISSUE_STATUSES.indexOf(issue.status);
    if (move === "left" || move === "right") {
      const status = ISSUE_STATUSES[col + (move === "left" ? -1 : 1)];
      if (!status) return;
      moveTo(issue.id, status, all[status], all[status].length);
    } else {
      const column = all[issue.status];
      const at = column.indexOf(issue);
      const to = move === "up" ? at - 1 : at + 1;
      if (to < 0 || to >= column.length) return;
      moveTo(issue.id, issue.status, column, to);
    }
    refocus(issue.id);
  };

  if (loadError.value && !loaded.value) {
    return (
      <div class="page-error" role="alert">
        <p>The board could not be loaded: {loadError.value}</p>
        <button type="button" class="button" onClick={() => void refresh().catch((e: unknown) => console.error(describeError(e)))}>
          Try again
        </button>
      </div>
    );
  }

  return (
    <div class="board-page">
      <FilterBar onNewIssue={() => setCreating("todo")} />
      {!loaded.value ? (
        <p class="loading" role="status">
          Loading the board…
        </p>
      ) : (
        <div class="board" aria-label="Issues by status">
          {ISSUE_STATUSES.map((s) => (
            <BoardColumn
              key={s}
              workspaceId={workspaceId}
              status={s}
              issues={shown[s]}
              creating={creating === s}
              onCreate={(open) => setCreating(open ? s : null)}
              onDrop={onDrop}
              onMove={onMove}
              onStatus={(issue, status) => moveTo(issue.id, status, all[status], all[status].length)}
            />
          ))}
        </div>
      )}
    </div>
  );
}
