/** Inline creation at the top of a column: a title, Enter to create, Escape to give up. */
import { useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "../../lib/api";
import { humanize } from "../../lib/format";
import type { IssueStatus } from "../../lib/protocol";
import { createIssue } from "../../state/issue-actions";
import { FormError } from "../../components/form-error";

export function NewIssueForm({ status, onDone }: { status: IssueStatus; onDone: () => void }) {
  const [title, setTitle] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!title.trim()) return;
    setBusy(true);
    try {
      await createIssue({ title: title.trim(), status });
      setTitle("");
      setError(null);
      input.current?.focus();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="new-issue" onSubmit={submit}>
      <label class="sr-only" for={`new-${status}`}>
        New issue title in {humanize(status)}
      </label>
      <input
        ref={input}
        id={`new-${status}`}
        placeholder="Issue title — Enter to create"
        value={title}
        disabled={busy}
        maxLength={300}
        onInput={(e) => setTitle(e.currentTarget.value)}
        onKeyDown={(e) => e.key === "Escape" && onDone()}
      />
      <FormError error={error} />
      <div class="row">
        <button type="submit" class="button primary small" disabled={busy || !title.trim()}>
          Create
        </button>
        <button type="button" class="button ghost small" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
