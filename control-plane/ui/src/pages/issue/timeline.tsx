/**
 * The issue's thread: comments (Markdown) and activity (who changed what, runs started and ended)
 * in time order, then the composer. Replies (`parentId`) sit under the comment they answer.
 */
import { useState } from "preact/hooks";
import { Avatar } from "../../components/avatar";
import { Markdown } from "../../components/markdown";
import { ago, humanize } from "../../lib/format";
import type { Activity, Comment, Issue } from "../../lib/types";
import { actorName } from "../../state/board";
import { CommentBox } from "./comment-box";

function who(ref: string): { agentId: string } | { userId: string } | null {
  const [kind, id] = ref.split(":");
  if (kind === "agent" && id) return { agentId: id };
  if (kind === "user" && id) return { userId: id };
  return null;
}

const show = (v: unknown) => (v === null || v === undefined || v === "" ? "none" : typeof v === "string" ? humanize(v) : JSON.stringify(v));

/** One activity row in words. */
export function describeActivity(a: Activity): string {
  const d = a.data;
  switch (a.kind) {
    case "created":
      return "created the issue";
    case "title_changed":
      return `renamed it to “${String(d.to)}”`;
    case "body_changed":
      return "edited the description";
    case "status_changed":
      return `moved it from ${show(d.from)} to ${show(d.to)}`;
    case "priority_changed":
      return `set priority to ${show(d.to)}`;
    case "assigned":
      return d.to ? `assigned ${actorName(String(d.to))}` : "removed the assignee";
    case "labels_changed":
      return `changed labels to ${(d.to as string[] | undefined)?.join(", ") || "none"}`;
    case "parent_changed":
      return d.to ? "made it a sub-issue" : "made it a top-level issue";
    case "position_changed":
      return "reordered it";
    case "repository_changed":
      return "changed the repository";
    case "commented":
      return "commented";
    case "run_started":
      return `started a run of ${actorName(`agent:${String(d.agentId)}`)} (${show(d.reason)})`;
    case "run_ended":
      return `run ended: ${show(d.status)}${d.failure ? ` (${show(d.failure)})` : ""}`;
    default:
      return humanize(a.kind);
  }
}

type Entry = { at: number; comment: Comment } | { at: number; activity: Activity };

export function Timeline(p: { workspaceId: string; issue: Issue; comments: Comment[]; activity: Activity[]; onPosted: (c: Comment) => void }) {
  const [replying, setReplying] = useState<string | null>(null);
  const replies = new Map<string, Comment[]>();
  for (const c of p.comments) if (c.parentId) replies.set(c.parentId, [...(replies.get(c.parentId) ?? []), c]);
  const entries: Entry[] = [
    ...p.comments.filter((c) => !c.parentId).map((c) => ({ at: c.createdAt, comment: c })),
    // A comment's own "commented" row would only repeat it.
    ...p.activity.filter((a) => a.kind !== "commented" && a.kind !== "position_changed").map((a) => ({ at: a.createdAt, activity: a })),
  ].sort((a, b) => a.at - b.at);

  const renderComment = (c: Comment) => (
    <article key={c.id} class="comment" aria-label={`Comment by ${actorName(c.author)}`}>
      <header>
        <Avatar who={who(c.author)} size={20} />
        <strong>{actorName(c.author)}</strong>
        <time dateTime={new Date(c.createdAt).toISOString()} title={new Date(c.createdAt).toLocaleString()}>
          {ago(c.createdAt)}
        </time>
      </header>
      <Markdown source={c.body} />
      {(replies.get(c.id) ?? []).map(renderComment)}
      {!c.parentId &&
        (replying === c.id ? (
          <CommentBox
            workspaceId={p.workspaceId}
            issueId={p.issue.id}
            parentId={c.id}
            onCancel={() => setReplying(null)}
            onPosted={(reply) => {
              setReplying(null);
              p.onPosted(reply);
            }}
          />
        ) : (
          <button type="button" class="button ghost small reply" onClick={() => setReplying(c.id)}>
            Reply
          </button>
        ))}
    </article>
  );

  return (
    <section class="panel" aria-labelledby="activity-title">
      <h2 id="activity-title" class="panel-title">
        Activity
      </h2>
      <ol class="timeline">
        {entries.map((e) =>
          "comment" in e ? (
            <li key={e.comment.id}>{renderComment(e.comment)}</li>
          ) : (
            <li key={e.activity.id} class="activity">
              <Avatar who={who(e.activity.actor)} size={16} />
              <span>
                <strong>{actorName(e.activity.actor)}</strong> {describeActivity(e.activity)}
              </span>
              <time dateTime={new Date(e.at).toISOString()} title={new Date(e.at).toLocaleString()}>
                {ago(e.at)}
              </time>
            </li>
          ),
        )}
      </ol>
      <CommentBox workspaceId={p.workspaceId} issueId={p.issue.id} onPosted={p.onPosted} />
    </section>
  );
}
