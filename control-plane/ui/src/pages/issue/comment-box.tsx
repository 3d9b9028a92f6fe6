/**
 * The comment composer. Typing `@` offers the workspace's agents (a combobox listbox: ↑/↓ choose,
 * Enter or Tab insert, Escape closes); a mentioned agent, like the assignee, runs on the comment.
 * Names are inserted as the API matches them: spaces written as `-` (board/mentions.ts).
 */
import { useRef, useState } from "preact/hooks";
import { describeError, wsApi } from "../../lib/api";
import type { Comment } from "../../lib/types";
import { agents } from "../../state/board";
import { FormError } from "../../components/form-error";

const handle = (name: string) => name.trim().replace(/\s+/g, "-");

/** The `@partial` right before the caret, if the caret is in one. */
function mentionAt(text: string, caret: number): { start: number; query: string } | null {
  const m = /(^|[^\p{L}\p{N}_.+\-@])@([\p{L}\p{N}_-]*)$/u.exec(text.slice(0, caret));
  return m ? { start: caret - m[2]!.length - 1, query: m[2]!.toLowerCase() } : null;
}

export function CommentBox(p: { workspaceId: string; issueId: string; onPosted: (c: Comment) => void; parentId?: string; onCancel?: () => void }) {
  const { workspaceId, issueId, onPosted } = p;
  // A reply box is one of several on the page: its ids must not clash with the main box's.
  const idSuffix = p.parentId ? `-${p.parentId}` : "";
  const [text, setText] = useState("");
  const [mention, setMention] = useState<{ start: number; query: string } | null>(null);
  const [active, setActive] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);

  const options = mention ? agents.value.filter((a) => handle(a.name).toLowerCase().startsWith(mention.query)).slice(0, 8) : [];
  const open = options.length > 0;

  const track = (el: HTMLTextAreaElement) => {
    setText(el.value);
    setMention(mentionAt(el.value, el.selectionStart));
    setActive(0);
  };
  const insert = (name: string) => {
    if (!mention || !area.current) return;
    const caret = area.current.selectionStart;
    const next = `${text.slice(0, mention.start)}@${handle(name)} ${text.slice(caret)}`;
    const at = mention.start + handle(name).length + 2;
    setText(next);
    setMention(null);
    requestAnimationFrame(() => area.current?.setSelectionRange(at, at));
  };
  const submit = async (e?: Event) => {
    e?.preventDefault();
    if (!text.trim() || busy) return;
    setBusy(true);
    try {
      const { comment } = await wsApi<{ comment: Comment }>(workspaceId, "POST", `/issues/${issueId}/comments`, { body: text, ...(p.parentId ? { parentId: p.parentId } : {}) });
      onPosted(comment);
      setText("");
      setError(null);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="comment-box" onSubmit={submit}>
      <label class="sr-only" for={`comment-input${idSuffix}`}>
        {p.parentId ? "Reply" : "Comment"}
      </label>
      <div class="mention-anchor">
        <textarea
          id={`comment-input${idSuffix}`}
          ref={area}
          rows={p.parentId ? 2 : 3}
          placeholder={`${p.parentId ? "Reply" : "Leave a comment"}… @ to mention an agent, ⌘/Ctrl+Enter to send`}
          value={text}
          aria-autocomplete="list"
          aria-controls={open ? `mention-list${idSuffix}` : undefined}
          aria-activedescendant={open ? `mention${idSuffix}-${active}` : undefined}
          onInput={(e) => track(e.currentTarget)}
          onClick={(e) => track(e.currentTarget)}
          onKeyDown={(e) => {
            if (open && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
              e.preventDefault();
              setActive((a) => (a + (e.key === "ArrowDown" ? 1 : options.length - 1)) % options.length);
            } else if (open && (e.key === "Enter" || e.key === "Tab")) {
              e.preventDefault();
              insert(options[active]!.name);
            } else if (open && e.key === "Escape") {
              e.preventDefault();
              setMention(null);
            } else if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) void submit();
          }}
        />
        {open && (
          <ul id={`mention-list${idSuffix}`} class="menu mention-list" role="listbox" aria-label="Agents">
            {options.map((a, i) => (
              <li
                key={a.id}
                id={`mention${idSuffix}-${i}`}
                role="option"
                aria-selected={i === active}
                onMouseDown={(e) => {
                  e.preventDefault();
                  insert(a.name);
                }}
              >
                @{handle(a.name)}
              </li>
            ))}
          </ul>
        )}
      </div>
      <FormError error={error} />
      <div class="row end">
        {p.onCancel && (
          <button type="button" class="button ghost small" onClick={p.onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" class="button primary small" disabled={busy || !text.trim()}>
          {busy ? "Sending…" : p.parentId ? "Reply" : "Comment"}
        </button>
      </div>
    </form>
  );
}
