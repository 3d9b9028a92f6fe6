/**
 * The workspace API calls the `multica` CLI (board-commands.ts) and the agents' MCP server
 * (mcp/mcp-tools.ts) make: issues, comments, agents, skills, tasks, whoami. Built on the skills
 * client (skills/skill-api.ts: timeouts, bearer token, zod-checked answers, one ApiCallError);
 * answers are parsed loosely so fields the control plane adds later pass through to `--json`.
 */
import { z } from "zod";
import { type ApiTarget, ApiCallError, callApi } from "../skills/skill-api";

/** A control plane, a token, and the workspace the token belongs to. */
export interface BoardTarget extends ApiTarget {
  workspaceId: string;
}

export const ISSUE_STATUSES = ["backlog", "todo", "in_progress", "in_review", "done", "blocked", "cancelled"] as const;

export const Issue = z.looseObject({ id: z.string(), key: z.string().optional(), title: z.string(), body: z.string().optional(), status: z.string() });
export const Comment = z.looseObject({ id: z.string(), author: z.string(), body: z.string(), createdAt: z.number() });
export const TaskRow = z.looseObject({ id: z.string().optional(), taskId: z.string().optional(), attempt: z.number(), status: z.string(), runtime: z.string().optional() });
export const Whoami = z.looseObject({ workspaceId: z.string(), kind: z.string(), userId: z.string().optional(), tokenId: z.string().optional() });
export type Issue = z.infer<typeof Issue>;
export type Comment = z.infer<typeof Comment>;

const IssueDetail = z.looseObject({ issue: Issue, comments: z.array(Comment).default([]), tasks: z.array(TaskRow).default([]) });
const IssueList = z.looseObject({ issues: z.array(Issue) });
const OneIssue = z.looseObject({ issue: Issue });
const OneComment = z.looseObject({ comment: Comment });
const AgentList = z.looseObject({ agents: z.array(z.looseObject({ id: z.string(), name: z.string(), runtimes: z.array(z.string()).default([]) })) });
const SkillList = z.looseObject({ skills: z.array(z.looseObject({ name: z.string(), description: z.string().default("") })) });
const TranscriptEvent = z.looseObject({ attempt: z.number(), seq: z.number(), ts: z.number(), event: z.looseObject({ kind: z.string() }) });
export const TaskDetail = z.looseObject({
  task: z.looseObject({ taskId: z.string(), attempt: z.number(), status: z.string() }),
  attempts: z.array(z.looseObject({ taskId: z.string(), attempt: z.number(), status: z.string() })),
  transcript: z.looseObject({ events: z.array(TranscriptEvent), next: z.object({ attempt: z.number(), after: z.number() }).nullable() }),
});
export type TaskDetail = z.infer<typeof TaskDetail>;

const enc = encodeURIComponent;
const ws = (t: BoardTarget, path: string) => `/api/v1/workspaces/${enc(t.workspaceId)}${path}`;

export async function whoami(api: ApiTarget, signal?: AbortSignal) {
  return (await callApi(api, { method: "GET", path: "/api/v1/whoami", schema: Whoami, signal, timeoutMs: 30_000 })).body;
}

export async function listIssues(t: BoardTarget) {
  return (await callApi(t, { method: "GET", path: ws(t, "/issues"), schema: IssueList })).body;
}

/** The issue with its comments and tasks. */
export async function getIssue(t: BoardTarget, issueId: string) {
  return (await callApi(t, { method: "GET", path: ws(t, `/issues/${enc(issueId)}`), schema: IssueDetail })).body;
}

export async function createIssue(t: BoardTarget, body: { title: string; body?: string; parentId?: string }) {
  return (await callApi(t, { method: "POST", path: ws(t, "/issues"), json: body, schema: OneIssue })).body;
}

export async function updateIssue(t: BoardTarget, issueId: string, changes: Record<string, unknown>) {
  return (await callApi(t, { method: "PATCH", path: ws(t, `/issues/${enc(issueId)}`), json: changes, schema: OneIssue })).body;
}

export async function postComment(t: BoardTarget, issueId: string, body: string) {
  return (await callApi(t, { method: "POST", path: ws(t, `/issues/${enc(issueId)}/comments`), json: { body }, schema: OneComment })).body;
}

export async function listAgents(t: BoardTarget) {
  return (await callApi(t, { method: "GET", path: ws(t, "/agents"), schema: AgentList })).body;
}

export async function searchSkills(t: BoardTarget, query: string) {
  return (await callApi(t, { method: "GET", path: ws(t, `/skills?q=${enc(query)}`), schema: SkillList })).body;
}

/** A task's attempts and one page of its transcript from `cursor`. */
export async function getTask(t: BoardTarget, taskId: string, cursor: { attempt: number; after: number } = { attempt: 0, after: 0 }) {
  const path = ws(t, `/tasks/${enc(taskId)}?attempt=${cursor.attempt}&after=${cursor.after}&limit=5000`);
  return (await callApi(t, { method: "GET", path, schema: TaskDetail })).body;
}

export async function cancelTask(t: BoardTarget, taskId: string) {
  return (await callApi(t, { method: "POST", path: ws(t, `/tasks/${enc(taskId)}/cancel`), json: {}, schema: z.looseObject({}) })).body;
}

/**
 * An issue id from what a person typed: an id (`iss_…`) as it is, a key (`MUL-7`, any case) by
 * looking it up in the issue list.
 */
export async function resolveIssueId(t: BoardTarget, ref: string): Promise<string> {
  if (!/^[a-z]+-\d+$/i.test(ref)) return ref;
  const { issues } = await listIssues(t);
  const found = issues.find((i) => i.key?.toUpperCase() === ref.toUpperCase());
  if (!found) throw new ApiCallError("not_found", `no issue ${ref.toUpperCase()} in this workspace`, 404, "not_found");
  return found.id;
}

/** One line for a failed call, with the HTTP status when there was one: what tools and the CLI print. */
export function describeApiError(err: ApiCallError): string {
  return err.status === null ? err.message : `HTTP ${err.status}${err.code ? ` ${err.code}` : ""}: ${err.message}`;
}
