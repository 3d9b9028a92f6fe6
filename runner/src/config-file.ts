/**
 * The runner's JSON config file: its schema and how it is read. Used only by config.ts, which
 * merges it under flags and environment variables.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

/** Names of configured commands become runtime keys `command:<name>`, so they follow RuntimeKey. */
const COMMAND_NAME = /^[A-Za-z0-9._-]{1,60}$/;
const MAX_COMMANDS = 40;

export const CommandEntry = z.strictObject({
  /** Executable: a name looked up on PATH or an absolute path. */
  command: z.string().min(1),
  /** Arguments; every `{prompt}` is replaced by the task prompt. */
  args: z.array(z.string()).default([]),
  /** Extra environment variables for the process. */
  env: z.record(z.string(), z.string()).default({}),
  /** Kill the attempt (status failed) after this many seconds; no limit when absent. */
  timeoutSeconds: z.number().int().min(1).max(7 * 24 * 3600).optional(),
  /** Kill the attempt when it prints nothing for this many seconds; no limit when absent. */
  idleTimeoutSeconds: z.number().int().min(1).max(7 * 24 * 3600).optional(),
});

/** Settings for one agent CLI runtime (`claude`, …), under "agents" in the config file. */
export const AgentCliEntry = z.strictObject({
  /** The executable, when it is not the CLI's name on PATH. */
  binary: z.string().min(1).optional(),
  /** `--model` for every attempt on this runtime. */
  model: z.string().min(1).optional(),
  /** Extra CLI arguments; flags the runner owns (output format, resume, …) are dropped with a warning. */
  extraArgs: z.array(z.string()).default([]),
  /** Extra environment variables for the CLI. */
  env: z.record(z.string(), z.string()).default({}),
  /** Claude Code's `--permission-mode` (default bypassPermissions: nobody is there to approve tools). */
  permissionMode: z.string().min(1).optional(),
  /** An MCP config file to pass to the CLI. */
  mcpConfig: z.string().min(1).optional(),
  /** Fail the attempt after this many seconds (absolute watchdog); no limit when absent. */
  timeoutSeconds: z.number().int().min(1).max(7 * 24 * 3600).optional(),
  /** Fail the attempt when the CLI prints nothing for this many seconds (idle watchdog); default 900. */
  idleTimeoutSeconds: z.number().int().min(1).max(7 * 24 * 3600).optional(),
});
export type AgentCliEntry = z.infer<typeof AgentCliEntry>;

export const ConfigFile = z.strictObject({
  url: z.string().optional(),
  token: z.string().optional(),
  name: z.string().optional(),
  concurrency: z.number().optional(),
  dataDir: z.string().optional(),
  cancelGraceMs: z.number().optional(),
  /** Keys are checked against COMMAND_NAME after parsing (zod's record-key errors say too little). */
  commands: z.record(z.string(), CommandEntry).default({}),
  /** Per agent CLI settings, keyed by runtime key (`claude`, `codex`, …). */
  agents: z.partialRecord(z.enum(["claude", "codex", "gemini", "opencode", "cursor-agent", "copilot"]), AgentCliEntry).default({}),
});
export type ConfigFile = z.infer<typeof ConfigFile>;

/** Why the config file could not be used; the message is one line, ready for the user. */
export class ConfigFileError extends Error {}

/**
 * Reads and validates the config file. Returns `null` when the file does not exist and
 * `required` is false (the default path is optional; an explicit one is not).
 */
export function readConfigFile(path: string, required: boolean): ConfigFile | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && !required) return null;
    if (code === "ENOENT") throw new ConfigFileError(`config file ${path} does not exist`);
    throw new ConfigFileError(`cannot read config file ${path}: ${code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigFileError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = ConfigFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    throw new ConfigFileError(`config file ${path}: ${where}${issue?.message ?? "invalid"}`);
  }
  const names = Object.keys(parsed.data.commands);
  // hello reports at most 50 runtimes, and the agent CLIs take a few of them.
  if (names.length > MAX_COMMANDS) throw new ConfigFileError(`config file ${path}: at most ${MAX_COMMANDS} commands (got ${names.length})`);
  for (const name of names) {
    if (!COMMAND_NAME.test(name)) {
      throw new ConfigFileError(
        `config file ${path}: commands.${JSON.stringify(name)}: command names may only hold letters, digits, '.', '_' and '-' (at most 60)`,
      );
    }
  }
  return parsed.data;
}
