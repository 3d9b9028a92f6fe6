/**
 * Attaches the Multica MCP server (`multica-runner mcp`) to an agent run: for each agent CLI that
 * can take an MCP server per run, the extra arguments and environment that declare it. Config
 * files go to the attempt's private directory under the runner's data dir (mode 0600, removed
 * after the run), never into the work dir, since they carry the attempt's agent token.
 *   claude    --mcp-config <dir>/claude-mcp.json --allowedTools mcp__multica
 *   codex     -c mcp_servers.multica.{command,args,env,env_vars}; the token travels in the
 *             environment (env_vars), not on the command line where `ps` would show it
 *   opencode  OPENCODE_CONFIG_CONTENT with an `mcp.multica` local server (merged into a value
 *             the runtime's env already sets)
 *   gemini    GEMINI_CLI_SYSTEM_DEFAULTS_PATH=<dir>/gemini-system-defaults.json: the lowest
 *             settings layer, so the user's and the work dir's settings still apply (the
 *             machine's own system defaults file is merged in)
 *   copilot   --additional-mcp-config @<dir>/copilot-mcp.json
 * Other runtimes (cursor-agent, configured commands) get nothing. The job runner calls
 * attachMcp; adapters add `args` before their own extra args and pass env through withMcpEnv.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { platform } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** What an adapter adds to its command line and environment. */
export interface McpLaunch {
  args: string[];
  env: Record<string, string>;
}

/** How to start the server, and the environment it needs. */
export interface McpServerSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
}

const NAME = "multica";
/** The runtimes attachMcp knows how to give an MCP server. */
export const MCP_RUNTIMES: ReadonlySet<string> = new Set(["claude", "codex", "opencode", "gemini", "copilot"]);
const TOKEN_VAR = "MULTICA_AGENT_TOKEN";

/** The runner's own CLI bundle: this file once bundled (dist/cli.js), else the built bundle beside the sources. */
export function runnerCliPath(): string {
  const here = fileURLToPath(import.meta.url);
  return basename(here) === "cli.js" ? here : resolve(dirname(here), "../../dist/cli.js");
}

/** `node <runner cli> mcp` with the variables mcp-server.ts reads. */
export function mcpServerSpec(o: { url: string; token: string; issueId: string; taskId: string; attempt: number; workspaceId?: string | null }): McpServerSpec {
  const env: Record<string, string> = { MULTICA_URL: o.url, [TOKEN_VAR]: o.token, MULTICA_ISSUE_ID: o.issueId, MULTICA_TASK_ID: o.taskId, MULTICA_ATTEMPT: String(o.attempt) };
  if (o.workspaceId) env.MULTICA_WORKSPACE_ID = o.workspaceId;
  return { command: process.execPath, args: [runnerCliPath(), "mcp"], env };
}

/** Writes a file only the runner's user can read. */
function writePrivate(path: string, value: unknown): string {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  return path;
}

/** TOML for a `-c key=value` override: JSON strings are valid TOML basic strings. */
const toml = {
  str: (s: string) => JSON.stringify(s),
  array: (items: string[]) => `[${items.map((s) => JSON.stringify(s)).join(",")}]`,
  table: (entries: Record<string, string>) => `{${Object.entries(entries).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}}`,
};

/**
 * The arguments and environment that attach `server` to a run of `runtime`, writing any config
 * file into `dir` (the attempt's private directory); null for runtimes not in MCP_RUNTIMES.
 */
