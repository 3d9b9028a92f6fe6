// The job runner with skills: a real outbox, a real command agent process and the fake skills
// control plane over HTTP. Skills are fetched and installed before the agent starts, what the
// agent makes is proposed before the report, and fetch failures fail the attempt by their kind.
import { join } from "node:path";
import type { AgentEvent, AssignSkill, ControlTaskAssign } from "@multica/shared";
import { afterEach, describe, expect, it } from "vitest";
import { CommandAdapter } from "../agents/command";
import { RuntimeRegistry } from "../agents/registry";
import { JobRunner } from "../job-runner";
import { createMemoryLogger } from "../log";
import { Outbox } from "../outbox";
import { TempDirs } from "../workdir/test-repos";
import { FakeSkillsServer, RUNNER_TOKEN } from "./test-skills-server";

const dirs = new TempDirs();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await dirs.cleanup();
});

/** The agent: prints the installed skill's SKILL.md and writes a new skill next to it. */
const AGENT = `
const fs = require("node:fs");
console.log("sees: " + fs.readFileSync(".multica/skills/review/SKILL.md", "utf8").split("\\n")[1]);
fs.mkdirSync(".multica/skills/fresh", { recursive: true });
fs.writeFileSync(".multica/skills/fresh/SKILL.md", "---\\nname: fresh\\ndescription: made by the agent\\n---\\n");
`;

async function setup(url?: URL) {
  const server = await FakeSkillsServer.start();
  cleanups.push(() => server.close());
  const dataDir = await dirs.make("multica-skills-job-");
  const log = createMemoryLogger();
  const outbox = await Outbox.open(dataDir, log);
  cleanups.push(() => outbox.close());
  const adapter = new CommandAdapter(
    { name: "agent", command: process.execPath, args: ["-e", AGENT], env: {}, timeoutSeconds: 60 },
    { baseEnv: { PATH: process.env.PATH ?? "" }, cancelGraceMs: 200 },
  );
  const registry = new RuntimeRegistry([{ info: { key: "command:agent", version: null }, adapter }]);
  const jobs = new JobRunner({ outbox, registry, dataDir, url: url ?? server.url, token: RUNNER_TOKEN, concurrency: 2, log, onStarted: () => {} });
  cleanups.push(() => jobs.stopAll("test over"));
  const run = async (taskId: string, skills: AssignSkill[]) => {
    const msg: ControlTaskAssign = {
      type: "task.assign", taskId, attempt: 1, runtime: "command:agent", sentAt: Date.now(),
      issue: { id: "iss_skills01", key: "SK-1", title: "Skills", body: "", comments: [] },
      agent: { id: "agt_skills01", name: "agent", instructions: "" },
      prompt: "go", repository: null, limits: { idleTimeoutMs: null, timeoutMs: null }, resume: null, skills, agentToken: null,
    };
    jobs.assign(msg);
    const ref = { taskId, attempt: 1 };
    for (let i = 0; i < 400 && (await outbox.report(ref)) === null; i++) await new Promise((r) => setTimeout(r, 25));
    const events: AgentEvent[] = (await outbox.eventsAfter(ref, 0, 1000)).map((e) => e.event);
    return { report: await outbox.report(ref), events };
  };
  return { server, run };
}

const statusLines = (events: AgentEvent[]) => events.flatMap((e) => (e.kind === "status" ? [e.text] : []));

describe("job runner with skills", () => {
  it("installs the task's skills before the agent starts and proposes the skill it made before the report", async () => {
    const { server, run } = await setup();
    const hash = await server.addBundle("review", { "SKILL.md": "---\nname: review\ndescription: Review\n---\n" });
    const { report, events } = await run("tsk_skilljob1", [{ name: "review", version: 3, hash }]);
    expect(report).toMatchObject({ status: "succeeded" });
    const lines = statusLines(events);
    expect(lines).toContain("skills: fetched skill review v3 (1 file)");
    expect(lines).toContain("skills: review v3 in .multica/skills");
    expect(lines.at(-1)).toBe("skills: proposed the new skill fresh from .multica/skills/fresh for review (proposal prop_1)");
    expect(events.some((e) => e.kind === "output" && e.text === "sees: name: review")).toBe(true);
    const proposal = server.requests.find((r) => r.path === "/api/v1/runner/skill-proposals")?.body;
    expect(proposal).toMatchObject({ taskId: "tsk_skilljob1", attempt: 1, baseHash: null, files: [{ path: "SKILL.md", encoding: "utf8" }] });
  });

  it("fails the attempt as bad_config when a bundle does not exist, and as runner_lost when it cannot be fetched", async () => {
    const { run } = await setup();
    const gone = { name: "gone", version: 1, hash: "b".repeat(64) };
    const missing = await run("tsk_skilljob2", [gone]);
    expect(missing.report).toMatchObject({ status: "failed", failure: { kind: "bad_config" } });
    expect(missing.report?.exit.error).toMatch(/^skill gone v1: the control plane has no bundle/);

    const { run: runOffline } = await setup(new URL("http://127.0.0.1:9"));
    const offline = await runOffline("tsk_skilljob3", [gone]);
    expect(offline.report).toMatchObject({ status: "lost", failure: { kind: "runner_lost" } });
    expect(offline.report?.exit.error).toContain("skill gone v1: could not fetch its files");
  });
});
