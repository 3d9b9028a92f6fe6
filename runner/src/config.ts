/**
 * The runner's configuration, read once at start by cli.ts: flags > MULTICA_* environment
 * variables > config file > defaults. Nothing else in the runner reads process.env or argv;
 * the rest of the code gets a `RunnerConfig`.
 */
import { hostname as osHostname, homedir as osHomedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type AgentCliEntry, type ConfigFile, ConfigFileError, readConfigFile } from "./config-file";

/** A user-configured command runtime (`command:<name>`). */
export interface CommandRuntimeConfig {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  timeoutSeconds: number | null;
  idleTimeoutSeconds?: number | null;
}

export interface RunnerConfig {
  /** Base URL of the control plane (http, https, ws or wss). */
  url: URL;
  token: string;
  name: string;
  concurrency: number;
  /** The config file that was read, if any. */
  configPath: string | null;
  dataDir: string;
  cancelGraceMs: number;
  commands: CommandRuntimeConfig[];
  /** Settings per agent CLI runtime (from the config file's "agents"); absent means defaults. */
  agentClis: Partial<Record<string, AgentCliEntry>>;
  /** Environment agent processes start from: the runner's own, minus its token. */
  childEnv: Record<string, string>;
}

/** What the command line asked for. */
export type CliRequest = { kind: "run"; config: RunnerConfig } | { kind: "help" } | { kind: "version" };

/** Bad flags, environment or config file. The message is one line for the user; exit code 2. */
export class ConfigError extends Error {}

/** What config reading needs from the machine; injectable for tests. */
export interface ConfigSystem {
  env: Record<string, string | undefined>;
  homedir: () => string;
  hostname: () => string;
  cwd: () => string;
}

const OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  name: { type: "string" },
  concurrency: { type: "string" },
  config: { type: "string" },
  "data-dir": { type: "string" },
  "cancel-grace": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

type Source = { value: string | number; label: string };

