/** The issue's properties: status, priority, assignee (a member or an agent), labels. */
import { useState } from "preact/hooks";
import { AssigneeOptions } from "../../components/assignee-options";
import { Avatar } from "../../components/avatar";
import { PriorityIcon, StatusIcon } from "../../components/icons";
import { humanize } from "../../lib/format";
import { ISSUE_PRIORITIES, ISSUE_STATUSES, type IssuePriority, type IssueStatus } from "../../lib/protocol";
import type { Issue } from "../../lib/types";
import { updateIssue } from "../../state/issue-actions";

function assigneeValue(issue: Issue): string {
  if (!issue.assignee) return "none";
  return "agentId" in issue.assignee ? `agent:${issue.assignee.agentId}` : `user:${issue.assignee.userId}`;
}

function parseAssignee(v: string): Issue["assignee"] {
  if (v.startsWith("agent:")) return { agentId: v.slice(6) };
  if (v.startsWith("user:")) return { userId: v.slice(5) };
  return null;
}

export function IssueProperties({ issue }: { issue: Issue }) {
  const [label, setLabel] = useState("");
  const addLabel = (e: Event) => {
    e.preventDefault();
    const l = label.trim();
    if (!l) return;
    if (!issue.labels.some((x) => x.toLowerCase() === l.toLowerCase())) void updateIssue(issue.id, { labels: [...issue.labels, l] });
    setLabel("");
  };
  return (
    <aside class="properties" aria-label="Properties">
      <div class="prop">
        <label for="prop-status">Status</label>
        <div class="with-icon">
          <StatusIcon status={issue.status} />
          <select id="prop-status" value={issue.status} onChange={(e) => void updateIssue(issue.id, { status: e.currentTarget.value as IssueStatus })}>
            {ISSUE_STATUSES.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div class="prop">
        <label for="prop-priority">Priority</label>
        <div class="with-icon">
          <PriorityIcon priority={issue.priority} />
          <select id="prop-priority" value={issue.priority} onChange={(e) => void updateIssue(issue.id, { priority: e.currentTarget.value as IssuePriority })}>
            {ISSUE_PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {humanize(p)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div class="prop">
        <label for="prop-assignee">Assignee</label>
        <div class="with-icon">
          <Avatar who={issue.assignee} size={18} />
          <select id="prop-assignee" value={assigneeValue(issue)} onChange={(e) => void updateIssue(issue.id, { assignee: parseAssignee(e.currentTarget.value) })}>
            <AssigneeOptions />
          </select>
        </div>
        {issue.assignee && "agentId" in issue.assignee && issue.status === "backlog" && <p class="hint">The agent starts when the issue leaves the backlog.</p>}
      </div>
      <div class="prop">
        <span class="prop-label" id="labels-label">
          Labels
        </span>
        <ul class="labels" aria-labelledby="labels-label">
          {issue.labels.map((l) => (
            <li key={l} class="label-chip">
              {l}
              <button type="button" class="chip-x" aria-label={`Remove label ${l}`} onClick={() => void updateIssue(issue.id, { labels: issue.labels.filter((x) => x !== l) })}>
                ×
              </button>
            </li>
          ))}
        </ul>
        <form onSubmit={addLabel} class="inline-form">
          <label class="sr-only" for="add-label">
            Add a label
          </label>
          <input id="add-label" placeholder="Add label…" value={label} maxLength={50} onInput={(e) => setLabel(e.currentTarget.value)} />
        </form>
      </div>
      <p class="hint">
        Created {new Date(issue.createdAt).toLocaleString()}
        <br />
        Updated {new Date(issue.updatedAt).toLocaleString()}
      </p>
    </aside>
  );
}
