/**
 * The commands of `multica` (board-cli.ts parses the command line and maps errors to exit
 * codes). Each prints lines for a person, or with `--json` the control plane's answer as one JSON
 * document (`task logs --json`: one event per line). Issues may be named by id or key (MUL-7).
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { UsageError } from "../skills/skills-commands";
import {
  type BoardTarget,
  cancelTask,
  createIssue,
  getIssue,
  getTask,
  ISSUE_STATUSES,
  listAgents,
  listIssues,
  postComment,
  resolveIssueId,
  updateIssue,
  whoami,
} from "./board-api";
import { type ConfigSources, cliConfigPath, parseUrl, resolveApi, resolveTarget, writeCliFile } from "./board-config";
import { formatAgents, formatEvent, formatIssue, formatIssueList, formatTasks } from "./board-format";
import { followTask } from "./task-follow";

export interface BoardOptions {
  title?: string | undefined;
  body?: string | undefined;
  bodyFile?: string | undefined;
  parent?: string | undefined;
  status?: string | undefined;
  follow: boolean;
}

export interface BoardContext {
  sources: ConfigSources;
  args: string[];
  options: BoardOptions;
  json: boolean;
  cwd: string;
  print: (text: string) => void;
  /** Reads all of piped stdin (a token or a comment body), or one line typed after `prompt`. */
  readStdin: (prompt: string) => Promise<string>;
  signal: AbortSignal;
}

type Command = (ctx: BoardContext) => Promise<number>;

/** Exactly `n` positional arguments, else a usage error quoting `usage`. */
function expectArgs(ctx: BoardContext, n: number, usage: string): string[] {
  if (ctx.args.length !== n) throw new UsageError(`usage: multica ${usage}`);
  return ctx.args;
}

const out = (ctx: BoardContext, body: unknown, text: () => string) => ctx.print(ctx.json ? JSON.stringify(body) : text());

/** A body from --body, --body-file, or "-" (stdin); undefined when none was given. */
async function bodyText(ctx: BoardContext, positional?: string): Promise<string | undefined> {
  const given = [ctx.options.body, ctx.options.bodyFile, positional].filter((v) => v !== undefined);
  if (given.length > 1) throw new UsageError("give the text once: --body, --body-file or an argument");
  if (ctx.options.bodyFile !== undefined) {
    try {
      return await readFile(resolve(ctx.cwd, ctx.options.bodyFile), "utf8");
    } catch {
      throw new UsageError(`cannot read ${ctx.options.bodyFile}`);
    }
  }
  const text = ctx.options.body ?? positional;
  return text === "-" ? ctx.readStdin("Text: ") : text;
}

function checkStatus(status: string): string {
  if (!(ISSUE_STATUSES as readonly string[]).includes(status)) throw new UsageError(`--status must be one of ${ISSUE_STATUSES.join(", ")}`);
  return status;
}

