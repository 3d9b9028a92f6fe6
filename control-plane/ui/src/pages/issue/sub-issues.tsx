/** Sub-issues: the issue's children from the live board, and a field to add one. */
import { useState } from "preact/hooks";
import { Avatar } from "../../components/avatar";
import { StatusIcon } from "../../components/icons";
import { describeError } from "../../lib/api";
import type { Issue } from "../../lib/types";
import { issues } from "../../state/board";
import { createIssue } from "../../state/issue-actions";
import { FormError } from "../../components/form-error";

export function SubIssues({ workspaceId, issue }: { workspaceId: string; issue: Issue }) {
  const [title, setTitle] = useState("");
  const [error, setError] = useState<string | null>(null);
  const children = [...issues.value.values()].filter((i) => i.parentId === issue.id).sort((a, b) => a.number - b.number);
  const done = children.filter((c) => c.status === "done").length;

  const add = async (e: Event) => {
    e.preventDefault();
    if (!title.trim()) return;
    try {
      await createIssue({ title: title.trim(), parentId: issue.id });
      setTitle("");
      setError(null);
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <section class="panel" aria-labelledby="sub-issues-title">
      <h2 id="sub-issues-title" class="panel-title">
        Sub-issues {children.length > 0 && <span class="muted">{done}/{children.length} done</span>}
      </h2>
      {children.length > 0 && (
        <ul class="sub-issues">
          {children.map((c) => (
            <li key={c.id}>
              <StatusIcon status={c.status} label />
              <span class="card-key">{c.key}</span>
              <a href={`/w/${workspaceId}/issues/${c.id}`}>{c.title}</a>
              <span class="spacer" />
              <Avatar who={c.assignee} size={18} />
            </li>
          ))}
        </ul>
      )}
      <form class="inline-form" onSubmit={add}>
        <label class="sr-only" for="new-sub-issue">
          New sub-issue title
        </label>
        <input id="new-sub-issue" placeholder="Add a sub-issue…" value={title} maxLength={300} onInput={(e) => setTitle(e.currentTarget.value)} />
      </form>
      <FormError error={error} />
    </section>
  );
}
