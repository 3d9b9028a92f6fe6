/**
 * The text agents are given. One place, so an assignment, a fresh follow-up and a resumed
 * follow-up describe the issue the same way. Pure functions; the routes build the first prompt
 * of a task and the workspace Durable Object the follow-up ones at dispatch.
 */
import type { AssignComment } from "@multica/shared";

/** Longest summary of an earlier run quoted in a fresh follow-up prompt. */
const MAX_PRIOR_SUMMARY = 3000;

export interface PromptIssue {
  key: string;
  title: string;
  body: string;
}

/**
 * The prompt of a task: the issue, its discussion so far, skills of the workspace that match it
 * (suggested, not installed), then the agent's instructions.
 */
export function taskPrompt(
  issue: PromptIssue,
  instructions: string,
  comments: readonly AssignComment[] = [],
  suggested: readonly { name: string; description: string }[] = [],
): string {
  const parts = [`# ${issue.key ? `${issue.key}: ` : ""}${issue.title}`, issue.body.trim()];
  if (comments.length > 0) parts.push("## Discussion so far", ...comments.map(formatComment));
  if (suggested.length > 0) {
    const list = suggested.map((s) => `- \`${s.name}\`: ${s.description}`).join("\n");
    parts.push("## Workspace skills that may help", `These skills in the workspace library match this issue; they are not installed in this run.\n${list}`);
  }
  if (instructions.trim()) parts.push("---", instructions.trim());
  return parts.filter(Boolean).join("\n\n");
}

/** What a resumed session is told: it already has the issue, so only what is new. */
export function resumePrompt(comments: readonly AssignComment[]): string {
  const intro = comments.length === 1 ? "There is a new comment on the issue:" : `There are ${comments.length} new comments on the issue:`;
  return [intro, ...comments.map(formatComment), "Please address it, then summarize what you did."].join("\n\n");
}

/**
 * A follow-up that cannot resume (the runner or the session is gone): the whole task again,
 * what the earlier run reported, and the new comments.
 */
export function freshFollowUpPrompt(taskPromptText: string, priorSummary: string | null, comments: readonly AssignComment[]): string {
  const parts = [taskPromptText];
  const summary = priorSummary?.trim();
  if (summary) parts.push("## What an earlier run on this issue reported", summary.slice(-MAX_PRIOR_SUMMARY));
  parts.push(comments.length === 1 ? "## New comment" : "## New comments", ...comments.map(formatComment));
  return parts.join("\n\n");
}

function formatComment(c: AssignComment): string {
  const quoted = c.body.trim().split("\n").map((l: string) => `> ${l}`).join("\n");
  return `**${c.author}** (${new Date(c.createdAt).toISOString()}):\n${quoted}`;
}
