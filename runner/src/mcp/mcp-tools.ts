/**
 * The tools of the Multica MCP server an agent gets in every run: read its issue, comment on it,
 * set its status, open a sub-issue, search the workspace's skills. Each acts through the workspace
 * API with the attempt's agent token, which reaches only that issue while the attempt runs.
 * Arguments are checked here so the model gets a clear message to correct; API failures come
 * back as tool errors naming the HTTP status and the control plane's message. Comments posted
 * here come on top of the run's result comment, which the control plane still posts when the
 * attempt ends (workspace/d1-sync.ts), whatever the agent said during the run.
 */
import { z } from "zod";
import { ApiCallError } from "../skills/skill-api";
import { type BoardTarget, createIssue, describeApiError, getIssue, postComment, searchSkills, updateIssue } from "../board-cli/board-api";
import type { McpTool, ToolResult } from "./mcp-stdio";

/** Statuses an agent may set on its issue. */
export const AGENT_STATUSES = ["in_progress", "in_review", "blocked", "done"] as const;

export interface ToolScope {
  /** The API with the agent token; the workspace id is resolved lazily when not given. */
  target: () => Promise<BoardTarget>;
  issueId: string;
}

const Text = (max: number) => z.string().trim().min(1, "must not be empty").max(max);

/** A tool with zod-checked arguments; the JSON Schema shown to clients is written beside it. */
function tool<S extends z.ZodType>(
  name: string,
  description: string,
  schema: S,
  inputSchema: Record<string, unknown>,
  run: (args: z.infer<S>) => Promise<string>,
): McpTool {
  return {
    name,
    description,
    inputSchema: { type: "object", additionalProperties: false, ...inputSchema },
    async call(raw): Promise<ToolResult> {
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        const why = parsed.error.issues.map((i) => `${i.path.join(".") || "arguments"}: ${i.message}`).join("; ");
        return { text: `invalid arguments for ${name}: ${why}`, isError: true };
      }
      try {
        return { text: await run(parsed.data) };
      } catch (err) {
        if (err instanceof ApiCallError) return { text: `${name} failed: ${describeApiError(err)}`, isError: true };
        throw err;
      }
    },
  };
}

/** The five tools, bound to one issue. */
export function multicaTools(scope: ToolScope): McpTool[] {
  const { issueId } = scope;
  return [
    tool(
      "get_issue",
      "Read the issue you are working on: title, body, status, and all its comments (oldest first).",
      z.object({}).strict(),
      { properties: {} },
      async () => {
        const { issue, comments } = await getIssue(await scope.target(), issueId);
        return JSON.stringify({ issue, comments }, null, 2);
      },
    ),
    tool(
      "post_comment",
      "Post a comment (Markdown) on your issue, e.g. progress, a question for the team, or a summary of what you did.",
      z.object({ body: Text(50_000) }).strict(),
      { properties: { body: { type: "string", description: "The comment, in Markdown" } }, required: ["body"] },
      async ({ body }) => {
        const { comment } = await postComment(await scope.target(), issueId, body);
        return `Posted comment ${comment.id}.`;
      },
    ),
    tool(
      "set_status",
      "Set your issue's status: in_progress while you work, in_review when your work is ready for a person to check, blocked when you cannot go on without help, done when nothing is left to do (only if your agent may close issues; otherwise use in_review).",
      z.object({ status: z.enum(AGENT_STATUSES) }).strict(),
      { properties: { status: { type: "string", enum: [...AGENT_STATUSES] } }, required: ["status"] },
      async ({ status }) => {
        const { issue } = await updateIssue(await scope.target(), issueId, { status });
        return `${issue.key ?? issue.id} is now ${issue.status}.`;
      },
    ),
    tool(
      "create_sub_issue",
      "Create a sub-issue of your issue, for work that should be tracked (or done) separately.",
      z.object({ title: Text(300), body: z.string().max(100_000).default("") }).strict(),
      {
        properties: { title: { type: "string", description: "One line" }, body: { type: "string", description: "Details, in Markdown" } },
        required: ["title"],
      },
      async ({ title, body }) => {
        const { issue } = await createIssue(await scope.target(), { title, body, parentId: issueId });
        return `Created ${issue.key ?? issue.id} (${issue.id}): ${issue.title}`;
      },
    ),
    tool(
      "search_skills",
      "Search the workspace's skill library (reusable instructions and scripts) by words in their names and descriptions.",
      z.object({ query: Text(200) }).strict(),
      { properties: { query: { type: "string", description: "Words to look for" } }, required: ["query"] },
      async ({ query }) => {
        const { skills } = await searchSkills(await scope.target(), query);
        if (skills.length === 0) return `No skill matches "${query}".`;
        return skills.map((s) => `- ${s.name}: ${s.description}`).join("\n");
      },
    ),
  ];
}
