/**
 * How the `multica` CLI shows things to a person (without `--json`): aligned tables for lists,
 * an issue with its comments, and one line per transcript event for `task logs`.
 */
import type { Comment, Issue } from "./board-api";

/** Columns padded to their widest cell; the last column is not padded. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  ")).join("\n");
}

const when = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 16);

export function formatIssueList(issues: Issue[]): string {
  if (issues.length === 0) return "No issues.";
  return table([["KEY", "STATUS", "TITLE"], ...issues.map((i) => [i.key ?? i.id, i.status, i.title])]);
}

export function formatIssue(issue: Issue, comments: Comment[]): string {
  const lines = [`${issue.key ?? issue.id}: ${issue.title}`, `status ${issue.status} · id ${issue.id}`];
  if (issue.body) lines.push("", issue.body.trimEnd());
  if (comments.length > 0) lines.push("", `Comments (${comments.length}):`);
  for (const c of comments) lines.push("", `— ${c.author}, ${when(c.createdAt)}:`, c.body.trimEnd());
  return lines.join("\n");
}

export function formatAgents(agents: { id: string; name: string; runtimes: string[] }[]): string {
  if (agents.length === 0) return "No agents.";
  return table([["ID", "NAME", "RUNTIMES"], ...agents.map((a) => [a.id, a.name, a.runtimes.join(", ")])]);
}

export function formatTasks(tasks: { id?: string | undefined; taskId?: string | undefined; attempt: number; status: string; runtime?: string | undefined }[]): string {
  if (tasks.length === 0) return "No tasks.";
  return table([["TASK", "ATTEMPT", "STATUS", "RUNTIME"], ...tasks.map((t) => [t.id ?? t.taskId ?? "", String(t.attempt), t.status, t.runtime ?? ""])]);
}

type LooseEvent = { kind: string; [key: string]: unknown };
const str = (v: unknown) => (typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v));
const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** One transcript event as text, or null for events not worth a line (partial text, raw). */
export function formatEvent(attempt: number, e: LooseEvent): string | null {
  const tag = `[${attempt}]`;
  switch (e.kind) {
    case "message":
      return `${tag} ${str(e.text).trimEnd()}`;
    case "output":
      return `${tag} ${e.stream === "stderr" ? "! " : ""}${str(e.text)}`;
    case "thinking":
      return `${tag} (thinking) ${clip(str(e.text))}`;
    case "tool_call":
      return `${tag} → ${str(e.name)} ${clip(str(e.input), 200)}`;
    case "tool_result":
      return `${tag} ← ${e.isError ? "error: " : ""}${clip(str(e.output), 200)}`;
    case "status":
      return `${tag} · ${str(e.text)}`;
    case "error":
      return `${tag} error: ${str(e.message)}`;
    case "lifecycle":
      return `${tag} · ${str(e.phase)}${e.detail ? ` (${str(e.detail)})` : ""}`;
    case "result":
      return `${tag} result${e.isError ? " (error)" : ""}: ${str(e.summary).trimEnd()}`;
    case "usage":
      return `${tag} · tokens in ${str(e.inputTokens)}, out ${str(e.outputTokens)}`;
    default:
      return null;
  }
}
