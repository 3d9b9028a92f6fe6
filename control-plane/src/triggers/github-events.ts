/**
 * Turns a verified GitHub webhook delivery into what Multica should do about it: open an issue,
 * post a comment that @mentions agents, or nothing (with the reason, for the delivery log).
 * Pure: the GitHub webhook route calls `mapGitHubEvent` after `verifyGitHubSignature` and
 * carries out the action; prompt templates of a hook are filled with `fillTemplate`.
 *
 * Payloads are checked with zod leniently: unknown fields are ignored, and a delivery missing a
 * field we need is ignored with a reason, never thrown on. Shapes follow GitHub's documented
 * examples (https://docs.github.com/webhooks/webhook-events-and-payloads).
 *
 * One GitHub action can produce several deliveries (creating an issue with a label and an
 * assignee sends `opened`, `labeled` and `assigned`), so the caller deduplicates on `url`.
 */
import { z } from "zod";

export interface GitHubHookConfig {
  /** When set, only issues and PRs carrying this label (or given it later) become Multica issues. */
  label?: string;
  /** Agent names that `@name` in a comment, or an assignment to login `name`, refers to. */
  agentMentions: string[];
}

export type GitHubAction =
  | { kind: "create_issue"; title: string; body: string; url: string; labels: string[]; assignAgent?: string }
  | { kind: "comment"; issueUrl: string; body: string; mentions: string[] }
  | { kind: "ignore"; reason: string };

const user = z.object({ login: z.string(), type: z.string().optional() });
const label = z.object({ name: z.string() });
const envelope = z.object({ action: z.string().optional(), sender: user.optional() });
const item = z.object({
  number: z.number().int(),
  title: z.string(),
  body: z.string().nullish(),
  html_url: z.string(),
  labels: z.array(label).nullish(),
  assignees: z.array(user).nullish(),
});
const comment = z.object({ body: z.string().nullish(), user: user.optional() });
const issuesEvent = z.object({ action: z.string(), issue: item, label: label.optional(), assignee: user.nullish() });
const pullRequestEvent = z.object({ action: z.string(), pull_request: item });
const issueCommentEvent = z.object({ action: z.string(), issue: z.object({ html_url: z.string() }), comment });
const reviewCommentEvent = z.object({ action: z.string(), pull_request: z.object({ html_url: z.string() }), comment });

const ignore = (reason: string): GitHubAction => ({ kind: "ignore", reason });
const sameName = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: "accent" }) === 0;

/** Parse leniently; on failure say which field was wrong, in one line. */
function parse<S extends z.ZodType>(schema: S, payload: unknown, event: string): z.infer<S> | GitHubAction {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const where = first && first.path.length > 0 ? `${first.path.map(String).join(".")}: ` : "";
  return ignore(`invalid ${event} payload: ${where}${first?.message ?? "unexpected shape"}`);
}
const isAction = (v: unknown): v is GitHubAction => typeof v === "object" && v !== null && "kind" in v;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Configured agents @mentioned in `text`, in configuration order. Code spans, fenced blocks and
 * quoted lines are skipped, so quoting an earlier request or showing `@agent` in code does not
 * start another run.
 */
