/**
 * The board's quick filters (assignee, label, priority, text), kept while moving between pages.
 * Filtering happens in the browser over the loaded board, so live changes filter as they arrive.
 */
import { signal } from "@preact/signals";
import type { Issue } from "../../lib/types";

/** `any`, `none`, `agent:<id>` or `user:<id>`. */
export const assigneeFilter = signal("any");
export const labelFilter = signal("any");
export const priorityFilter = signal("any");
export const textFilter = signal("");

export function passes(issue: Issue): boolean {
  const a = assigneeFilter.value;
  if (a === "none" && issue.assignee !== null) return false;
  if (a.startsWith("agent:") && !(issue.assignee && "agentId" in issue.assignee && issue.assignee.agentId === a.slice(6))) return false;
  if (a.startsWith("user:") && !(issue.assignee && "userId" in issue.assignee && issue.assignee.userId === a.slice(5))) return false;
  const l = labelFilter.value;
  if (l !== "any" && !issue.labels.some((x) => x.toLowerCase() === l.toLowerCase())) return false;
  if (priorityFilter.value !== "any" && issue.priority !== priorityFilter.value) return false;
  const q = textFilter.value.trim().toLowerCase();
  if (q && !issue.title.toLowerCase().includes(q) && !issue.key.toLowerCase().includes(q)) return false;
  return true;
}

export function anyFilter(): boolean {
  return assigneeFilter.value !== "any" || labelFilter.value !== "any" || priorityFilter.value !== "any" || textFilter.value.trim() !== "";
}

export function clearFilters(): void {
  assigneeFilter.value = "any";
  labelFilter.value = "any";
  priorityFilter.value = "any";
  textFilter.value = "";
}