export const COMMANDS: Record<string, Command> = {
  async login(ctx) {
    expectArgs(ctx, 0, "login --url <url> [--token <token>]   (or the token on stdin)");
    const { flags, env } = ctx.sources;
    const urlText = flags.url ?? env.MULTICA_URL;
    if (!urlText) throw new UsageError("login needs --url <control plane URL> (or MULTICA_URL)");
    const url = parseUrl(urlText, flags.url ? "--url" : "MULTICA_URL");
    const token = (flags.token ?? env.MULTICA_TOKEN ?? (await ctx.readStdin("Token: "))).trim();
    if (!token) throw new UsageError("login needs a token: --token <token>, MULTICA_TOKEN, or the token on stdin");
    const me = await whoami({ url, token }, ctx.signal);
    const path = cliConfigPath(env, ctx.sources.homedir);
    writeCliFile(path, { url: url.href.replace(/\/+$/, ""), token, workspaceId: me.workspaceId });
    out(ctx, { ...me, url: url.href, configFile: path }, () => `Logged in to ${url.origin}: workspace ${me.workspaceId}, ${me.kind} token. Saved to ${path}.`);
    return 0;
  },

  async whoami(ctx) {
    expectArgs(ctx, 0, "whoami");
    const { api } = resolveApi(ctx.sources);
    const me = await whoami(api, ctx.signal);
    out(ctx, me, () => `${me.kind} token${me.userId ? ` of ${me.userId}` : ""} in workspace ${me.workspaceId} at ${api.url.origin}`);
    return 0;
  },

  async "issue list"(ctx) {
    expectArgs(ctx, 0, "issue list [--status <status>]");
    const body = await listIssues(await resolveTarget(ctx.sources));
    const status = ctx.options.status === undefined ? undefined : checkStatus(ctx.options.status);
    const issues = status ? body.issues.filter((i) => i.status === status) : body.issues;
    out(ctx, { ...body, issues }, () => formatIssueList(issues));
    return 0;
  },

  async "issue get"(ctx) {
    const [ref] = expectArgs(ctx, 1, "issue get <issue id or key>");
    const t = await resolveTarget(ctx.sources);
    const body = await getIssue(t, await resolveIssueId(t, ref!));
    out(ctx, body, () => formatIssue(body.issue, body.comments));
    return 0;
  },

  async "issue create"(ctx) {
    expectArgs(ctx, 0, "issue create --title <title> [--body <text> | --body-file <file>] [--parent <issue>]");
    if (!ctx.options.title) throw new UsageError("issue create needs --title");
    const t = await resolveTarget(ctx.sources);
    const body = await bodyText(ctx);
    const parentId = ctx.options.parent ? await resolveIssueId(t, ctx.options.parent) : undefined;
    const res = await createIssue(t, { title: ctx.options.title, ...(body !== undefined ? { body } : {}), ...(parentId ? { parentId } : {}) });
    out(ctx, res, () => `Created ${res.issue.key ?? res.issue.id} (${res.issue.id}): ${res.issue.title}`);
    return 0;
  },

  async "issue update"(ctx) {
    const [ref] = expectArgs(ctx, 1, "issue update <issue> [--status <status>] [--title <title>] [--body <text> | --body-file <file>]");
    const changes: Record<string, unknown> = {};
    if (ctx.options.status !== undefined) changes.status = checkStatus(ctx.options.status);
    if (ctx.options.title !== undefined) changes.title = ctx.options.title;
    const body = await bodyText(ctx);
    if (body !== undefined) changes.body = body;
    if (Object.keys(changes).length === 0) throw new UsageError("issue update needs at least one of --status, --title, --body");
    const t = await resolveTarget(ctx.sources);
    const res = await updateIssue(t, await resolveIssueId(t, ref!), changes);
    out(ctx, res, () => `Updated ${res.issue.key ?? res.issue.id}: status ${res.issue.status}`);
    return 0;
  },

  async "issue comment"(ctx) {
    if (ctx.args.length < 1 || ctx.args.length > 2) throw new UsageError("usage: multica issue comment <issue> (<text> | - | --body <text> | --body-file <file>)");
    const [ref, text] = ctx.args;
    const body = await bodyText(ctx, text);
    if (!body?.trim()) throw new UsageError("the comment is empty");
    const t = await resolveTarget(ctx.sources);
    const res = await postComment(t, await resolveIssueId(t, ref!), body);
    out(ctx, res, () => `Commented on ${ref} (${res.comment.id}).`);
    return 0;
  },

  async "agent list"(ctx) {
    expectArgs(ctx, 0, "agent list");
    const body = await listAgents(await resolveTarget(ctx.sources));
    out(ctx, body, () => formatAgents(body.agents));
    return 0;
  },

  async "task list"(ctx) {
    const [ref] = expectArgs(ctx, 1, "task list <issue id or key>");
    const t = await resolveTarget(ctx.sources);
    const { tasks } = await getIssue(t, await resolveIssueId(t, ref!));
    out(ctx, { tasks }, () => formatTasks(tasks));
    return 0;
  },

  async "task logs"(ctx) {
    const [taskId] = expectArgs(ctx, 1, "task logs <task id> [--follow]");
    const t = await resolveTarget(ctx.sources);
    const print = (attempt: number, seq: number, ts: number, event: { kind: string }) => {
      if (ctx.json) return ctx.print(JSON.stringify({ attempt, seq, ts, event }));
      const line = formatEvent(attempt, event);
      if (line !== null) ctx.print(line);
    };
    if (ctx.options.follow) {
      const { status } = await followTask(t, taskId!, (e) => print(e.attempt, e.seq, e.ts, e.event), ctx.signal);
      if (!ctx.json && status) ctx.print(`— task ${status}`);
      return 0;
    }
    let cursor = { attempt: 0, after: 0 };
    for (;;) {
      const page = await getTask(t, taskId!, cursor);
      for (const e of page.transcript.events) print(e.attempt, e.seq, e.ts, e.event);
      if (!page.transcript.next) break;
      cursor = page.transcript.next;
    }
    return 0;
  },

  async "task cancel"(ctx) {
    const [taskId] = expectArgs(ctx, 1, "task cancel <task id>");
    const body = await cancelTask(await resolveTarget(ctx.sources), taskId!);
    out(ctx, body, () => `Cancel requested for ${taskId}.`);
    return 0;
  },
};
