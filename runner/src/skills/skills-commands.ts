/**
 * The commands of `multica-runner skills` (skills-cli.ts parses the command line and maps errors
 * to exit codes). Each command makes its API calls (skill-api.ts) and prints either lines for a
 * person or, with `--json`, the control plane's answer as one JSON document. `push` uses the
 * runner API; the others use the workspace API as the member who owns the token.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { encodeFileForWire, SKILL_LIMITS } from "@multica/shared";
import { z } from "zod";
import { type ApiTarget, ApiCallError, callApi } from "./skill-api";
import { hasSkillFile, readSkillFolder } from "./skill-files";
import { formatDiff, formatList, formatShow, formatVersion } from "./skills-format";

/** Bad arguments or local input (exit code 2). */
export class UsageError extends Error {}

/** Exit codes of `multica-runner skills` (see its --help). */
export const SkillsExit = { ok: 0, usage: 2, auth: 3, notFound: 4, unavailable: 5 } as const;

/** The exit code for an error a command ended with. */
export function exitCodeFor(err: ApiCallError | UsageError): number {
  if (err instanceof UsageError) return SkillsExit.usage;
  const byKind = { auth: SkillsExit.auth, not_found: SkillsExit.notFound, invalid: SkillsExit.usage, network: SkillsExit.unavailable, server: SkillsExit.unavailable };
  return byKind[err.kind];
}

export interface CommandContext {
  api: ApiTarget;
  /** Arguments after the command name. */
  args: string[];
  cwd: string;
  json: boolean;
  options: { query: string | undefined; limit: string | undefined; version: string | undefined; disable: boolean };
  print: (text: string) => void;
  warn: (text: string) => void;
}

type Command = (ctx: CommandContext) => Promise<number>;

const Any = z.looseObject({});
const Whoami = z.object({ workspaceId: z.string(), kind: z.enum(["member", "runner"]) });
const Written = z.looseObject({ skill: z.looseObject({ name: z.string() }), version: z.looseObject({ version: z.number(), hash: z.string() }) });

const enc = encodeURIComponent;

/** Every command by name. */
export const COMMANDS: Record<string, Command> = {
  async push(ctx) {
    const [dir] = expectArgs(ctx, 1, "push <dir>");
    const folders = await skillFoldersIn(resolve(ctx.cwd, dir));
    const results: Record<string, unknown>[] = [];
    let exit = 0;
    for (const folder of folders) {
      try {
        const res = await upload(ctx, "/api/v1/runner/skills", folder);
        const created = res.status === 201;
        results.push({ folder, name: res.body.skill.name, status: created ? "created" : "unchanged", version: res.body.version.version, hash: res.body.version.hash });
        if (!ctx.json) ctx.print(`${res.body.skill.name}: ${created ? `created v${res.body.version.version}` : "unchanged"}`);
      } catch (err) {
        if (!(err instanceof ApiCallError || err instanceof UsageError)) throw err;
        // One bad skill does not stop the others; the exit code tells of the first failure.
        exit ||= exitCodeFor(err);
        results.push({ folder, status: "error", error: err.message });
        ctx.warn(`${folder}: ${err.message}`);
      }
    }
    if (ctx.json) ctx.print(JSON.stringify({ results }));
    return exit;
  },

  async list(ctx) {
    expectArgs(ctx, 0, "list [--query <text>] [--limit <n>]");
    const query = new URLSearchParams();
    if (ctx.options.query) query.set("q", ctx.options.query);
    if (ctx.options.limit) query.set("limit", String(positiveInt(ctx.options.limit, "--limit")));
    const suffix = query.size > 0 ? `?${query}` : "";
    const body = await memberCall(ctx, "GET", `/skills${suffix}`);
    ctx.print(ctx.json ? JSON.stringify(body) : formatList(body));
    return 0;
  },

  async show(ctx) {
    const [name] = expectArgs(ctx, 1, "show <name> [--version <n>]");
    if (ctx.options.version !== undefined) {
      const body = await memberCall(ctx, "GET", `/skills/${enc(name)}/versions/${positiveInt(ctx.options.version, "--version")}`);
      ctx.print(ctx.json ? JSON.stringify(body) : formatVersion(name, body));
      return 0;
    }
    const body = await memberCall(ctx, "GET", `/skills/${enc(name)}`);
    ctx.print(ctx.json ? JSON.stringify(body) : formatShow(body));
    return 0;
  },

  async diff(ctx) {
    const [name, from, to] = expectArgs(ctx, 3, "diff <name> <from> <to>");
    const query = `from=${positiveInt(from, "<from>")}&to=${positiveInt(to, "<to>")}`;
    const body = await memberCall(ctx, "GET", `/skills/${enc(name)}/diff?${query}`);
    ctx.print(ctx.json ? JSON.stringify(body) : formatDiff(body));
    return 0;
  },

  async import(ctx) {
    const [source] = expectArgs(ctx, 1, "import <folder|file.zip>");
    const path = resolve(ctx.cwd, source);
    const info = await stat(path).catch(() => null);
    if (!info) throw new UsageError(`${source} does not exist`);
    const ws = await memberWorkspace(ctx);
    let res: { status: number; body: z.infer<typeof Written> };
    if (info.isDirectory()) {
      if (!(await hasSkillFile(path))) throw new UsageError(`${source} has no SKILL.md`);
      res = await upload(ctx, `/api/v1/workspaces/${enc(ws)}/skills`, path);
    } else {
      if (info.size > SKILL_LIMITS.maxUploadBytes) throw new UsageError(`${source} is ${info.size} bytes; an upload may be at most ${SKILL_LIMITS.maxUploadBytes}`);
      const bytes = await readFile(path);
      res = await callApi(ctx.api, { method: "POST", path: `/api/v1/workspaces/${enc(ws)}/skills`, raw: { bytes, contentType: "application/zip" }, schema: Written });
    }
    ctx.print(ctx.json ? JSON.stringify(res.body) : `${res.body.skill.name}: ${res.status === 201 ? `created v${res.body.version.version}` : "unchanged"}`);
    return 0;
  },

  async archive(ctx) {
    const [name] = expectArgs(ctx, 1, "archive <name>");
    const body = await memberCall(ctx, "POST", `/skills/${enc(name)}/archive`);
    ctx.print(ctx.json ? JSON.stringify(body) : `archived ${name}`);
    return 0;
  },

  async attach(ctx) {
    const [agentId, name] = expectArgs(ctx, 2, "attach <agentId> <name> [--version <n>] [--disable]");
    const version = ctx.options.version === undefined ? null : positiveInt(ctx.options.version, "--version");
    const body = await memberCall(ctx, "PUT", `/agents/${enc(agentId)}/skills/${enc(name)}`, { version, enabled: !ctx.options.disable });
    const how = `${version === null ? "following the latest version" : `pinned to v${version}`}${ctx.options.disable ? ", disabled" : ""}`;
    ctx.print(ctx.json ? JSON.stringify(body) : `attached ${name} to agent ${agentId} (${how})`);
    return 0;
  },

  async detach(ctx) {
    const [agentId, name] = expectArgs(ctx, 2, "detach <agentId> <name>");
    const body = await memberCall(ctx, "DELETE", `/agents/${enc(agentId)}/skills/${enc(name)}`);
    ctx.print(ctx.json ? JSON.stringify(body) : `detached ${name} from agent ${agentId}`);
    return 0;
  },
};

