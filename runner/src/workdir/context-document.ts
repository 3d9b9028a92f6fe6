/**
 * The task context as one markdown document: the agent's instructions, then the issue (key,
 * title, description, comments oldest first). context-files.ts writes it into the files each
 * agent CLI reads, and returns it as a prompt preamble where no such file can be used.
 * Bounded: long texts are cut and, when the comments do not all fit, the oldest are left out
 * (the newest say the most about what is asked now), with a line saying so.
 */

/** Largest document in characters (agent CLIs put it into every request). */
export const MAX_DOCUMENT_CHARS = 200_000;
const MAX_INSTRUCTIONS_CHARS = 40_000;
const MAX_BODY_CHARS = 60_000;
const MAX_COMMENT_CHARS = 20_000;

export interface ContextComment {
  author: string;
  body: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

export interface ContextSubject {
  agent: { name: string; instructions: string };
  issue: { key: string; title: string; body: string; comments: ContextComment[] };
}

export interface ContextDocument {
  text: string;
  /** Comments left out to stay within MAX_DOCUMENT_CHARS. */
  omittedComments: number;
}

/** Renders the document; see the module comment for its layout and bounds. */
export function renderContextDocument(subject: ContextSubject): ContextDocument {
  const { agent, issue } = subject;
  const head = [
    `<!-- Written by multica-runner for issue ${oneLine(issue.key)}. It is rewritten before every run: edits here are lost. -->`,
    "",
    `# Your instructions (agent "${oneLine(agent.name)}")`,
    "",
    cut(agent.instructions.trim() || "(none)", MAX_INSTRUCTIONS_CHARS),
    "",
    `# Issue ${oneLine(issue.key)}: ${oneLine(issue.title)}`,
    "",
    "## Description",
    "",
    cut(issue.body.trim() || "(no description)", MAX_BODY_CHARS),
    "",
  ].join("\n");

  const rendered = issue.comments.map(renderComment);
  let budget = MAX_DOCUMENT_CHARS - head.length - 200;
  let kept = 0;
  for (let i = rendered.length - 1; i >= 0; i--) {
    const length = (rendered[i] as string).length;
    if (length > budget) break;
    budget -= length;
    kept++;
  }
  const omitted = rendered.length - kept;
  const parts = [head, "## Comments", ""];
  if (rendered.length === 0) parts.push("(no comments)", "");
  if (omitted > 0) parts.push(`(${omitted} earlier comment${omitted === 1 ? " was" : "s were"} left out to keep this file short.)`, "");
  parts.push(...rendered.slice(omitted));
  return { text: `${parts.join("\n").trimEnd()}\n`, omittedComments: omitted };
}

function renderComment(comment: ContextComment): string {
  const when = Number.isFinite(comment.createdAt) ? new Date(comment.createdAt).toISOString() : "unknown time";
  return [`### ${oneLine(comment.author) || "someone"} (${when})`, "", cut(comment.body.trim() || "(empty)", MAX_COMMENT_CHARS), ""].join("\n");
}

/** Keeps headings on one line whatever the text holds. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim().slice(0, 300);
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n\n(cut: ${text.length - max} more characters)`;
}
