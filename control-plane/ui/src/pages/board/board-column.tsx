/** One status column: header with count and "+", its cards, and the drop zone for dragged cards. */
import { StatusIcon } from "../../components/icons";
import { humanize } from "../../lib/format";
import type { IssueStatus } from "../../lib/protocol";
import type { Issue } from "../../lib/types";
import { runs } from "../../state/board";
import { dragging, dropTarget, indexAt } from "./drag";
import { IssueCard, type KeyboardMove } from "./issue-card";
import { NewIssueForm } from "./new-issue-form";

export interface ColumnProps {
  workspaceId: string;
  status: IssueStatus;
  issues: Issue[];
  creating: boolean;
  onCreate: (open: boolean) => void;
  onDrop: (issueId: string, status: IssueStatus, index: number) => void;
  onMove: (issue: Issue, move: KeyboardMove) => void;
  onStatus: (issue: Issue, status: IssueStatus) => void;
}

export function BoardColumn(p: ColumnProps) {
  const target = dropTarget.value;
  const here = target?.status === p.status ? target.index : null;
  const visible = p.issues.filter((i) => i.id !== dragging.value);
  return (
    <section class="column" aria-labelledby={`col-${p.status}`} data-status={p.status}>
      <header class="column-head">
        <StatusIcon status={p.status} />
        <h2 id={`col-${p.status}`}>{humanize(p.status)}</h2>
        <span class="count" aria-label={`${p.issues.length} issues`}>
          {p.issues.length}
        </span>
        <button type="button" class="icon-button" aria-label={`New issue in ${humanize(p.status)}`} onClick={() => p.onCreate(!p.creating)}>
          +
        </button>
      </header>
      <div
        class={`column-body ${here !== null ? "drop-active" : ""}`}
        onDragOver={(e) => {
          if (!dragging.value) return;
          e.preventDefault();
          if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
          const index = indexAt(e.currentTarget, e.clientY);
          if (target?.status !== p.status || target.index !== index) dropTarget.value = { status: p.status, index };
        }}
        onDragLeave={(e) => {
          if (!e.currentTarget.contains(e.relatedTarget as Node | null) && dropTarget.value?.status === p.status) dropTarget.value = null;
        }}
        onDrop={(e) => {
          e.preventDefault();
          const id = e.dataTransfer?.getData("text/x-multica-issue") || dragging.value;
          const index = indexAt(e.currentTarget, e.clientY);
          dropTarget.value = null;
          dragging.value = null;
          if (id) p.onDrop(id, p.status, index);
        }}
      >
        {p.creating && <NewIssueForm status={p.status} onDone={() => p.onCreate(false)} />}
        {p.issues.map((issue) => {
          const at = visible.indexOf(issue);
          return (
            <div key={issue.id} class="card-slot">
              {here !== null && here === at && <div class="drop-line" aria-hidden="true" />}
              <IssueCard
                issue={issue}
                href={`/w/${p.workspaceId}/issues/${issue.id}`}
                run={runs.value.get(issue.id)}
                onMove={(m) => p.onMove(issue, m)}
                onStatus={(s) => p.onStatus(issue, s)}
              />
            </div>
          );
        })}
        {here !== null && here >= visible.length && <div class="drop-line" aria-hidden="true" />}
        {p.issues.length === 0 && !p.creating && <p class="column-empty">No issues</p>}
      </div>
    </section>
  );
}
