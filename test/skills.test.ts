/**
 * The skill library through the real control plane (wrangler dev, D1 with FTS5, raw runner
 * sockets): versions and diffs, zip import, validation and limits, search ranking, attachment
 * to agents and what a dispatched task carries, bundle fetch by runners, harvest proposals, and
 * usage statistics.
 */
import { zipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControlMessage, ControlTaskAssign } from "@multica/shared";
import { startControlPlane, waitFor, type TestControlPlane } from "./helpers/control-plane";
import { RawRunner } from "./helpers/sockets";

let cp: TestControlPlane;
let runnerToken: string;

beforeAll(async () => {
  cp = await startControlPlane();
  runnerToken = await cp.runnerToken();
});
afterAll(async () => {
  await cp?.stop();
});

const skillMd = (name: string, description: string, body = "Steps go here.") => `---\nname: ${name}\ndescription: ${description}\n---\n\n# ${name}\n\n${body}\n`;
const files = (name: string, description: string, body?: string, extra: Record<string, string> = {}) => ({
  files: [{ path: "SKILL.md", content: skillMd(name, description, body) }, ...Object.entries(extra).map(([path, content]) => ({ path, content }))],
});
type SkillResponse = { skill: { name: string; latestVersion: number; runs: number; succeeded: number; successRate: number | null }; version: { version: number; hash: string }; created: boolean };
const runnerFetch = (path: string, init: RequestInit = {}) =>
  fetch(`${cp.url}/api/v1/runner${path}`, { ...init, headers: { authorization: `Bearer ${runnerToken}`, "content-type": "application/json", ...(init.headers ?? {}) } });

