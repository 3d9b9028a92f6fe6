import { join } from "node:path";
import { SKILL_LIMITS, type SkillFileInput } from "@multica/shared";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryLogger } from "../log";
import { git, makeRepo, TempDirs, writeFiles } from "../workdir/test-repos";
import { ensureBundles } from "./skill-cache";
import { harvestSkills } from "./skill-harvest";
import { installSkills } from "./skill-install";
import { FakeSkillsServer, RUNNER_TOKEN } from "./test-skills-server";

const dirs = new TempDirs();
const servers: FakeSkillsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await dirs.cleanup();
});

const skillMd = (name: string, body = "Do it.\n") => `---\nname: ${name}\ndescription: about ${name}\n---\n${body}`;
const TASK = { taskId: "tsk_harvest01", attempt: 2 };

/** A worktree with the user's own skill `mine`, and the workspace skills review and lint installed for Claude. */
async function setup() {
  const server = await FakeSkillsServer.start();
  servers.push(server);
  const skills = [
    { name: "review", version: 3, hash: await server.addBundle("review", { "SKILL.md": skillMd("review") }) },
    { name: "lint", version: 1, hash: await server.addBundle("lint", { "SKILL.md": skillMd("lint") }) },
  ];
  const source = { url: server.url, token: RUNNER_TOKEN, dataDir: await dirs.make("multica-skills-data-") };
  const base = await dirs.make();
  const repo = await makeRepo(join(base, "repo"), { "README.md": "# r\n", ".claude/skills/mine/SKILL.md": skillMd("mine") });
  const wt = join(base, "wt");
  await git(repo, "worktree", "add", "--quiet", "-b", "multica/bot/eng-1", wt);
  const installed = await installSkills(wt, "claude", await ensureBundles(skills, source));
  const log = createMemoryLogger();
  const status: string[] = [];
  const opts = { url: server.url, token: RUNNER_TOKEN, log, onStatus: (t: string) => status.push(t) };
  const proposals = () =>
    server.requests
      .filter((r) => r.path === "/api/v1/runner/skill-proposals")
      .map((r) => {
        const b = r.body as { taskId: string; attempt: number; baseHash: string | null; files: SkillFileInput[] };
        return { taskId: b.taskId, attempt: b.attempt, baseHash: b.baseHash, files: b.files.map((f) => f.path).sort() };
      });
  return { server, wt, installed, skills, log, status, opts, proposals };
}

describe("harvestSkills", () => {
  it("proposes a new skill and a changed one, but not unchanged ones (installed or the repository's)", async () => {
    const { wt, installed, skills, opts, status, proposals } = await setup();
    await writeFiles(wt, {
      ".claude/skills/review/SKILL.md": skillMd("review", "Look closer.\n"),
      ".claude/skills/fresh/SKILL.md": skillMd("fresh"),
      ".claude/skills/fresh/scripts/go.sh": "#!/bin/sh\n",
      ".claude/skills/not-a-skill/README.md": "no SKILL.md here\n",
    });
    const result = await harvestSkills({ installed, ...TASK }, opts);
    expect(result.proposed).toEqual([
      { name: "fresh", path: ".claude/skills/fresh", id: "prop_1", baseHash: null },
      { name: "review", path: ".claude/skills/review", id: "prop_2", baseHash: skills[0]?.hash },
    ]);
    expect(result.skipped).toEqual([]);
    expect(proposals()).toEqual([
      { ...TASK, baseHash: null, files: ["SKILL.md", "scripts/go.sh"] },
      { ...TASK, baseHash: skills[0]?.hash, files: ["SKILL.md"] },
    ]);
    expect(status).toEqual([
      "skills: proposed the new skill fresh from .claude/skills/fresh for review (proposal prop_1)",
      "skills: proposed the changed skill review (from v3) from .claude/skills/review for review (proposal prop_2)",
    ]);
  });

  it("proposes the repository's own skill when the agent changed it; nothing when nothing changed", async () => {
    const { wt, installed, opts, proposals } = await setup();
    expect(await harvestSkills({ installed, ...TASK }, opts)).toEqual({ proposed: [], unchanged: [], skipped: [] });
    expect(proposals()).toEqual([]);
    await writeFiles(wt, { ".claude/skills/mine/SKILL.md": skillMd("mine", "Better.\n") });
    const result = await harvestSkills({ installed, ...TASK }, opts);
    expect(result.proposed).toEqual([{ name: "mine", path: ".claude/skills/mine", id: "prop_1", baseHash: null }]);
  });

  it("counts a change back to the library's latest version as unchanged", async () => {
    const { server, wt, installed, opts } = await setup();
    await server.addBundle("lint", { "SKILL.md": skillMd("lint", "v2 text\n") }, 2);
    await writeFiles(wt, { ".claude/skills/lint/SKILL.md": skillMd("lint", "v2 text\n") });
    const result = await harvestSkills({ installed, ...TASK }, opts);
    expect(result).toEqual({ proposed: [], unchanged: [".claude/skills/lint"], skipped: [] });
  });

  it("skips folders over the limits and skills the control plane refuses, with log lines, and goes on", async () => {
    const { wt, installed, opts, log, status } = await setup();
    await writeFiles(wt, {
      ".claude/skills/huge/SKILL.md": skillMd("huge"),
      ".claude/skills/huge/big.bin": "x".repeat(SKILL_LIMITS.maxFileBytes + 1),
      ".claude/skills/nameless/SKILL.md": "no front matter\n",
      ".claude/skills/zeta/SKILL.md": skillMd("zeta"),
    });
    const result = await harvestSkills({ installed, ...TASK }, opts);
    expect(result.proposed.map((p) => p.name)).toEqual(["zeta"]);
    expect(result.skipped).toEqual([
      { path: ".claude/skills/huge", reason: `big.bin is ${SKILL_LIMITS.maxFileBytes + 1} bytes (at most ${SKILL_LIMITS.maxFileBytes})` },
      { path: ".claude/skills/nameless", reason: "POST /api/v1/runner/skill-proposals: invalid skill: SKILL.md has no name" },
    ]);
    expect(log.lines.filter((l) => l.includes(" warn ")).map((l) => l.replace(/^\S+ warn {2}/, ""))).toEqual([
      `task tsk_harvest01/2: skill folder .claude/skills/huge not proposed: big.bin is ${SKILL_LIMITS.maxFileBytes + 1} bytes (at most ${SKILL_LIMITS.maxFileBytes})`,
      "task tsk_harvest01/2: skill folder .claude/skills/nameless not proposed: POST /api/v1/runner/skill-proposals: invalid skill: SKILL.md has no name",
    ]);
    expect(status).toContain("skills: .claude/skills/nameless was not proposed: POST /api/v1/runner/skill-proposals: invalid skill: SKILL.md has no name");
  });

  it("never throws: an unreachable control plane and a spent time limit are logged", async () => {
    const { server, wt, installed, opts, log } = await setup();
    await writeFiles(wt, { ".claude/skills/fresh/SKILL.md": skillMd("fresh") });
    await server.close();
    servers.splice(0);
    const down = await harvestSkills({ installed, ...TASK }, opts);
    expect(down.proposed).toEqual([]);
    expect(down.skipped[0]?.reason).toContain("cannot reach the control plane");
    const late = await harvestSkills({ installed, ...TASK }, { ...opts, signal: AbortSignal.abort() });
    expect(late.skipped).toEqual([]);
    expect(log.lines.at(-1)).toContain("skill harvest stopped (time limit or runner stopping); .claude/skills/fresh and later folders were not looked at");
  });
});