/** The command's arguments, exactly `count` of them (the tuple's unused places are empty). */
function expectArgs(ctx: CommandContext, count: number, usage: string): [string, string, string] {
  const a = ctx.args;
  if (a.length !== count) throw new UsageError(`expected: multica-runner skills ${usage}`);
  return [a[0] ?? "", a[1] ?? "", a[2] ?? ""];
}

function positiveInt(text: string, what: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${what} must be a positive integer (got ${JSON.stringify(text)})`);
  return n;
}

/** The workspace of a member token (the workspace API has it in its paths). */
async function memberWorkspace(ctx: CommandContext): Promise<string> {
  const { body } = await callApi(ctx.api, { method: "GET", path: "/api/v1/whoami", schema: Whoami });
  if (body.kind !== "member") throw new ApiCallError("auth", "this command needs a member token; the token given is a runner token", 403, "forbidden");
  return body.workspaceId;
}

async function memberCall(ctx: CommandContext, method: "GET" | "POST" | "PUT" | "DELETE", path: string, json?: unknown) {
  const ws = await memberWorkspace(ctx);
  const call = { method, path: `/api/v1/workspaces/${enc(ws)}${path}`, schema: Any, ...(json === undefined ? {} : { json }) };
  return (await callApi(ctx.api, call)).body;
}

/** Uploads the skill folder at `dir` as JSON files. */
async function upload(ctx: CommandContext, path: string, dir: string) {
  const folder = await readSkillFolder(dir);
  if (!folder.ok) throw new UsageError(`not uploaded: ${folder.reason}`);
  const files = folder.files.map((f) => encodeFileForWire(f.path, f.bytes));
  return callApi(ctx.api, { method: "POST", path, json: { files }, schema: Written });
}

/** `dir` itself when it holds a SKILL.md, else its subfolders that do. */
async function skillFoldersIn(dir: string): Promise<string[]> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new UsageError(`${dir} is not a directory`);
  if (await hasSkillFile(dir)) return [dir];
  const entries = await readdir(dir, { withFileTypes: true });
  const found: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.isDirectory() && !entry.name.startsWith(".") && (await hasSkillFile(join(dir, entry.name)))) found.push(join(dir, entry.name));
  }
  if (found.length === 0) throw new UsageError(`no skill in ${dir}: neither it nor a folder in it has a SKILL.md`);
  return found;
}