/** Parses argv (without node and script) and the environment into what the CLI should do. */
export function parseCli(argv: string[], system: Partial<ConfigSystem> = {}): CliRequest {
  const sys: ConfigSystem = {
    env: system.env ?? process.env,
    homedir: system.homedir ?? osHomedir,
    hostname: system.hostname ?? osHostname,
    cwd: system.cwd ?? (() => process.cwd()),
  };
  let values: ReturnType<typeof parseFlags>;
  try {
    values = parseFlags(argv);
  } catch (err) {
    throw new ConfigError(`${describeFlagError(err as NodeJS.ErrnoException)} (see --help)`);
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  try {
    return { kind: "run", config: buildConfig(values, sys) };
  } catch (err) {
    if (err instanceof ConfigFileError) throw new ConfigError(err.message);
    throw err;
  }
}

function parseFlags(argv: string[]) {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
  return values;
}

/** parseArgs errors are long and generic; say what was wrong in a few words. */
function describeFlagError(err: NodeJS.ErrnoException): string {
  const flag = /--[A-Za-z0-9-]+/.exec(err.message)?.[0] ?? /'(-[^' ]+)/.exec(err.message)?.[1] ?? "";
  if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown flag ${flag}`;
  if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    return err.message.includes("does not take") ? `${flag} takes no value` : `${flag} needs a value, e.g. ${flag} <value>`;
  }
  return err.message.split("\n")[0] ?? "invalid arguments";
}

function buildConfig(flags: ReturnType<typeof parseFlags>, sys: ConfigSystem): RunnerConfig {
  const env = sys.env;
  const home = env.HOME || sys.homedir();
  const explicitConfig = pickString(flags.config, "--config", env.MULTICA_CONFIG, "MULTICA_CONFIG");
  const configPath = explicitConfig
    ? resolve(sys.cwd(), explicitConfig.value as string)
    : join(env.XDG_CONFIG_HOME || join(home, ".config"), "multica", "runner.json");
  const file: ConfigFile | null = readConfigFile(configPath, explicitConfig !== null);
  const inFile = (key: string) => `"${key}" in ${configPath}`;
  const pick = (flag: string | undefined, flagName: string, envName: string, key: keyof ConfigFile) => {
    const fileValue = file?.[key];
    return (
      pickString(flag, flagName, env[envName], envName) ??
      (typeof fileValue === "string" || typeof fileValue === "number" ? { value: fileValue, label: inFile(key) } : null)
    );
  };

  const urlSource = pick(flags.url, "--url", "MULTICA_URL", "url");
  const tokenSource = pick(flags.token, "--token", "MULTICA_TOKEN", "token");
  if (!urlSource || !tokenSource) throw new ConfigError(missingConnectionHelp(!urlSource, !tokenSource, configPath));
  const url = parseUrl(urlSource);
  const token = String(tokenSource.value).trim();
  if (token === "" || /\s/.test(token)) throw new ConfigError(`${tokenSource.label} must be a non-empty token without spaces`);

  const nameSource = pick(flags.name, "--name", "MULTICA_NAME", "name");
  const name = nameSource ? String(nameSource.value).trim() : sys.hostname();
  // The name goes into hello (1–100 chars) and, sanitized, into the default data dir path.
  if (name.length < 1 || name.length > 100 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new ConfigError(`${nameSource?.label ?? "the host name"} must be 1 to 100 printable characters (got ${JSON.stringify(name)})`);
  }
  const concurrencySource = pick(flags.concurrency, "--concurrency", "MULTICA_CONCURRENCY", "concurrency");
  const concurrency = concurrencySource ? parseIntIn(concurrencySource, 1, 64) : 2;
  const graceSource = pick(flags["cancel-grace"], "--cancel-grace", "MULTICA_CANCEL_GRACE_MS", "cancelGraceMs");
  const cancelGraceMs = graceSource ? parseIntIn(graceSource, 0, 600_000) : 5000;

  const dataDirSource = pickString(flags["data-dir"], "--data-dir", env.MULTICA_DATA_DIR, "MULTICA_DATA_DIR");
  const dataDir = dataDirSource
    ? resolve(sys.cwd(), dataDirSource.value as string)
    : file?.dataDir
      ? resolve(dirname(configPath), file.dataDir)
      : join(env.XDG_DATA_HOME || join(home, ".local", "share"), "multica-runner", name.replace(/[^A-Za-z0-9._-]/g, "_"));

  const commands = Object.entries(file?.commands ?? {}).map(([cmdName, c]) => ({
    name: cmdName,
    command: c.command,
    args: c.args,
    env: c.env,
    timeoutSeconds: c.timeoutSeconds ?? null,
    idleTimeoutSeconds: c.idleTimeoutSeconds ?? null,
  }));
  return {
    url,
    token,
    name,
    concurrency,
    configPath: file ? configPath : null,
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(dataDir),
    cancelGraceMs,
    commands,
    agentClis: file?.agents ?? {},
    childEnv: childEnvironment(env),
  };
}

/** Flag first, then environment variable; empty strings count as unset. */
function pickString(flag: string | undefined, flagName: string, envValue: string | undefined, envName: string): Source | null {
  if (flag !== undefined && flag !== "") return { value: flag, label: flagName };
  if (envValue !== undefined && envValue !== "") return { value: envValue, label: envName };
  return null;
}

function parseIntIn(source: Source, min: number, max: number): number {
  const text = String(source.value).trim();
  const n = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(`${source.label} must be an integer from ${min} to ${max} (got ${JSON.stringify(String(source.value))})`);
  }
  return n;
}

function parseUrl(source: Source): URL {
  const text = String(source.value).trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${source.label} must be a URL like https://multica.example.com (got ${JSON.stringify(text)})`);
  }
  if (!["http:", "https:", "ws:", "wss:"].includes(url.protocol)) {
    throw new ConfigError(`${source.label} must start with http://, https://, ws:// or wss:// (got ${JSON.stringify(text)})`);
  }
  return url;
}

function missingConnectionHelp(noUrl: boolean, noToken: boolean, configPath: string): string {
  const missing = [noUrl ? "the control plane URL" : null, noToken ? "a runner token" : null].filter(Boolean).join(" and ");
  return (
    `${missing} ${noUrl && noToken ? "are" : "is"} required: pass --url <url> --token <token>, set MULTICA_URL and ` +
    `MULTICA_TOKEN, or put "url" and "token" in ${configPath}. The URL is your Multica workspace's address; ` +
    `the token is a workspace token of kind "runner" (ask a workspace member to create one). See --help.`
  );
}

/** The runner's environment for agent processes, minus the runner token (agents must not see it). */
function childEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || key === "MULTICA_TOKEN") continue;
    out[key] = value;
  }
  return out;
}
