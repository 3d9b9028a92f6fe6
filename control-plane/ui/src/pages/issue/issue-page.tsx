/**
 * The issue page: title and description (Markdown, editable), sub-issues, the agent run panel,
 * and the thread of comments and activity; properties on the right. The issue itself and its
 * sub-issues come from the board store (live); comments, activity and runs are fetched here and
 * kept current by the live feed's frames for this issue.
 */
import { useEffect, useState } from "preact/hooks";
import { describeError, wsApi } from "../../lib/api";
import type { Activity, Comment, Issue, TaskRow } from "../../lib/types";
import { issues, onLive, onResync, putIssue } from "../../state/board";
import { IssueDescription } from "./issue-description";
import { IssueProperties } from "./issue-properties";
import { RunPanel } from "./run-panel";
import { SubIssues } from "./sub-issues";
import { Timeline } from "./timeline";

interface Detail {
  issue: Issue;
  comments: Comment[];
  tasks: TaskRow[];
}

export function IssuePage({ workspaceId, issueId }: { workspaceId: string; issueId: string }) {
  const [detail, setDetail] = useState<Detail | null>(null);
  const [activity, setActivity] = useState<Activity[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    const load = async () => {
      try {
        const [d, a] = await Promise.all([
          wsApi<Detail>(workspaceId, "GET", `/issues/${issueId}`),
          wsApi<{ activities: Activity[] }>(workspaceId, "GET", `/issues/${issueId}/activity?limit=500`),
        ]);
        if (!alive) return;
        putIssue(d.issue);
        setDetail(d);
        setActivity(a.activities);
        setError(null);
      } catch (err) {
        if (alive) setError(describeError(err));
      }
    };
    void load();
    // Back from a drop: comments and activity sent meanwhile were missed.
    const offResync = onResync(() => void load());
    const off = onLive((m) => {
      if (m.type === "comment.added" && m.issueId === issueId) {
        const c = m.comment as unknown as Comment;
        setDetail((d) => (d && !d.comments.some((x) => x.id === c.id) ? { ...d, comments: [...d.comments, c] } : d));
      } else if (m.type === "activity" && m.issueId === issueId) {
        const a = m.activity as unknown as Activity;
        setActivity((list) => (list.some((x) => x.id === a.id) ? list : [...list, a]));
      }
    });
    return () => {
      alive = false;
      off();
      offResync();
    };
  }, [workspaceId, issueId]);

  const issue = issues.value.get(issueId) ?? detail?.issue;
  if (error && !issue) {
    return (
      <div class="page-error" role="alert">
        <p>This issue could not be loaded: {error}</p>
        <a href={`/w/${workspaceId}/board`}>Back to the board</a>
      </div>
    );
  }
  if (!issue || !detail) {
    return (
      <p class="loading" role="status">
        Loading the issue…
      </p>
    );
  }
  const parent = issue.parentId ? issues.value.get(issue.parentId) : undefined;
  return (
    <div class="issue-page">
      <main class="issue-main" aria-labelledby="issue-title">
        <nav class="crumbs" aria-label="Breadcrumb">
          <a href={`/w/${workspaceId}/board`}>Board</a>
          {parent && (
            <>
              <span aria-hidden="true">/</span>
              <a href={`/w/${workspaceId}/issues/${parent.id}`}>{parent.key}</a>
            </>
          )}
          <span aria-hidden="true">/</span>
          <span>{issue.key}</span>
        </nav>
        <IssueDescription issue={issue} />
        <SubIssues workspaceId={workspaceId} issue={issue} />
        <RunPanel workspaceId={workspaceId} issue={issue} tasks={detail.tasks} />
        <Timeline workspaceId={workspaceId} issue={issue} comments={detail.comments} activity={activity} onPosted={(c) => setDetail((d) => (d && !d.comments.some((x) => x.id === c.id) ? { ...d, comments: [...d.comments, c] } : d))} />
      </main>
      <IssueProperties issue={issue} />
    </div>
  );
}