export function attachMcp(runtime: string, server: McpServerSpec, dir: string): McpLaunch | null {
  const { command, args, env } = server;
  switch (runtime) {
    case "claude": {
      const file = writePrivate(join(dir, "claude-mcp.json"), { mcpServers: { [NAME]: { type: "stdio", command, args, env } } });
      // Allowed up front: in a permission mode other than bypassPermissions nobody could approve them.
      return { args: ["--mcp-config", file, "--allowedTools", `mcp__${NAME}`], env: {} };
    }
    case "codex": {
      const { [TOKEN_VAR]: token = "", ...visible } = env;
      const key = `mcp_servers.${NAME}`;
      return {
        args: [`${key}.command=${toml.str(command)}`, `${key}.args=${toml.array(args)}`, `${key}.env=${toml.table(visible)}`, `${key}.env_vars=${toml.array([TOKEN_VAR])}`].flatMap((c) => ["-c", c]),
        env: { [TOKEN_VAR]: token },
      };
    }
    case "opencode":
      return { args: [], env: { OPENCODE_CONFIG_CONTENT: JSON.stringify({ mcp: { [NAME]: { type: "local", command: [command, ...args], environment: env, enabled: true } } }) } };
    case "gemini": {
      const defaults = readJsonObject(process.env.GEMINI_CLI_SYSTEM_DEFAULTS_PATH ?? geminiSystemDefaultsPath());
      const servers = typeof defaults.mcpServers === "object" && defaults.mcpServers !== null ? defaults.mcpServers : {};
      const file = writePrivate(join(dir, "gemini-system-defaults.json"), { ...defaults, mcpServers: { ...servers, [NAME]: { command, args, env, trust: true } } });
      return { args: [], env: { GEMINI_CLI_SYSTEM_DEFAULTS_PATH: file } };
    }
    case "copilot": {
      const file = writePrivate(join(dir, "copilot-mcp.json"), { mcpServers: { [NAME]: { type: "local", command, args, env, tools: ["*"] } } });
      return { args: ["--additional-mcp-config", `@${file}`], env: {} };
    }
    default:
      return null;
  }
}

/** An attachment for one attempt, and how to remove its files afterwards. */
export interface AttemptMcp {
  launch: McpLaunch | null;
  /** Removes the attempt's private directory (idempotent, never throws). */
  dispose(): void;
}

/**
 * Prepares the attachment of one attempt: makes its private directory
 * `<dataDir>/attempts/<taskId>-<attempt>` (0700) and writes the runtime's config there.
 */
export function prepareAttemptMcp(o: { dataDir: string; runtime: string; server: McpServerSpec; taskId: string; attempt: number }): AttemptMcp {
  if (!MCP_RUNTIMES.has(o.runtime)) return { launch: null, dispose: () => {} };
  const dir = join(o.dataDir, "attempts", `${o.taskId}-${o.attempt}`);
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    return { launch: attachMcp(o.runtime, o.server, dir), dispose };
  } catch (err) {
    dispose();
    throw err;
  }
}

/**
 * The run's environment with the MCP variables added. An OPENCODE_CONFIG_CONTENT the runtime
 * already sets is kept: the `mcp` section is merged into it.
 */
export function withMcpEnv(env: Record<string, string>, mcp: McpLaunch | null | undefined): Record<string, string> {
  if (!mcp) return env;
  const out = { ...env, ...mcp.env };
  const own = env.OPENCODE_CONFIG_CONTENT;
  const ours = mcp.env.OPENCODE_CONFIG_CONTENT;
  if (own && ours) {
    const base = parseObject(own);
    const add = parseObject(ours);
    const mcpSection = { ...(isObject(base.mcp) ? base.mcp : {}), ...(isObject(add.mcp) ? add.mcp : {}) };
    out.OPENCODE_CONFIG_CONTENT = JSON.stringify({ ...base, mcp: mcpSection });
  }
  return out;
}

function geminiSystemDefaultsPath(): string {
  const os = platform();
  const dir = os === "darwin" ? "/Library/Application Support/GeminiCli" : os === "win32" ? "C:\\ProgramData\\gemini-cli" : "/etc/gemini-cli";
  return join(dir, "system-defaults.json");
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function parseObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return isObject(v) ? v : {};
  } catch {
    return {};
  }
}

function readJsonObject(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  try {
    return parseObject(readFileSync(path, "utf8"));
  } catch {
    return {};
  }
}
