/**
 * `multica`: the workspace's issues, agents and tasks from a terminal, for people and for agents
 * in a run. cli.ts hands over when the command was started as `multica` (bin/multica.js). This
 * module parses the command line, runs one command (board-commands.ts) and maps the outcome to
 * the exit codes the skills commands use: 0 ok, 2 usage, 3 auth (401/403), 4 not found, 5
 * network or server error. The API client and its error type are the skills CLI's (skill-api.ts).
 */
import { homedir } from "node:os";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { ApiCallError } from "../skills/skill-api";
import { exitCodeFor, SkillsExit, UsageError } from "../skills/skills-commands";
import { describeApiError } from "./board-api";
import { type BoardContext, COMMANDS } from "./board-commands";

export interface BoardCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
  homedir: string;
  readStdin: (prompt: string) => Promise<string>;
  signal: AbortSignal;
}

const OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  workspace: { type: "string" },
  json: { type: "boolean" },
  title: { type: "string" },
  body: { type: "string" },
  "body-file": { type: "string" },
  parent: { type: "string" },
  status: { type: "string" },
  follow: { type: "boolean", short: "f" },
  help: { type: "boolean", short: "h" },
} as const;

/** Commands that are one word; the others are `<noun> <verb>`. */
const SINGLE = new Set(["login", "whoami"]);

/** All of piped stdin; from a terminal, one line after `prompt` on stderr. */
async function readStdin(prompt: string): Promise<string> {
  if (process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(prompt);
    } finally {
      rl.close();
    }
  }
  let text = "";
  for await (const chunk of process.stdin) text += chunk.toString();
  return text;
}

/** Runs `multica …` with `argv` (after the program name); resolves with the exit code. */
export async function runBoardCli(argv: string[], io: Partial<BoardCliIo> = {}): Promise<number> {
  const stdout = io.stdout ?? ((t: string) => process.stdout.write(t));
  const stderr = io.stderr ?? ((t: string) => process.stderr.write(t));
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    stderr(`multica: ${(err as Error).message.split("\n")[0]} (see multica --help)\n`);
    return SkillsExit.usage;
  }
  const { values, positionals } = parsed;
  const [first, second, ...rest] = positionals;
  if (values.help || first === undefined || first === "help") {
    stdout(boardUsageText());
    return first === undefined && !values.help ? SkillsExit.usage : SkillsExit.ok;
  }
  const name = SINGLE.has(first) ? first : `${first} ${second ?? ""}`.trim();
  const args = SINGLE.has(first) ? positionals.slice(1) : rest;
  const json = values.json ?? false;
  const fail = (code: number, kind: string, message: string) => {
    stderr(`multica ${name}: ${message}\n`);
    if (json) stdout(`${JSON.stringify({ error: { code: kind, message, exitCode: code } })}\n`);
    return code;
  };
  const command = COMMANDS[name];
  if (!command) return fail(SkillsExit.usage, "usage", `unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(", ")})`);

  const ctx: BoardContext = {
    sources: { flags: { url: values.url, token: values.token, workspace: values.workspace }, env: io.env ?? process.env, homedir: io.homedir ?? homedir() },
    args,
    json,
    cwd: io.cwd ?? process.cwd(),
    options: { title: values.title, body: values.body, bodyFile: values["body-file"], parent: values.parent, status: values.status, follow: values.follow ?? false },
    print: (text) => stdout(text.endsWith("\n") ? text : `${text}\n`),
    readStdin: io.readStdin ?? readStdin,
    signal: io.signal ?? new AbortController().signal,
  };
  try {
    return await command(ctx);
  } catch (err) {
    if (err instanceof UsageError) return fail(SkillsExit.usage, "usage", err.message);
    if (err instanceof ApiCallError) return fail(exitCodeFor(err), err.code ?? err.kind, describeApiError(err));
    throw err;
  }
}

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
}

/** `multica --help`. */
export function boardUsageText(): string {
  return `multica: a Multica workspace from the command line
Issues, comments, agents and their runs, for people and for agents in a run.

Usage:
  multica <command> [arguments] [flags]

Commands:
  login --url <url> [--token <token>]
                          Check a token and save it with the URL in
                          ~/.config/multica/cli.json (mode 0600); without --token
                          the token is read from MULTICA_TOKEN or stdin
  whoami                  The token's kind, user and workspace
  issue list [--status <s>]
  issue get <issue>       An issue with its comments (<issue>: an id or a key, MUL-7)
  issue create --title <t> [--body <text> | --body-file <f>] [--parent <issue>]
  issue update <issue> [--status <s>] [--title <t>] [--body <text> | --body-file <f>]
                          Statuses: backlog, todo, in_progress, in_review, done,
                          blocked, cancelled
  issue comment <issue> (<text> | - | --body <text> | --body-file <f>)
                          "-" reads the comment from stdin
  agent list              The workspace's agents
  task list <issue>       The runs of an issue, every attempt
  task logs <task> [--follow]
                          A run's transcript; --follow streams it live until the
                          run ends (--json: one event per line)
  task cancel <task>      Cancel a run

Flags:
  --url <url>          Control plane URL; env MULTICA_URL, else the saved login
  --token <token>      env MULTICA_TOKEN (a member token), MULTICA_AGENT_TOKEN (inside
                       an agent run), else the saved login
  --workspace <id>     env MULTICA_WORKSPACE_ID; default: the token's workspace
  --json               Print the control plane's answer as one JSON document (errors
                       too: {"error":{"code","message","exitCode"}})
  -h, --help           Show this help

Exit codes:
  0  done
  2  bad usage, or the control plane refused the request as invalid
  3  the token was refused (401/403): not logged in, revoked, or not allowed
  4  not found (404): no such issue, task or route
  5  the control plane could not be reached, or failed (network, timeout, 5xx)

Examples:
  multica login --url https://multica.example.com --token mca_…
  multica issue create --title "Flaky login test" --body-file notes.md
  multica issue comment MUL-7 "Looks good, merging."
  multica task logs tsk_… --follow
`;
}