describe("skill versions", () => {
  it("creates a skill, keeps identical uploads as they are, versions every change, and diffs two versions", async () => {
    const v1 = await cp.api.post<SkillResponse>("/skills", files("release-notes", "Write release notes from merged PRs", "Group by area.", { "scripts/collect.sh": "git log --oneline\n" }));
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({ skill: { name: "release-notes", latestVersion: 1 }, version: { version: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/) }, created: true });
    const same = await cp.api.post<SkillResponse>("/skills", files("release-notes", "Write release notes from merged PRs", "Group by area.", { "scripts/collect.sh": "git log --oneline\n" }));
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ created: false, version: { version: 1, hash: v1.body.version.hash } });
    const v2 = await cp.api.post<SkillResponse>("/skills", files("release-notes", "Write release notes from merged PRs", "Group by area, newest first.", { "scripts/collect.sh": "git log --oneline --merges\n" }));
    expect(v2.body.version.version).toBe(2);

    const shown = await cp.api.get<{ skill: { latestVersion: number }; versions: { version: number; author: { kind: string } }[] }>("/skills/release-notes");
    expect(shown.body.skill.latestVersion).toBe(2);
    expect(shown.body.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(shown.body.versions[0]?.author.kind).toBe("user");
    const one = await cp.api.get<{ files: { path: string; content: string; encoding: string }[] }>("/skills/release-notes/versions/1");
    expect(one.body.files.find((f) => f.path === "scripts/collect.sh")).toMatchObject({ content: "git log --oneline\n", encoding: "utf8" });
    const diff = await cp.api.get<{ diff: { path: string; status: string; patch: string | null }[] }>("/skills/release-notes/diff?from=1&to=2");
    expect(diff.body.diff.map((d) => [d.path, d.status])).toEqual([["SKILL.md", "changed"], ["scripts/collect.sh", "changed"]]);
    expect(diff.body.diff[1]?.patch).toMatch(/-git log --oneline\n\+git log --oneline --merges/);
    expect((await cp.api.get("/skills/release-notes/versions/9")).status).toBe(404);
  });

  it("imports a zip of one skill folder", async () => {
    const zip = zipSync({ "db-migrate/SKILL.md": new TextEncoder().encode(skillMd("db-migrate", "Plan and run Postgres schema migrations safely")), "db-migrate/references/checklist.md": new TextEncoder().encode("- back up first\n") });
    const res = await fetch(`${cp.url}/api/v1/workspaces/${cp.workspaceId}/skills`, { method: "POST", headers: { authorization: `Bearer ${cp.adminToken}`, "content-type": "application/zip" }, body: zip });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ skill: { name: "db-migrate", latestVersion: 1 } });
  });

  it("rejects invalid skills with every problem listed, and oversized uploads with 413", async () => {
    const bad = await cp.api.post<{ error: { code: string; message: string; details: { path: string | null; message: string }[] } }>("/skills", {
      files: [{ path: "SKILL.md", content: skillMd("Bad_Name", "x") }, { path: "../escape.sh", content: "rm -rf /" }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("bad_request");
    expect(bad.body.error.details.map((d) => d.path)).toEqual(expect.arrayContaining(["../escape.sh"]));
    expect(JSON.stringify(bad.body.error.details)).toMatch(/name/);
    const big = await cp.api.post<{ error: { message: string } }>("/skills", files("too-big", "A skill with a huge file", "x", { "assets/blob.txt": "x".repeat(600 * 1024) }));
    expect(big.status).toBe(400);
    expect(big.body.error.message).toMatch(/assets\/blob\.txt.*524288/);
    const huge = await cp.api.post<{ error: { code: string } }>("/skills", "x".repeat(9 * 1024 * 1024));
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe("payload_too_large");
    expect((await cp.api.get<{ skills: { name: string }[] }>("/skills")).body.skills.map((s) => s.name)).not.toContain("too-big");
  });
});

describe("search", () => {
  it("ranks by name, then description, then body", async () => {
    await cp.api.post("/skills", files("flaky-tests", "Find and fix flaky tests", "Rerun failing tests with a fixed seed."));
    await cp.api.post("/skills", files("docker-build", "Speed up docker builds", "Use a cache mount for postgres client packages."));
    const hits = await cp.api.get<{ skills: { name: string; rank: number }[] }>("/skills?q=postgres%20migrations");
    expect(hits.body.skills.map((s) => s.name)).toEqual(["db-migrate", "docker-build"]);
    const tests = await cp.api.get<{ skills: { name: string }[] }>("/skills?q=flaky");
    expect(tests.body.skills.map((s) => s.name)).toEqual(["flaky-tests"]);
    // FTS syntax in the query is just text.
    expect((await cp.api.get<{ skills: unknown[] }>(`/skills?q=${encodeURIComponent('"NEAR( * OR')}`)).status).toBe(200);
  });
});

describe("skills in runs", () => {
  it("dispatches the agent's skills by hash, serves bundles to runners, suggests matching ones, and counts runs", async () => {
    const agent = await cp.api.post<{ agent: { id: string } }>("/agents", { name: "writer", runtimes: ["command:skills"] });
    const agentId = agent.body.agent.id;
    expect((await cp.api.request("PUT", `/agents/${agentId}/skills/release-notes`, { version: 1 })).status).toBe(200);
    expect((await cp.api.request("PUT", `/agents/${agentId}/skills/flaky-tests`, { enabled: false })).status).toBe(200);
    expect((await cp.api.request("PUT", `/agents/${agentId}/skills/nope`, {})).status).toBe(404);
    const listed = await cp.api.get<{ skills: { name: string; runsWith: number; enabled: boolean }[] }>(`/agents/${agentId}/skills`);
    expect(listed.body.skills).toEqual([expect.objectContaining({ name: "flaky-tests", enabled: false }), expect.objectContaining({ name: "release-notes", runsWith: 1, enabled: true })]);

    const runner = await RawRunner.connect(cp.url, runnerToken);
    await runner.hello("rnr_skills0001", ["command:skills"]);
    const issue = await cp.api.post<{ issue: { id: string } }>("/issues", { title: "Prepare the postgres migration for v2", body: "Write release notes too." });
    const assigned = await cp.api.post<{ task: { taskId: string } }>(`/issues/${issue.body.issue.id}/assign`, { agentId });
    const taskId = assigned.body.task.taskId;
    const a = (await runner.next((m: ControlMessage) => m.type === "task.assign" && m.taskId === taskId)) as ControlTaskAssign;
    const v1 = (await cp.api.get<{ hash: string }>("/skills/release-notes/versions/1")).body.hash;
    expect(a.skills).toEqual([{ name: "release-notes", version: 1, hash: v1 }]);
    expect(a.prompt).toMatch(/Workspace skills that may help[\s\S]*`db-migrate`/);
    expect(a.prompt).not.toMatch(/may help[\s\S]*`release-notes`/);

    const bundle = await runnerFetch(`/skill-bundles/${v1}`);
    expect(bundle.status).toBe(200);
    expect(await bundle.json()).toMatchObject({ name: "release-notes", hash: v1, files: expect.arrayContaining([expect.objectContaining({ path: "scripts/collect.sh", content: "git log --oneline\n" })]) });
    expect((await runnerFetch(`/skill-bundles/${"0".repeat(64)}`)).status).toBe(404);
    expect((await runnerFetch("/skill-bundles/not-a-hash")).status).toBe(400);
    // Member tokens cannot use runner endpoints.
    expect((await fetch(`${cp.url}/api/v1/runner/skill-bundles/${v1}`, { headers: { authorization: `Bearer ${cp.adminToken}` } })).status).toBe(403);

    // The run changed the skill and made a new one: both are proposed; a resend changes nothing.
    const changed = { taskId, attempt: 1, baseHash: v1, files: files("release-notes", "Write release notes from merged PRs", "Group by area; link each PR.").files };
    const p1 = await runnerFetch("/skill-proposals", { method: "POST", body: JSON.stringify(changed) });
    expect(p1.status).toBe(201);
    const first = (await p1.json()) as { proposal: { id: string } };
    const again = await runnerFetch("/skill-proposals", { method: "POST", body: JSON.stringify(changed) });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { proposal: { id: string } }).proposal.id).toBe(first.proposal.id);
    const untouched = await runnerFetch("/skill-proposals", { method: "POST", body: JSON.stringify({ ...changed, files: files("flaky-tests", "Find and fix flaky tests", "Rerun failing tests with a fixed seed.").files, baseHash: null }) });
    expect(await untouched.json()).toEqual({ proposal: null, reason: "unchanged" });
    const created = await runnerFetch("/skill-proposals", { method: "POST", body: JSON.stringify({ taskId, attempt: 1, baseHash: null, files: files("pr-links", "Link pull requests in notes").files }) });
    const second = (await created.json()) as { proposal: { id: string } };
    expect((await runnerFetch("/skill-proposals", { method: "POST", body: JSON.stringify({ ...changed, taskId: "tsk_unknown00000" }) })).status).toBe(404);

    const pending = await cp.api.get<{ proposals: { id: string; name: string }[] }>("/skill-proposals?status=pending");
    expect(pending.body.proposals.map((p) => p.name).sort()).toEqual(["pr-links", "release-notes"]);
    const detail = await cp.api.get<{ diff: { path: string; patch: string }[] }>(`/skill-proposals/${first.proposal.id}`);
    expect(detail.body.diff[0]?.patch).toMatch(/\+Group by area; link each PR\./);
    const accepted = await cp.api.post<{ skill: { latestVersion: number } }>(`/skill-proposals/${first.proposal.id}/accept`);
    expect(accepted.body.skill.latestVersion).toBe(3);
    expect((await cp.api.post(`/skill-proposals/${first.proposal.id}/accept`)).status).toBe(409);
    expect((await cp.api.post(`/skill-proposals/${second.proposal.id}/reject`)).status).toBe(200);
    const history = await cp.api.get<{ versions: { version: number; author: { kind: string; id: string; attempt: number } }[] }>("/skills/release-notes");
    expect(history.body.versions[0]).toMatchObject({ version: 3, author: { kind: "task", id: taskId, attempt: 1, run: `/api/v1/workspaces/${cp.workspaceId}/tasks/${taskId}?attempt=1` } });
    expect((await cp.api.get<{ skills: { name: string }[] }>("/skills")).body.skills.map((s) => s.name)).not.toContain("pr-links");

    // The run succeeds: the skill's usage statistics count it.
    runner.send({ type: "task.started", taskId, attempt: 1 });
    runner.send({ type: "task.report", taskId, attempt: 1, status: "succeeded", lastSeq: 0, exit: { exitCode: 0, signal: null, error: null, durationMs: 1 }, sessionId: null, usage: null });
    const stats = await waitFor(async () => {
      const s = (await cp.api.get<{ skill: { runs: number; succeeded: number; successRate: number | null } }>("/skills/release-notes")).body.skill;
      return s.succeeded === 1 ? s : null;
    }, 10_000, "skill statistics");
    expect(stats).toMatchObject({ runs: 1, succeeded: 1, successRate: 1 });
    runner.close();
  });

  it("archives a skill: gone from lists and searches, cannot be attached, back with a new version", async () => {
    expect((await cp.api.post("/skills/docker-build/archive")).status).toBe(200);
    expect((await cp.api.get<{ skills: { name: string }[] }>("/skills")).body.skills.map((s) => s.name)).not.toContain("docker-build");
    expect((await cp.api.get<{ skills: { name: string }[] }>("/skills?q=docker")).body.skills).toEqual([]);
    const agent = await cp.api.post<{ agent: { id: string } }>("/agents", { name: "builder", runtimes: ["command:x"] });
    expect((await cp.api.request("PUT", `/agents/${agent.body.agent.id}/skills/docker-build`, {})).status).toBe(409);
    const back = await cp.api.post<SkillResponse>("/skills", files("docker-build", "Speed up docker builds", "Use BuildKit."));
    expect(back.body.skill.latestVersion).toBe(2);
    expect((await cp.api.get<{ skills: { name: string }[] }>("/skills?q=docker")).body.skills.map((s) => s.name)).toEqual(["docker-build"]);
  });
});
