/**
 * Skills end to end: a real control plane, a real runner process and its real `skills` CLI.
 * Push a folder of skills from a machine, attach one to an agent, run a task: the runner
 * installs the skill in the work dir, the agent improves it and writes a new one, and both come
 * back as proposals that a member accepts into the library, credited to the run.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startControlPlane, waitFor, type TestControlPlane } from "./helpers/control-plane";
import { FIXTURES, RUNNER_CLI, startRunner, type RunnerProcess } from "./helpers/runner-process";

let cp: TestControlPlane;
let runner: RunnerProcess;
let runnerToken: string;

beforeAll(async () => {
  cp = await startControlPlane();
  runnerToken = await cp.runnerToken();
  runner = startRunner({
    url: cp.url, token: runnerToken, name: "e2e-skills",
    commands: { learner: { command: process.execPath, args: [join(FIXTURES, "skill-agent.mjs")] } },
  });
  await runner.waitForLog(/welcome/, 30_000);
});

afterAll(async () => {
  runner?.signal("SIGKILL");
  await runner?.exited;
  await cp?.stop();
});

/** Runs `multica-runner skills …` as a user would. */
async function skillsCli(args: string[], token: string) {
  const r = await promisify(execFile)(process.execPath, [RUNNER_CLI, "skills", ...args, "--url", cp.url, "--token", token, "--json"], { env: { ...process.env, HOME: tmpdir() } }).catch((e: { code: number; stdout: string; stderr: string }) => e);
  return { code: "code" in r && typeof r.code === "number" ? r.code : 0, out: r.stdout, err: r.stderr };
}

it("push from a machine, attach, install in the run, harvest the agent's changes, accept them", async () => {
  // A machine's skills folder with two skills.
  const local = mkdtempSync(join(tmpdir(), "multica-local-skills-"));
  for (const [name, description] of [["release-notes", "Write release notes from merged pull requests"], ["triage", "Label and prioritise new issues"]] as const) {
    mkdirSync(join(local, name));
    writeFileSync(join(local, name, "SKILL.md"), `---\nname: ${name}\ndescription: ${description}\n---\n\nSteps.\n`);
  }
  const pushed = await skillsCli(["push", local], runnerToken);
  expect(pushed.code, pushed.err).toBe(0);
  const listed = await skillsCli(["list"], cp.adminToken);
  expect(JSON.parse(listed.out)).toMatchObject({ skills: [expect.objectContaining({ name: "release-notes" }), expect.objectContaining({ name: "triage" })] });
  const again = await skillsCli(["push", local], runnerToken);
  expect(again.code).toBe(0);
  expect(again.out).toMatch(/unchanged/);

  const agent = await cp.api.post<{ agent: { id: string } }>("/agents", { name: "learner", runtimes: ["command:learner"] });
  const attached = await skillsCli(["attach", agent.body.agent.id, "release-notes"], cp.adminToken);
  expect(attached.code, attached.err).toBe(0);
  const issue = await cp.api.post<{ issue: { id: string } }>("/issues", { title: "Release notes for 2.0" });
  const assigned = await cp.api.post<{ task: { taskId: string } }>(`/issues/${issue.body.issue.id}/assign`, { agentId: agent.body.agent.id });
  const taskId = assigned.body.task.taskId;
  const task = await waitFor(async () => {
    const t = (await cp.api.task(taskId)).body;
    return t.task.status === "succeeded" ? t : null;
  }, 30_000, "the task to succeed");
  const texts = task.transcript.events.map((e) => e.event.text ?? "");
  expect(texts).toContain("installed skill: release-notes");
  expect(texts).not.toContain("installed skill: triage");

  const proposals = await waitFor(async () => {
    const r = await cp.api.get<{ proposals: { id: string; name: string; taskId: string; baseHash: string | null }[] }>("/skill-proposals?status=pending");
    return r.body.proposals.length === 2 ? r.body.proposals : null;
  }, 10_000, "two proposals");
  expect(proposals.map((p) => [p.name, p.taskId, p.baseHash === null]).sort()).toEqual([["changelog-check", taskId, true], ["release-notes", taskId, false]]);
  for (const p of proposals) expect((await cp.api.post(`/skill-proposals/${p.id}/accept`)).status).toBe(200);

  const shown = await skillsCli(["show", "release-notes"], cp.adminToken);
  const body = JSON.parse(shown.out) as { versions: { version: number; author: { kind: string; id: string } }[] };
  expect(body.versions[0]).toMatchObject({ version: 2, author: { kind: "task", id: taskId } });
  const diff = await skillsCli(["diff", "release-notes", "1", "2"], cp.adminToken);
  expect(diff.out).toContain("Also link every pull request.");
  expect((await cp.api.get<{ skill: { runs: number; successRate: number } }>("/skills/release-notes")).body.skill).toMatchObject({ runs: 1, successRate: 1 });
});
