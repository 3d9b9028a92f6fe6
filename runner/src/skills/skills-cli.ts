/**
 * `multica-runner skills <command>`: the workspace's skill library from a terminal. cli.ts hands
 * over when the first argument is `skills`; this module parses the rest, finds the control plane
 * and token as the runner does (flags > MULTICA_* variables > config file, through config.ts),
 * runs one command (skills-commands.ts) and maps the outcome to an exit code:
 * 0 ok, 2 bad usage or an invalid skill, 3 token refused (401/403), 4 not found (404),
 * 5 network or server error.
 */
import { parseArgs } from "node:util";
import { ConfigError, parseCli } from "../config";
import { ApiCallError } from "./skill-api";
import { COMMANDS, type CommandContext, exitCodeFor, SkillsExit, UsageError } from "./skills-commands";

export { SkillsExit };

export interface SkillsCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
}

const OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  config: { type: "string" },
  json: { type: "boolean" },
  query: { type: "string", short: "q" },
  limit: { type: "string" },
  version: { type: "string" },
  disable: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Runs `multica-runner skills …` with `argv` (after `skills`); resolves with the exit code. */
export async function runSkillsCli(argv: string[], io: Partial<SkillsCliIo> = {}): Promise<number> {
  const out: SkillsCliIo = {
    stdout: io.stdout ?? ((t) => process.stdout.write(t)),
    stderr: io.stderr ?? ((t) => process.stderr.write(t)),
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
  };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    out.stderr(`multica-runner skills: ${(err as Error).message.split("\n")[0]} (see multica-runner skills --help)\n`);
    return SkillsExit.usage;
  }
  const { values, positionals } = parsed;
  const [name, ...args] = positionals;
  if (values.help || name === undefined || name === "help") {
    out.stdout(skillsUsageText());
    return name === undefined && !values.help ? SkillsExit.usage : SkillsExit.ok;
  }
  const command = COMMANDS[name];
  const json = values.json ?? false;
  const fail = (code: number, kind: string, message: string) => {
    out.stderr(`multica-runner skills ${name}: ${message}\n`);
    if (json) out.stdout(`${JSON.stringify({ error: { code: kind, message, exitCode: code } })}\n`);
    return code;
  };
  if (!command) return fail(SkillsExit.usage, "usage", `unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(", ")})`);

  let target: { url: URL; token: string };
  try {
    const flags = (["url", "token", "config"] as const).flatMap((k) => (values[k] ? [`--${k}`, values[k]] : []));
    const request = parseCli(flags, { env: out.env, cwd: () => out.cwd });
    if (request.kind !== "run") throw new ConfigError("unexpected flags");
    target = { url: request.config.url, token: request.config.token };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const hint = "skills push needs a runner token; the other skills commands need a member token";
    return fail(SkillsExit.usage, "usage", `${err.message} (${hint})`);
  }
  const ctx: CommandContext = {
    api: target,
    args,
    cwd: out.cwd,
    json,
    options: { query: values.query, limit: values.limit, version: values.version, disable: values.disable ?? false },
    print: (text) => out.stdout(text.endsWith("\n") ? text : `${text}\n`),
    warn: (text) => out.stderr(`multica-runner skills ${name}: ${text}\n`),
  };
  try {
    return await command(ctx);
  } catch (err) {
    if (err instanceof UsageError) return fail(SkillsExit.usage, "usage", err.message);
    if (err instanceof ApiCallError) return fail(exitCodeFor(err), err.code ?? err.kind, err.message);
    throw err;
  }
}

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
}

/** `multica-runner skills --help`. */
export function skillsUsageText(): string {
  return `multica-runner skills: the workspace's skill library from the command line
A skill is a folder with a SKILL.md (Agent Skills format) and optional scripts/,
references/ and assets/. Agents get the skills attached to them in every run; the
runner proposes skills an agent created or changed for a member to accept.

Usage:
  multica-runner skills <command> [arguments] [flags]

Commands:
  push <dir>                 Upload <dir> (a folder with SKILL.md), or each subfolder
                             of <dir> that has one, as new versions. Prints
                             "<name>: created v3" or "<name>: unchanged". Runner token.
  list [--query <text>] [--limit <n>]
                             The workspace's skills, or those matching <text>
  show <name> [--version <n>]
                             A skill and its versions, or one version's files
  diff <name> <from> <to>    What changed between two versions
  import <folder|file.zip>   Create a version from a skill folder or a zip of one
  archive <name>             Archive a skill (agents stop getting it)
  attach <agentId> <name> [--version <n>] [--disable]
                             Give an agent a skill, pinned to a version or following
                             the latest; --disable keeps it attached but unused
  detach <agentId> <name>    Take a skill away from an agent

Flags:
  --url <url>        Control plane URL; env MULTICA_URL, or "url" in the config file
  --token <token>    env MULTICA_TOKEN, or "token" in the config file. push uses the
                     runner API and needs a runner token; every other command acts as
                     a workspace member and needs a member token.
  --config <file>    env MULTICA_CONFIG; default as for the runner (see multica-runner --help)
  --json             Print the control plane's answer as one JSON document (errors too:
                     {"error":{"code","message","exitCode"}})
  -h, --help         Show this help

Exit codes:
  0  done
  2  bad usage, or the control plane refused the skill as invalid
  3  the token was refused (401/403), or is of the wrong kind
  4  not found (404): no such skill, version or agent
  5  the control plane could not be reached, or failed (network, timeout, 5xx)

Examples:
  multica-runner skills push ./skills
  MULTICA_TOKEN=<member token> multica-runner skills list --query review
  multica-runner skills attach agt_123 review-pr --version 2
`;
}
