/**
 * Changes to issues from any view: applied to the board at once (optimistic), sent to the API,
 * then replaced by what the API stored — or rolled back with a toast saying why it was refused.
 */
import { describeError, wsApi } from "../lib/api";
import type { Issue } from "../lib/types";
import { issues, putIssue, workspaceId } from "./board";
import { toast } from "./toasts";

export type IssuePatch = Partial<Pick<Issue, "title" | "body" | "status" | "priority" | "assignee" | "labels" | "position" | "parentId">>;

function setLocal(issue: Issue): void {
  const next = new Map(issues.value);
  next.set(issue.id, issue);
  issues.value = next;
}

/** PATCHes an issue; resolves to the stored issue, or null when the API refused (already told). */
export async function updateIssue(id: string, patch: IssuePatch): Promise<Issue | null> {
  const ws = workspaceId.value;
  const before = issues.value.get(id);
  if (!ws || !before) return null;
  setLocal({ ...before, ...patch });
  try {
    const { issue } = await wsApi<{ issue: Issue }>(ws, "PATCH", `/issues/${id}`, patch);
    putIssue(issue);
    return issue;
  } catch (err) {
    // Roll back only if nothing newer (a live frame) replaced our optimistic state meanwhile.
    if (issues.value.get(id)?.updatedAt === before.updatedAt) setLocal(before);
    toast(`Could not update ${before.key}: ${describeError(err)}`);
    return null;
  }
}

/** Creates an issue; resolves to it, or throws with the API's reason (forms show it inline). */
export async function createIssue(fields: { title: string; status?: Issue["status"]; parentId?: string; body?: string }): Promise<Issue> {
  const ws = workspaceId.value;
  if (!ws) throw new Error("no workspace is open");
  const { issue } = await wsApi<{ issue: Issue }>(ws, "POST", "/issues", fields);
  putIssue(issue);
  return issue;
}
