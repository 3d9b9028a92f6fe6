/**
 * The `--help` text of multica-runner. Kept apart from config.ts so the parser stays short;
 * every flag listed here must exist in config.ts and the other way round.
 */
import { VERSION } from "./version";

/** Full help: usage, flags with their variables and defaults, the config file, exit codes, examples. */
export function usageText(): string {
  return `multica-runner ${VERSION}
Runs AI coding agents for a Multica workspace on this machine. It keeps one outbound
WebSocket to the control plane, takes the tasks assigned to it, runs them as local
processes and streams their output back. Nothing it has produced is lost when the
network or the runner itself goes down: output is stored locally until acknowledged.

Usage:
  multica-runner [flags]
  multica-runner skills <command> …   manage the workspace's skills (push, list,
                                      show, diff, import, archive, attach, detach);
                                      see multica-runner skills --help
  multica-runner mcp                  the Multica MCP server (stdio) the runner gives
                                      agents; reads MULTICA_URL, MULTICA_AGENT_TOKEN,
                                      MULTICA_ISSUE_ID and MULTICA_WORKSPACE_ID

Flags (each can also be set by an environment variable or in the config file;
flags win over variables, variables over the file, the file over defaults):
  --url <url>            Control plane URL, e.g. https://multica.example.com
                         env MULTICA_URL, file "url"; required
  --token <token>        Runner token of your workspace (a token of kind "runner")
                         env MULTICA_TOKEN, file "token"; required. Prefer the
                         variable or the file: flags are visible in \`ps\`.
  --name <name>          Name shown for this runner in the workspace
                         env MULTICA_NAME, file "name"; default: the host name
  --concurrency <n>      Attempts to run at the same time, 1 to 64
                         env MULTICA_CONCURRENCY, file "concurrency"; default 2
  --config <file>        JSON config file (see below)
                         env MULTICA_CONFIG; default $XDG_CONFIG_HOME/multica/runner.json
                         or ~/.config/multica/runner.json (may be absent)
  --data-dir <dir>       Where the runner keeps its id, its outbox (runner.db) and
                         the work directories (work/, see "Work directories")
                         env MULTICA_DATA_DIR, file "dataDir"; default
                         $XDG_DATA_HOME/multica-runner/<name> or
                         ~/.local/share/multica-runner/<name>
  --cancel-grace <ms>    On cancel, time between SIGTERM and SIGKILL of the process tree
                         env MULTICA_CANCEL_GRACE_MS, file "cancelGraceMs"; default 5000
  -h, --help             Show this help
  -v, --version          Print the version

Runtimes:
  Agent CLIs found on PATH are reported with their version and run headless with
  JSON output, the prompt on stdin, and their own resume for follow-ups:
    claude        claude -p --output-format stream-json --verbose
                  (--permission-mode bypassPermissions unless set under "agents")
    codex         codex exec --json --dangerously-bypass-approvals-and-sandbox -C <dir>
    gemini        gemini -p "" --output-format stream-json --approval-mode yolo
                  (-m gemini-2.5-pro unless a model is set under "agents")
    opencode      opencode run --format json
    cursor-agent  cursor-agent -p --output-format stream-json --force --trust
    copilot       copilot --output-format json --allow-all --no-ask-user
  Each entry of "commands" in the config file becomes the runtime "command:<name>".
  A command gets:
    - "{prompt}" in its args replaced by the task prompt,
    - the variables MULTICA_PROMPT, MULTICA_TASK_ID, MULTICA_ATTEMPT,
      MULTICA_ISSUE_TITLE, MULTICA_WORKDIR and MULTICA_SKILLS_DIR (the agent's
      skills, one folder each; the runner token is not passed on),
    - the work directory as its current directory, so relative paths in args
      resolve there: use absolute paths for scripts.
  Every line it prints becomes part of the task transcript. Exit code 0 means
  succeeded, anything else failed.

Multica MCP server:
  Each attempt gets a token of its own (revoked when it ends). The runner gives the
  agent CLI an MCP server "multica" with it (tools get_issue, post_comment,
  set_status, create_sub_issue, search_skills): claude --mcp-config, codex -c
  mcp_servers.multica.*, opencode OPENCODE_CONFIG_CONTENT, gemini
  GEMINI_CLI_SYSTEM_DEFAULTS_PATH, copilot --additional-mcp-config. Its config files
  live in <data-dir>/attempts/ during the run; cursor-agent and commands get none.

Work directories:
  A task runs in <data-dir>/work/tasks/<agent>/<issue-key>, kept for follow-ups on
  the same issue. When the issue or agent names a repository, the runner keeps a
  bare clone in work/repos/ and runs the task in a git worktree,
  work/worktrees/<agent>/<issue-key>, on the branch multica/<agent>/<issue-key>;
  ignored files listed in the repository's .worktreeinclude are copied in. The
  issue and the agent's instructions are written where each CLI reads them
  (CLAUDE.md, AGENTS.md, GEMINI.md, …, or a secondary file when the repository
  has its own) and in .multica/ISSUE.md, hidden from git.

Skills:
  The skills attached to the task's agent are fetched once into <data-dir>/skills/
  and copied into the work directory where its CLI reads project skills
  (.claude/skills, .agents/skills for codex, .github/skills, .opencode/skills,
  .gemini/skills, .cursor/skills; .multica/skills for commands), hidden from git;
  a repository's own skill of the same name is left as it is. Skills the agent
  creates or changes there are proposed to the workspace for review after the run.

Watchdogs:
  "timeoutSeconds" stops an attempt that runs longer; "idleTimeoutSeconds" stops
  one that prints nothing for that long (agent CLIs: 900 by default; commands:
  none). An agent's own limits, set in the workspace, take precedence. The
  attempt fails with a message naming the watchdog that fired.

Config file (JSON; every key optional):
  {
    "url": "https://multica.example.com",
    "token": "mcr_…",
    "name": "build-box",
    "concurrency": 4,
    "dataDir": "/var/lib/multica-runner",
    "cancelGraceMs": 5000,
    "commands": {
      "echo": {
        "command": "node",
        "args": ["/opt/agents/echo.js", "{prompt}"],
        "env": { "LOG_LEVEL": "debug" },
        "timeoutSeconds": 3600,
        "idleTimeoutSeconds": 600
      }
    },
    "agents": {
      "claude": {
        "model": "sonnet",
        "extraArgs": ["--add-dir", "/srv/shared"],
        "env": { "ANTHROPIC_API_KEY": "…" },
        "permissionMode": "bypassPermissions",
        "mcpConfig": "/etc/multica/mcp.json",
        "timeoutSeconds": 3600,
        "idleTimeoutSeconds": 900
      }
    }
  }
  A relative "dataDir" is relative to the config file. Flags the runner owns for an
  agent CLI (output format, -p, --verbose, --resume, …) are dropped from "extraArgs"
  with a warning.

Signals:
  The first SIGINT or SIGTERM stops gracefully: running attempts are cancelled and
  their reports delivered (up to about 10 s). A second one exits at once; what was
  not yet acknowledged stays in the outbox and is sent on the next start.

Exit codes:
  0    stopped normally
  1    unexpected internal error (e.g. the data directory is not writable)
  2    bad flags, environment variables or config file
  3    the control plane refused this runner for good (bad or revoked token,
       unsupported protocol version, or replaced by another runner with the same id)
  130  / 143  stopped at once by a second SIGINT / SIGTERM

Examples:
  MULTICA_TOKEN=mcr_… multica-runner --url https://multica.example.com
  multica-runner --config ./runner.json --name laptop --concurrency 4
  MULTICA_URL=http://127.0.0.1:8787 MULTICA_TOKEN=mcr_… multica-runner --data-dir /tmp/r1
`;
}
