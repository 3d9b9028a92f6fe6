/**
 * Which file each agent CLI reads its project context from, and therefore where
 * context-files.ts puts the task context. Pure: given the runtime, the document and which
 * candidate paths belong to the user, it returns the files to write, or a prompt preamble when
 * every file the CLI reads is the user's. A user's file is never replaced: we use the CLI's
 * secondary file, or a settings file that adds ours next to theirs.
 *
 * What each choice relies on, and where it was checked (2025/26 versions):
 * - Claude Code reads ./CLAUDE.md, ./.claude/CLAUDE.md, every ./.claude/rules/*.md without
 *   `paths` front matter, and ./CLAUDE.local.md, all together (docs.claude.com …/claude-code/memory;
 *   the loader in the @anthropic-ai/claude-code 2.1.197 binary). It does not read AGENTS.md.
 * - Codex reads per directory from the git root down: AGENTS.override.md, else AGENTS.md (one
 *   file per directory), project files capped at project_doc_max_bytes = 32 KiB
 *   (developers.openai.com/codex/guides/agents-md; strings of the codex 0.169 binary). So an
 *   override must carry the user's AGENTS.md too, or Codex would lose it.
 * - Gemini CLI reads GEMINI.md upward from the working directory to the git root; the setting
 *   `context.fileName` (string or list, may hold a relative path) adds names; the default
 *   GEMINI.md stays first (geminicli.com/docs/cli/gemini-md; @google/gemini-cli 0.61
 *   memoryDiscovery / setGeminiMdFilename). The workspace `.gemini/settings.json` is read only
 *   in a trusted folder, which our gemini adapter makes so (GEMINI_CLI_TRUST_WORKSPACE=true).
 *   That setting replaces (does not merge with) a user-level `context.fileName`.
 * - OpenCode takes the first of AGENTS.md, CLAUDE.md, CONTEXT.md found upward (with its
 *   `.local.md` variant), so a new AGENTS.md would hide the user's CLAUDE.md; the
 *   `instructions` list of a project opencode.json is concatenated with the global one and
 *   loaded in addition (opencode.ai/docs/rules; anomalyco/opencode session/instruction.ts and
 *   config.ts mergeConfigConcatArrays).
 * - Cursor Agent reads AGENTS.md and .cursor/rules/*.mdc; `alwaysApply: true` attaches a rule
 *   to every request (cursor.com/docs rules pages, as summarised by third-party guides: the
 *   official CLI page was not in reach, so this one is the least certain).
 * - Copilot CLI reads AGENTS.md (root, cwd) and .github/copilot-instructions.md, both used
 *   when both exist; also CLAUDE.md and GEMINI.md at the repository root
 *   (docs.github.com …/copilot-cli/customize-copilot/add-custom-instructions).
 */

/** The document every runtime gets, in the work directory. */
export const ISSUE_FILE = ".multica/ISSUE.md";

/** Files the runner may create (relative to the work directory). */
export const WRITABLE_PATHS = [
  ISSUE_FILE,
  "CLAUDE.md",
  "CLAUDE.local.md",
  ".claude/rules/multica-task.md",
  "AGENTS.md",
  "AGENTS.override.md",
  "GEMINI.md",
  ".gemini/settings.json",
  "opencode.json",
  ".cursor/rules/multica-task.mdc",
  ".github/copilot-instructions.md",
] as const;

/** Files whose presence changes the plan without ever being written. */
const OBSERVED_PATHS = ["AGENTS.local.md", "CLAUDE.local.md", "CONTEXT.md", "opencode.jsonc"];

/** Every path whose owner the planner asks about. */
export const CANDIDATE_PATHS: readonly string[] = [...new Set<string>([...WRITABLE_PATHS, ...OBSERVED_PATHS])];

/** Codex stops reading project files at this many bytes (project_doc_max_bytes default). */
export const CODEX_DOC_BUDGET = 32 * 1024;

export interface Ownership {
  /** True when the path is the user's: present and not written by us, tracked, or unsafe to write. */
  isUsers(path: string): boolean;
  /** Text of a user file the plan merges into ours (AGENTS.md for Codex); null if unreadable. */
  userText(path: string): string | null;
}

