/** The issue's title (edited in place) and description (Markdown; Edit opens a textarea). */
import { useEffect, useState } from "preact/hooks";
import { Markdown } from "../../components/markdown";
import type { Issue } from "../../lib/types";
import { updateIssue } from "../../state/issue-actions";

export function IssueDescription({ issue }: { issue: Issue }) {
  const [title, setTitle] = useState(issue.title);
  const [editing, setEditing] = useState(false);
  const [body, setBody] = useState(issue.body);
  useEffect(() => setTitle(issue.title), [issue.title]);

  const saveTitle = () => {
    const t = title.trim();
    if (t && t !== issue.title) void updateIssue(issue.id, { title: t });
    else setTitle(issue.title);
  };
  const saveBody = async () => {
    if (body !== issue.body && !(await updateIssue(issue.id, { body }))) return;
    setEditing(false);
  };

  return (
    <section class="issue-head">
      <label class="sr-only" for="issue-title">
        Title
      </label>
      <input
        id="issue-title"
        class="title-input"
        value={title}
        maxLength={300}
        onInput={(e) => setTitle(e.currentTarget.value)}
        onBlur={saveTitle}
        onKeyDown={(e) => {
          if (e.key === "Enter") e.currentTarget.blur();
          if (e.key === "Escape") {
            setTitle(issue.title);
            e.currentTarget.blur();
          }
        }}
      />
      {editing ? (
        <div class="editor">
          <label class="sr-only" for="issue-body">
            Description (Markdown)
          </label>
          <textarea id="issue-body" rows={10} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
          <div class="row">
            <button type="button" class="button primary small" onClick={() => void saveBody()}>
              Save
            </button>
            <button type="button" class="button ghost small" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <div class="description">
          {issue.body.trim() ? <Markdown source={issue.body} /> : <p class="muted">No description.</p>}
          <button
            type="button"
            class="button ghost small"
            onClick={() => {
              setBody(issue.body);
              setEditing(true);
            }}
          >
            Edit description
          </button>
        </div>
      )}
    </section>
  );
}
