/**
 * The skills library in a real browser (Chromium via playwright-core) against a real control
 * plane (wrangler dev, D1 with FTS5): skills pushed through the API are found by search, a skill's
 * versions, files and the diff between versions are shown, and proposals a run left (posted as a
 * runner posts them) are reviewed, accepted and rejected. Screenshots: test-artifacts/ui/.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startControlPlane, type TestControlPlane } from "../helpers/control-plane";
import { openBrowser, screenshot, signIn, type TestBrowser } from "./browser";

let cp: TestControlPlane;
let browser: TestBrowser;

const skillMd = (name: string, description: string, body: string) => `---\nname: ${name}\ndescription: ${description}\n---\n\n# ${name}\n\n${body}\n`;
const files = (name: string, description: string, body: string, extra: Record<string, string> = {}) => [
  { path: "SKILL.md", content: skillMd(name, description, body) },
  ...Object.entries(extra).map(([path, content]) => ({ path, content })),
];

beforeAll(async () => {
  cp = await startControlPlane();
  const push = async (f: ReturnType<typeof files>) => expect((await cp.api.post("/skills", { files: f })).status).toBe(201);
  await push(files("release-notes", "Write release notes from merged PRs", "Group by area.", { "scripts/collect.sh": "git log --oneline\n" }));
  await push(files("release-notes", "Write release notes from merged PRs", "Group by area, newest first.", { "scripts/collect.sh": "git log --oneline --merges\n" }));
  await push(files("flaky-tests", "Find and fix flaky tests", "Rerun failing tests with a fixed seed."));
  await push(files("docker-build", "Speed up docker builds", "Use a cache mount for package downloads."));

  // Proposals come from runners, for an attempt the workspace knows: an assigned (queued) task.
  const { taskId } = await cp.api.assignNew(["command:skills"], "Prepare the v2 release");
  const v2 = (await cp.api.get<{ hash: string }>("/skills/release-notes/versions/2")).body.hash;
  const runnerToken = await cp.runnerToken();
  const propose = async (body: unknown) => {
    const res = await fetch(`${cp.url}/api/v1/runner/skill-proposals`, { method: "POST", headers: { authorization: `Bearer ${runnerToken}`, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
  };
  await propose({ taskId, attempt: 1, baseHash: v2, files: files("release-notes", "Write release notes from merged PRs", "Group by area, newest first; link each PR.", { "scripts/collect.sh": "git log --oneline --merges\n" }) });
  await propose({ taskId, attempt: 1, baseHash: null, files: files("pr-links", "Link pull requests in notes", "Use the full URL.") });

  browser = await openBrowser();
  await signIn(browser.page, cp.url, cp.adminToken);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await cp?.stop();
});

describe("skills library", () => {
  it("lists the library and finds a skill by full-text search", async () => {
    const page = browser.page;
    await page.getByRole("link", { name: "Skills" }).click();
    const all = page.getByRole("list", { name: "All skills" });
    await expect.poll(() => all.getByRole("link").allTextContents()).toEqual(["docker-build", "flaky-tests", "release-notes"]);
    await screenshot(page, "skills");

    // "seed" is only in flaky-tests' SKILL.md body: the search reads the files, not just names.
    await page.getByLabel("Search skills").fill("seed");
    const found = page.getByRole("list", { name: "Skills matching seed" });
    await expect.poll(() => found.getByRole("link").allTextContents()).toEqual(["flaky-tests"]);
    await page.getByLabel("Search skills").fill("kubernetes");
    await page.getByText("No skill matches “kubernetes”.").waitFor();
    await page.getByLabel("Search skills").fill("");
    await all.waitFor();
  });

  it("shows a skill's versions, its files, and the diff between two versions", async () => {
    const page = browser.page;
    await page.getByRole("list", { name: "All skills" }).getByRole("link", { name: "release-notes" }).click();
    await page.getByRole("heading", { name: "release-notes" }).waitFor();
    expect(await page.getByRole("button", { name: /^Version \d/ }).count()).toBe(2);
    const viewer = page.getByRole("region", { name: "Contents of SKILL.md" });
    await viewer.getByText("Group by area, newest first.").waitFor();

    // The file tree works from the keyboard: focus a file and press Enter.
    await page.getByRole("navigation", { name: "Files" }).getByRole("button", { name: "collect.sh" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("region", { name: "Contents of scripts/collect.sh" }).getByText("git log --oneline --merges").waitFor();
    const changes = page.getByRole("region", { name: "Changes to scripts/collect.sh" });
    await changes.locator(".d-del", { hasText: "-git log --oneline" }).waitFor();
    await changes.locator(".d-add", { hasText: "+git log --oneline --merges" }).waitFor();
    await screenshot(page, "skill-view");
    // Down to a small laptop: files and diffs wrap instead of pushing the page sideways.
    await page.setViewportSize({ width: 1024, height: 700 });
    expect(await page.locator(".page").evaluate((el) => el.scrollWidth - el.clientWidth)).toBe(0);
    await page.setViewportSize({ width: 1440, height: 900 });

    // Version 1's own files; compared with version 2 the change reads the other way round.
    await page.getByRole("button", { name: /^Version 1/ }).click();
    await page.getByRole("region", { name: "Contents of SKILL.md" }).getByText("Group by area.").waitFor();
    expect(await page.getByLabel("Compare from version").inputValue()).toBe("2");
    await page.getByRole("region", { name: "Changes to scripts/collect.sh" }).locator(".d-del", { hasText: "-git log --oneline --merges" }).waitFor();
  });

  it("reviews proposals from a run: accepts one as the next version, rejects the other", async () => {
    const page = browser.page;
    await page.getByRole("link", { name: "Skills", exact: true }).first().click();
    const changed = page.getByRole("listitem", { name: "Proposal release-notes" });
    await changed.getByText("Changed skill").waitFor();
    await changed.getByRole("button", { name: "Review changes" }).click();
    await changed.locator(".d-add", { hasText: "link each PR" }).waitFor();
    const created = page.getByRole("listitem", { name: "Proposal pr-links" });
    await created.getByText("New skill").waitFor();
    await screenshot(page, "skill-proposals");

    await changed.getByRole("button", { name: "Accept" }).click();
    await changed.waitFor({ state: "detached" });
    expect((await cp.api.get<{ skill: { latestVersion: number } }>("/skills/release-notes")).body.skill.latestVersion).toBe(3);
    await page.getByRole("list", { name: "All skills" }).getByText(/^v3 ·/).waitFor();

    await created.getByRole("button", { name: "Reject" }).click();
    await page.getByText("Nothing waiting.", { exact: false }).waitFor();
    expect((await cp.api.get("/skills/pr-links")).status).toBe(404);
    await page.getByLabel("Show proposals").selectOption("accepted");
    await page.getByRole("listitem", { name: "Proposal release-notes" }).getByText("became version 3").waitFor();
    expect(browser.errors).toEqual([]);
  });
});
