/**
 * Where each agent CLI reads project skills (Agent Skills format: `<dir>/<name>/SKILL.md`), and
 * therefore where skill-install.ts puts a task's skills and skill-harvest.ts looks for skills an
 * agent made. Pure data; the first folder of each list is the one the runner installs into, the
 * rest are other project folders the same CLI also reads (harvest looks there too).
 *
 * Checked against the vendors' docs and, where the CLI is installed here, its code (2026):
 * - Claude Code: `.claude/skills/<name>/` (code.claude.com/docs/en/skills; strings of the
 *   @anthropic-ai/claude-code 2.1 binary: "Create skills in .claude/skills/ or ~/.claude/skills/").
 * - Codex: `.agents/skills/`, from the working directory up to the repository root; `.codex/skills`
 *   is only the user folder under CODEX_HOME (developers.openai.com/codex/skills, table "Skill
 *   scope"; the codex 0.169 binary).
 * - Copilot CLI: `.github/skills`, `.claude/skills` or `.agents/skills` (docs.github.com …/copilot
 *   /how-tos/…/add-skills and concepts/agents/about-agent-skills).
 * - OpenCode: `.opencode/skills/<name>/` (plural; its glob `{skill,skills}/**\/SKILL.md` takes the
 *   singular too), plus `.claude/skills` and `.agents/skills` (opencode.ai/docs/skills; the
 *   opencode 1.18 binary).
 * - Gemini CLI: workspace skills in `.gemini/skills/` or the `.agents/skills/` alias
 *   (geminicli.com/docs/cli/using-agent-skills; @google/gemini-cli 0.61 Storage.getProjectSkillsDir).
 *   Workspace skills need a trusted folder, which our gemini adapter makes so.
 * - Cursor Agent: `.cursor/skills/` and `.agents/skills/`, plus `.claude/skills` and
 *   `.codex/skills` for compatibility (cursor.com/docs/skills).
 * - `command:<name>` runtimes: `.multica/skills/<name>/`, next to `.multica/ISSUE.md`; a command
 *   reads them if it wants to.
 */

/** Project skill folders per runtime, the install folder first. */
const SKILL_DIRS: Record<string, readonly string[]> = {
  claude: [".claude/skills"],
  codex: [".agents/skills"],
  copilot: [".github/skills", ".claude/skills", ".agents/skills"],
  opencode: [".opencode/skills", ".opencode/skill", ".claude/skills", ".agents/skills"],
  gemini: [".gemini/skills", ".agents/skills"],
  "cursor-agent": [".cursor/skills", ".agents/skills", ".claude/skills", ".codex/skills"],
  command: [".multica/skills"],
};

/** Every folder the runner may install into; used to recognise its own folders in a manifest. */
export const INSTALL_DIRS: readonly string[] = [...new Set(Object.values(SKILL_DIRS).map((dirs) => dirs[0] ?? ""))];

/** The project skill folders of `runtime` (install folder first); empty for a runtime we know nothing about. */
export function skillDirsFor(runtime: string): readonly string[] {
  return SKILL_DIRS[runtime.startsWith("command:") ? "command" : runtime] ?? [];
}