export interface PlannedFile {
  path: string;
  content: string;
}

export interface ContextPlan {
  files: PlannedFile[];
  promptPreamble: string | null;
  notes: string[];
}

/** The files to write for `runtime` (an agent CLI key, or `command:<name>`). */
export function planContextFiles(runtime: string, doc: string, own: Ownership): ContextPlan {
  const plan: ContextPlan = { files: [], promptPreamble: null, notes: [] };
  const free = (path: string) => !own.isUsers(path);
  const issueOurs = free(ISSUE_FILE);
  if (issueOurs) plan.files.push({ path: ISSUE_FILE, content: doc });
  else plan.notes.push(`${ISSUE_FILE} belongs to the repository; the runner did not write it`);
  const firstFree = (paths: string[], content: string) => {
    const path = paths.find(free);
    if (path === undefined) plan.promptPreamble = doc;
    else plan.files.push({ path, content });
  };

  switch (runtime.startsWith("command:") ? "command" : runtime) {
    case "command":
      // Commands get the prompt and MULTICA_* variables; .multica/ISSUE.md is there for them.
      break;
    case "claude":
      firstFree(["CLAUDE.md", "CLAUDE.local.md", ".claude/rules/multica-task.md"], doc);
      break;
    case "codex":
      planCodex(plan, doc, own, issueOurs);
      break;
    case "gemini":
      if (free("GEMINI.md")) plan.files.push({ path: "GEMINI.md", content: doc });
      else if (issueOurs) firstFree([".gemini/settings.json"], `${JSON.stringify({ context: { fileName: ["GEMINI.md", ISSUE_FILE] } }, null, 2)}\n`);
      else plan.promptPreamble = doc;
      break;
    case "opencode":
      if (["AGENTS.md", "AGENTS.local.md", "CLAUDE.md", "CLAUDE.local.md", "CONTEXT.md"].every(free)) {
        plan.files.push({ path: "AGENTS.md", content: doc });
      } else if (issueOurs && free("opencode.jsonc")) {
        firstFree(["opencode.json"], `${JSON.stringify({ $schema: "https://opencode.ai/config.json", instructions: [ISSUE_FILE] }, null, 2)}\n`);
      } else {
        plan.promptPreamble = doc;
      }
      break;
    case "cursor-agent":
      if (free("AGENTS.md")) plan.files.push({ path: "AGENTS.md", content: doc });
      else firstFree([".cursor/rules/multica-task.mdc"], `---\ndescription: Task context from Multica\nalwaysApply: true\n---\n\n${doc}`);
      break;
    case "copilot":
      firstFree(["AGENTS.md", ".github/copilot-instructions.md"], doc);
      break;
    default:
      // A CLI we know nothing about: the prompt is the one place it surely reads.
      plan.promptPreamble = doc;
  }
  return plan;
}

/** Codex: AGENTS.md when free; else AGENTS.override.md holding the user's AGENTS.md, then ours. */
function planCodex(plan: ContextPlan, doc: string, own: Ownership, issueOurs: boolean): void {
  if (own.isUsers("AGENTS.override.md")) {
    plan.promptPreamble = doc;
    return;
  }
  let path = "AGENTS.md";
  let content = doc;
  if (own.isUsers("AGENTS.md")) {
    const theirs = own.userText("AGENTS.md");
    if (theirs === null) {
      plan.promptPreamble = doc;
      return;
    }
    path = "AGENTS.override.md";
    content = `${theirs.trimEnd()}\n\n${doc}`;
  }
  plan.files.push({ path, content });
  if (Buffer.byteLength(content) > CODEX_DOC_BUDGET) {
    plan.notes.push(`${path} is over Codex's ${CODEX_DOC_BUDGET / 1024} KiB limit for project instructions; its end will be cut`);
    if (issueOurs) plan.promptPreamble = `The full task context (instructions, issue and every comment) is in ${ISSUE_FILE}; read it before you start.\n`;
    else plan.promptPreamble = doc;
  }
}