export function findMentions(text: string, agents: readonly string[]): string[] {
  const prose = text
    .replace(/```[\s\S]*?(```|$)/g, " ")
    .replace(/`[^`\n]*`/g, " ")
    .replace(/^[ \t]*>.*$/gm, " ");
  return agents.filter((name) => name.trim() !== "" && new RegExp(`(?:^|[^\\w@./-])@${escapeRegExp(name)}(?![\\w-])`, "i").test(prose));
}

/** The issue or PR as a `create_issue`, unless a trigger label is configured and absent. */
function createIssue(it: z.infer<typeof item>, title: string, config: GitHubHookConfig, assignee?: string): GitHubAction {
  const labels = (it.labels ?? []).map((l) => l.name);
  const body = it.body ?? "";
  const agent =
    assignee ??
    config.agentMentions.find((name) => (it.assignees ?? []).some((a) => sameName(a.login, name))) ??
    findMentions(body, config.agentMentions)[0];
  return { kind: "create_issue", title, body, url: it.html_url, labels, ...(agent === undefined ? {} : { assignAgent: agent }) };
}

function hasTriggerLabel(it: z.infer<typeof item>, config: GitHubHookConfig): boolean {
  return config.label === undefined || (it.labels ?? []).some((l) => sameName(l.name, config.label!));
}

function mapIssues(payload: unknown, config: GitHubHookConfig): GitHubAction {
  const p = parse(issuesEvent, payload, "issues");
  if (isAction(p)) return p;
  switch (p.action) {
    case "opened":
      if (!hasTriggerLabel(p.issue, config)) return ignore(`issue opened without the label "${config.label}"`);
      return createIssue(p.issue, p.issue.title, config);
    case "labeled":
      if (config.label === undefined) return ignore("no trigger label is configured");
      if (!p.label || !sameName(p.label.name, config.label)) return ignore(`label "${p.label?.name ?? ""}" is not the trigger label "${config.label}"`);
      return createIssue(p.issue, p.issue.title, config);
    case "assigned": {
      const login = p.assignee?.login;
      const agent = login === undefined ? undefined : config.agentMentions.find((name) => sameName(name, login));
      if (agent === undefined) return ignore(`issue assigned to ${login ?? "nobody"}, who is not a configured agent`);
      return createIssue(p.issue, p.issue.title, config, agent);
    }
    default:
      return ignore(`issues.${p.action} is not a trigger`);
  }
}

function mapComment(event: "issue_comment" | "pull_request_review_comment", payload: unknown, config: GitHubHookConfig): GitHubAction {
  const p = event === "issue_comment" ? parse(issueCommentEvent, payload, event) : parse(reviewCommentEvent, payload, event);
  if (isAction(p)) return p;
  if (p.action !== "created") return ignore(`${event}.${p.action} is not a trigger`);
  if (p.comment.user?.type === "Bot") return ignore("comment written by a bot");
  const body = p.comment.body ?? "";
  const mentions = findMentions(body, config.agentMentions);
  if (mentions.length === 0) return ignore("comment mentions no configured agent");
  const issueUrl = "issue" in p ? p.issue.html_url : p.pull_request.html_url;
  return { kind: "comment", issueUrl, body, mentions };
}

/**
 * What to do about one delivery. `event` is the `X-GitHub-Event` header and `payload` the parsed
 * JSON body. Anything sent by a bot is ignored: our own agents act through a GitHub App, and
 * answering them would loop.
 */
export function mapGitHubEvent(event: string | null, payload: unknown, config: GitHubHookConfig): GitHubAction {
  if (event === null || event === "") return ignore("missing X-GitHub-Event header");
  if (event === "ping") return ignore("ping");
  const head = envelope.safeParse(payload);
  if (!head.success) return ignore(`invalid ${event} payload: not an object with action and sender`);
  if (head.data.sender?.type === "Bot") return ignore(`sent by bot ${head.data.sender.login}`);
  switch (event) {
    case "issues":
      return mapIssues(payload, config);
    case "issue_comment":
    case "pull_request_review_comment":
      return mapComment(event, payload, config);
    case "pull_request": {
      const p = parse(pullRequestEvent, payload, event);
      if (isAction(p)) return p;
      if (p.action !== "opened") return ignore(`pull_request.${p.action} is not a trigger`);
      if (!hasTriggerLabel(p.pull_request, config)) return ignore(`pull request opened without the label "${config.label}"`);
      return createIssue(p.pull_request, `PR #${p.pull_request.number}: ${p.pull_request.title}`, config);
    }
    default:
      return ignore(`${event} events are not handled`);
  }
}

/** Longest text `fillTemplate` returns unless told otherwise: prompts, not documents. */
export const MAX_TEMPLATE_OUTPUT = 16_000;
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g;

/** The value at a dotted path, through own properties only (never `__proto__`, `constructor`…). */
function lookup(root: unknown, path: string): unknown {
  let value = root;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value) ?? "";
  return String(value);
}

/**
 * Fill `{{dotted.path}}` placeholders from `payload`, e.g. "Fix {{issue.title}}: {{issue.body}}".
 * A missing path gives "", objects are written as JSON, array items are reached by index
 * (`issue.labels.0.name`). Nothing is evaluated: a placeholder is only ever a path. Output
 * stops at `maxLength` characters, so a template repeating a large field stays small.
 */
export function fillTemplate(template: string, payload: unknown, maxLength: number = MAX_TEMPLATE_OUTPUT): string {
  let out = "";
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    out += template.slice(last, match.index) + stringify(lookup(payload, match[1]!));
    last = match.index + match[0].length;
    if (out.length >= maxLength) return out.slice(0, maxLength);
  }
  return (out + template.slice(last)).slice(0, maxLength);
}
