/**
 * The OpenAPI 3.1 document served at /api/v1/openapi.json. Request bodies come from the same zod
 * schemas the routes validate with (z.toJSONSchema), so the document cannot drift from what the
 * API accepts; the route table below is the one list to extend when a route is added (a test
 * checks every mounted route appears here).
 */
import { z } from "zod";
import * as shared from "@multica/shared";
import { CreateSubscriptionBody, UpdateSubscriptionBody } from "./triggers/subscription-body";
import { SignInBody } from "./routes/session";

type Method = "get" | "post" | "put" | "patch" | "delete";

export interface RouteDoc {
  method: Method;
  /** OpenAPI path, `{param}` style, relative to /api/v1. */
  path: string;
  summary: string;
  /** Who may call it: member, admin, runner, agent, public. */
  auth: string;
  body?: z.ZodType;
  /** A WebSocket upgrade rather than a JSON answer. */
  websocket?: boolean;
}

const ws = "/workspaces/{workspaceId}";

/** Every route of the API. */
export const ROUTES: RouteDoc[] = [
  { method: "get", path: "/health", summary: "Liveness and protocol version", auth: "public" },
  { method: "post", path: "/bootstrap", summary: "First-run set-up: first user, workspace and admin token (needs BOOTSTRAP_SECRET)", auth: "public" },
  { method: "get", path: "/whoami", summary: "The token's workspace, kind and user", auth: "any token" },
  { method: "post", path: "/session", summary: "Dashboard sign-in: checks a personal access token, sets an HttpOnly session cookie", auth: "public", body: SignInBody },
  { method: "get", path: "/session", summary: "Who the session (or token) is signed in as", auth: "member token or session cookie" },
  { method: "delete", path: "/session", summary: "Sign out: revokes the session cookie's token and clears it", auth: "public" },
  { method: "get", path: "/openapi.json", summary: "This document", auth: "public" },
  { method: "get", path: "/runner/connect", summary: "The runner WebSocket (task protocol)", auth: "runner", websocket: true },
  { method: "get", path: "/runner/skill-bundles/{hash}", summary: "A skill bundle by hash, for runners to cache", auth: "runner" },
  { method: "post", path: "/runner/skills", summary: "Push a skill from a runner's machine (new version unless unchanged)", auth: "runner", body: shared.CreateSkillBody },
  { method: "post", path: "/runner/skill-proposals", summary: "Propose a skill a run created or changed", auth: "runner", body: shared.SkillProposalBody },
  { method: "get", path: ws, summary: "The workspace, with the caller's role", auth: "member" },
  { method: "get", path: "/workspaces", summary: "The caller's workspaces, with their role in each", auth: "member token" },
  { method: "post", path: "/workspaces", summary: "Create a workspace; the caller becomes its owner", auth: "member token", body: shared.CreateWorkspaceBody },
  { method: "patch", path: ws, summary: "Rename the workspace or change its issue prefix", auth: "admin", body: shared.UpdateWorkspaceBody },
  { method: "get", path: `${ws}/members`, summary: "Members and their roles", auth: "member" },
  { method: "post", path: `${ws}/members`, summary: "Add a member by email (a new user gets a first token, shown once)", auth: "admin (owner role: owner)", body: shared.AddMemberBody },
  { method: "patch", path: `${ws}/members/{userId}`, summary: "Change a member's role (the last owner stays)", auth: "owner (admin for member → member)", body: shared.UpdateMemberBody },
  { method: "delete", path: `${ws}/members/{userId}`, summary: "Remove a member and revoke their tokens made here", auth: "admin (owner for owners and admins)" },
  { method: "get", path: `${ws}/agents/stats`, summary: "Each agent's status, runs by outcome, success rate, tokens and cost", auth: "member" },
  { method: "get", path: `${ws}/agents/{agentId}`, summary: "An agent with its status (working, offline, blocked, idle)", auth: "member" },
  { method: "patch", path: `${ws}/agents/{agentId}`, summary: "Change an agent's settings", auth: "admin", body: shared.UpdateAgentBody },
  { method: "delete", path: `${ws}/agents/{agentId}`, summary: "Delete an agent (409 while it has unfinished tasks)", auth: "admin" },
  { method: "patch", path: `${ws}/issues/{issueId}`, summary: "Change an issue (status, priority, assignee, parent, labels, position, …); may start a run", auth: "member; agent token: its issue's status", body: shared.UpdateIssueBody },
  { method: "get", path: `${ws}/issues/{issueId}/activity`, summary: "An issue's activity log, oldest first", auth: "member, agent token (its issue)" },
  { method: "get", path: `${ws}/live`, summary: "The workspace's live feed (task status, issue, comment and activity changes)", auth: "member", websocket: true },
  { method: "post", path: `${ws}/issues`, summary: "Create an issue; assigning an agent starts a run unless in backlog", auth: "member; agent token: a sub-issue of its issue", body: shared.CreateBoardIssueBody },
  { method: "get", path: `${ws}/issues`, summary: "List issues (filters: status, priority, assignee, label, parent, q; cursor pagination)", auth: "member" },
  { method: "get", path: `${ws}/issues/{issueId}`, summary: "An issue with its comments, task attempts and sub-issues", auth: "member, agent token (its issue)" },
  { method: "post", path: `${ws}/issues/{issueId}/assign`, summary: "Assign to an agent: starts a run", auth: "member", body: shared.AssignIssueBody },
  { method: "get", path: `${ws}/issues/{issueId}/comments`, summary: "Comments of an issue", auth: "member" },
  { method: "post", path: `${ws}/issues/{issueId}/comments`, summary: "Comment (threads, @agent mentions); on an assigned issue this is a follow-up run", auth: "member, agent token (its issue)", body: shared.CreateBoardCommentBody },
  { method: "post", path: `${ws}/agents`, summary: "Create an agent", auth: "admin", body: shared.CreateAgentBody },
  { method: "get", path: `${ws}/agents`, summary: "List agents", auth: "member" },
  { method: "get", path: `${ws}/agents/{agentId}/skills`, summary: "An agent's skills", auth: "member" },
  { method: "put", path: `${ws}/agents/{agentId}/skills/{name}`, summary: "Attach a skill (pinned or latest, enabled or not)", auth: "admin", body: shared.AttachSkillBody },
  { method: "delete", path: `${ws}/agents/{agentId}/skills/{name}`, summary: "Detach a skill", auth: "admin" },
  { method: "get", path: `${ws}/tasks`, summary: "Runs not over yet (queued, dispatched, running)", auth: "member" },
  { method: "get", path: `${ws}/tasks/{taskId}`, summary: "A task's attempts and a page of its transcript", auth: "member" },
  { method: "post", path: `${ws}/tasks/{taskId}/cancel`, summary: "Cancel a task", auth: "member" },
  { method: "get", path: `${ws}/tasks/{taskId}/stream`, summary: "A task's live transcript; resume with ?cursor=1:45,2:10 (last seq held of each attempt)", auth: "member", websocket: true },
  { method: "get", path: `${ws}/runners`, summary: "Runners, their runtimes and whether they are connected", auth: "member" },
  { method: "post", path: `${ws}/tokens`, summary: "Create a token (secret shown once; optional expiry)", auth: "member (runner tokens: admin)", body: shared.CreateAccessTokenBody },
  { method: "get", path: `${ws}/tokens`, summary: "List tokens", auth: "member" },
  { method: "delete", path: `${ws}/tokens/{tokenId}`, summary: "Revoke a token", auth: "member" },
  { method: "post", path: `${ws}/skills`, summary: "Create a skill version from files (JSON) or a .zip", auth: "member", body: shared.CreateSkillBody },
  { method: "get", path: `${ws}/skills`, summary: "List or search (?q=) skills", auth: "member, agent token" },
  { method: "get", path: `${ws}/skills/{name}`, summary: "A skill with its versions and usage", auth: "member" },
  { method: "get", path: `${ws}/skills/{name}/versions/{version}`, summary: "One version's files", auth: "member" },
  { method: "get", path: `${ws}/skills/{name}/diff`, summary: "Unified diff between two versions (?from=&to=)", auth: "member" },
  { method: "post", path: `${ws}/skills/{name}/archive`, summary: "Archive a skill", auth: "member" },
  { method: "delete", path: `${ws}/skills/{name}`, summary: "Archive a skill", auth: "member" },
  { method: "get", path: `${ws}/skill-proposals`, summary: "Skills harvested from runs (?status=)", auth: "member" },
  { method: "get", path: `${ws}/skill-proposals/{id}`, summary: "A proposal with its files and diff", auth: "member" },
  { method: "post", path: `${ws}/skill-proposals/{id}/accept`, summary: "Accept: the skill's next version, credited to the run", auth: "member" },
  { method: "post", path: `${ws}/skill-proposals/{id}/reject`, summary: "Reject a proposal", auth: "member" },
  { method: "post", path: `${ws}/webhooks`, summary: "Create an inbound webhook (github or generic); its secret and URL are shown once", auth: "admin", body: shared.CreateWebhookBody },
  { method: "get", path: `${ws}/webhooks`, summary: "List inbound webhooks (without secrets)", auth: "admin" },
  { method: "patch", path: `${ws}/webhooks/{webhookId}`, summary: "Enable or disable an inbound webhook (disabled: its URL answers 404)", auth: "admin", body: shared.UpdateWebhookBody },
  { method: "delete", path: `${ws}/webhooks/{webhookId}`, summary: "Delete a webhook and its delivery log", auth: "admin" },
  { method: "get", path: `${ws}/webhooks/{webhookId}/deliveries`, summary: "A webhook's latest deliveries: accepted, ignored or rejected, with why, and whether each can be redelivered", auth: "admin" },
  { method: "post", path: `${ws}/schedules`, summary: "Create a schedule: cron + IANA time zone → an issue (and an agent's run) at every fire; shows the next 5 fire times", auth: "admin", body: shared.CreateScheduleBody },
  { method: "get", path: `${ws}/schedules`, summary: "List schedules with their state and next fire times", auth: "member" },
  { method: "get", path: `${ws}/schedules/{scheduleId}`, summary: "A schedule with its state, failure count and next fire times", auth: "member" },
  { method: "patch", path: `${ws}/schedules/{scheduleId}`, summary: "Change a schedule; a new expression or zone counts from now", auth: "admin", body: shared.UpdateScheduleBody },
  { method: "delete", path: `${ws}/schedules/{scheduleId}`, summary: "Delete a schedule and its run log (the issues it opened stay)", auth: "admin" },
  { method: "post", path: `${ws}/schedules/{scheduleId}/pause`, summary: "Pause a schedule: it stops firing until resumed", auth: "admin" },
  { method: "post", path: `${ws}/schedules/{scheduleId}/resume`, summary: "Resume a schedule: failures reset, fires count from now (missed ones are not caught up)", auth: "admin" },
  { method: "post", path: `${ws}/schedules/{scheduleId}/run`, summary: "Run a schedule now (a manual run; its clock is unchanged)", auth: "admin" },
  { method: "get", path: `${ws}/schedules/{scheduleId}/runs`, summary: "A schedule's run log, newest first: when due, kind, missed fires, issue, task, outcome", auth: "member" },
  { method: "post", path: `${ws}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver`, summary: "Act again on a logged delivery that was ignored or failed internally (dedupe still applies); a new log row", auth: "admin" },
  { method: "post", path: `${ws}/subscriptions`, summary: "Subscribe a URL to workspace events (signed deliveries, retried); its secret is shown once", auth: "admin", body: CreateSubscriptionBody },
  { method: "get", path: `${ws}/subscriptions`, summary: "List outbound subscriptions (without secrets)", auth: "admin" },
  { method: "get", path: `${ws}/subscriptions/event-types`, summary: "The event types a subscription can name", auth: "admin" },
  { method: "get", path: `${ws}/subscriptions/{subscriptionId}`, summary: "An outbound subscription (without its secret)", auth: "admin" },
  { method: "patch", path: `${ws}/subscriptions/{subscriptionId}`, summary: "Change a subscription's URL or events, or enable / disable it", auth: "admin", body: UpdateSubscriptionBody },
  { method: "delete", path: `${ws}/subscriptions/{subscriptionId}`, summary: "Delete a subscription and its delivery log", auth: "admin" },
  { method: "get", path: `${ws}/subscriptions/{subscriptionId}/deliveries`, summary: "A subscription's latest deliveries with every attempt (status, error, response)", auth: "admin" },
  { method: "post", path: `${ws}/subscriptions/{subscriptionId}/deliveries/{deliveryId}/retry`, summary: "One more attempt, now, of a failed delivery", auth: "admin" },
  { method: "post", path: `${ws}/subscriptions/{subscriptionId}/test`, summary: "Send a signed `ping` event to the subscription's URL", auth: "admin" },
  { method: "post", path: "/hooks/{webhookId}", summary: "Deliver to a webhook (GitHub: X-Hub-Signature-256; generic: X-Multica-Signature); opens an issue or comments", auth: "public" },
];

const errorResponse = {
  description: "Error",
  content: { "application/json": { schema: z.toJSONSchema(shared.ApiErrorBody, { unrepresentable: "any" }) } },
};

/** Builds the document (pure; the route serves it). */
export function openApiDocument(serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    const op: Record<string, unknown> = {
      summary: r.summary,
      description: `Who may call it: ${r.auth}.${r.websocket ? " A WebSocket upgrade (browsers pass the token as ?token=)." : ""}`,
      parameters: params,
      security: r.auth === "public" ? [] : [{ bearer: [] }],
      responses: { [r.websocket ? "101" : "200"]: { description: r.websocket ? "Switching protocols" : "OK" }, "4XX": errorResponse },
    };
    if (r.body) op.requestBody = { required: true, content: { "application/json": { schema: z.toJSONSchema(r.body, { io: "input", unrepresentable: "any" }) } } };
    (paths[r.path] ??= {})[r.method] = op;
  }
  return {
    openapi: "3.1.0",
    info: { title: "Multica API", version: "1", description: "Issues, agents, runs, skills and runners of Multica workspaces. Errors are { error: { code, message, requestId, details? } }." },
    servers: [{ url: `${serverUrl}/api/v1` }],
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    paths,
  };
}
