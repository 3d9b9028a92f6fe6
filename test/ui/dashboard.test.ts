/**
 * The dashboard in a real browser (Chromium via playwright-core) against a real control plane
 * (wrangler dev) and a real runner running a fixture agent: sign in, create an issue inline,
 * drag and keyboard moves seen live by a second browser, assign an agent and watch its transcript
 * stream, cancel it, resume the stream across a control plane restart without losing or doubling
 * a line, and keep a 10,000-line transcript virtualized. Screenshots land in test-artifacts/ui/.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startControlPlane, waitFor, type TestControlPlane } from "../helpers/control-plane";
import { FIXTURES, startRunner, type RunnerProcess } from "../helpers/runner-process";
import { card, column, openBrowser, screenshot, signIn, type TestBrowser } from "./browser";

let cp: TestControlPlane;
let runner: RunnerProcess;
let a: TestBrowser;
let b: TestBrowser;
const agents = { slow: "", medium: "", bulk: "", claude: "" };

const count = (n: number, intervalMs: number) => ({ command: process.execPath, args: [`${FIXTURES}/count.mjs`, String(n), String(intervalMs)] });

beforeAll(async () => {
  cp = await startControlPlane({ LEASE_MS: "5000", HEARTBEAT_MS: "1000" });
  runner = startRunner({
    url: cp.url, token: await cp.runnerToken(), name: "ui-runner", concurrency: 4,
    commands: { slow: count(600, 50), medium: count(80, 100), bulk: count(10_000, 0) },
    // A stand-in Claude Code: thinking, text, a tool call and its result, usage and cost.
    agents: { claude: { binary: `${FIXTURES}/fake-claude.mjs` } },
  });
  await runner.waitForLog(/welcome/);
  for (const [key, name] of [["slow", "Fixer Bot"], ["medium", "Steady Bot"], ["bulk", "Bulk Bot"]] as const) {
    agents[key] = (await cp.api.post<{ agent: { id: string } }>("/agents", { name, runtimes: [`command:${key}`] })).body.agent.id;
  }
  agents.claude = (await cp.api.post<{ agent: { id: string } }>("/agents", { name: "Claude", runtimes: ["claude"] })).body.agent.id;
  // A board with some texture for the screenshots: priorities, labels, a member and an agent assigned.
  const me = (await (await fetch(`${cp.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${cp.adminToken}` } })).json()) as { userId: string };
  const seed = [
    { title: "Write the onboarding guide", status: "backlog", priority: "low", labels: ["docs"] },
    { title: "Rate-limit the public API", status: "todo", priority: "high", labels: ["api", "security"], assignee: { userId: me.userId } },
    { title: "Flaky upload test on CI", status: "todo", priority: "urgent", labels: ["bug", "ci"] },
    { title: "Dark mode for the board", status: "backlog", priority: "none", labels: ["ui"] },
    { title: "Ship the 0.1 release", status: "done", priority: "medium", labels: ["release"], assignee: { userId: me.userId } },
  ];
  for (const issue of seed) await cp.api.post("/issues", issue);
  [a, b] = await Promise.all([openBrowser(), openBrowser()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  runner?.signal("SIGKILL");
  await runner?.exited;
  await cp?.stop();
});

async function issueByTitle(title: string) {
  const res = await cp.api.get<{ issues: { id: string; status: string; title: string }[] }>(`/issues?q=${encodeURIComponent(title)}`);
  return res.body.issues.find((i) => i.title === title) ?? null;
}

describe("the dashboard", () => {
  it("signs in with a token into an HttpOnly, SameSite=Strict session cookie, and refuses a bad token", async () => {
    await a.page.goto(cp.url);
    await a.page.getByLabel("Access token").fill("mca_not-a-real-token");
    await a.page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => a.page.getByRole("alert").textContent()).toContain("invalid or revoked token");
    expect(await a.page.getByText(".multica/admin.json").count()).toBe(1);

    await signIn(a.page, cp.url, cp.adminToken);
    const [cookie] = (await a.context.cookies()).filter((c) => c.name === "multica_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/api/" });
    // The browser holds a session token of its own, never the token that was pasted.
    expect(cookie!.value).not.toBe(cp.adminToken);
    expect(await a.page.evaluate("document.cookie")).toBe("");
    await signIn(b.page, cp.url, cp.adminToken);
  });

  it("creates an issue inline, and a second browser sees it appear", async () => {
    await a.page.getByRole("button", { name: "New issue in Todo" }).click();
    await a.page.getByLabel("New issue title in Todo").fill("Make the login page faster");
    await a.page.keyboard.press("Enter");
    await card(a.page, "Make the login page faster").waitFor();
    await a.page.keyboard.press("Escape");
    await column(b.page, "Todo").locator(".card", { hasText: "Make the login page faster" }).waitFor({ timeout: 10_000 });
    expect((await issueByTitle("Make the login page faster"))?.status).toBe("todo");
  });

  it("drags a card to another column and between cards; the other browser follows", async () => {
    for (const title of ["Review A", "Review B"]) await cp.api.post("/issues", { title, status: "in_review" });
    await column(a.page, "In review").locator(".card").nth(1).waitFor();
    // Onto the first card of In review: it lands above it, at the top of the column.
    await card(a.page, "Make the login page faster").dragTo(card(a.page, "Review A"), { targetPosition: { x: 40, y: 4 } });
    await waitFor(async () => (await issueByTitle("Make the login page faster"))?.status === "in_review", 10_000, "the move to be stored");
    const titles = () => column(b.page, "In review").locator(".card-title").allTextContents();
    await expect.poll(titles, { timeout: 10_000 }).toEqual(["Make the login page faster", "Review A", "Review B"]);
    expect(await column(b.page, "Todo").locator(".card", { hasText: "Make the login page faster" }).count()).toBe(0);
  });

  it("moves a card with the keyboard and with its menu, for those who do not drag", async () => {
    const title = card(a.page, "Review B").getByRole("link");
    await title.focus();
    await a.page.keyboard.press("Alt+ArrowUp");
    await expect.poll(() => column(b.page, "In review").locator(".card-title").allTextContents(), { timeout: 10_000 }).toEqual(["Make the login page faster", "Review B", "Review A"]);
    await a.page.keyboard.press("Alt+ArrowRight");
    await column(b.page, "Done").locator(".card", { hasText: "Review B" }).waitFor({ timeout: 10_000 });
    // The menu: open with the keyboard, pick Blocked.
    await card(a.page, "Review A").getByRole("button", { name: "Move" }).focus();
    await a.page.keyboard.press("Enter");
    await a.page.getByRole("menuitemradio", { name: "Blocked" }).click();
    await column(b.page, "Blocked").locator(".card", { hasText: "Review A" }).waitFor({ timeout: 10_000 });
  });

  it("assigns an agent, streams its transcript live while the board shows it running, and cancels the run", async () => {
    await card(a.page, "Make the login page faster").getByRole("link").click();
    await a.page.getByLabel("Assignee").selectOption({ label: "Fixer Bot" });
    const transcript = a.page.getByRole("region", { name: "Transcript" });
    await transcript.getByText("line 3", { exact: true }).waitFor({ timeout: 20_000 });
    await expect.poll(() => a.page.getByTestId("run-status").textContent()).toBe("Running");
    // Still streaming: later lines keep arriving while we watch.
    await transcript.getByText("line 30", { exact: true }).waitFor({ timeout: 20_000 });
    await card(b.page, "Make the login page faster").getByText("Running").waitFor({ timeout: 10_000 });
    await screenshot(a.page, "issue-streaming");
    await screenshot(b.page, "board");

    await a.page.getByRole("button", { name: "Cancel run" }).click();
    await expect.poll(() => a.page.getByTestId("run-status").textContent(), { timeout: 20_000 }).toBe("Cancelled");
    await a.page.getByRole("button", { name: "Rerun" }).waitFor();
    await card(b.page, "Make the login page faster").getByText("Running").waitFor({ state: "detached", timeout: 10_000 });
    const issue = await issueByTitle("Make the login page faster");
    // D1 mirrors the run's end a moment after the Durable Object decided it.
    await waitFor(async () => (await cp.api.get<{ tasks: { status: string }[] }>(`/issues/${issue!.id}`)).body.tasks.some((t) => t.status === "cancelled"), 10_000, "the cancelled run in the issue's tasks");
  });

  it("mentions an agent with autocomplete, and the comment shows in both browsers", async () => {
    const issue = await issueByTitle("Make the login page faster");
    await b.page.goto(`${cp.url}/w/${cp.workspaceId}/issues/${issue!.id}`);
    const box = a.page.getByLabel("Comment");
    await box.click();
    await box.pressSequentially("Please look again @stea");
    await a.page.getByRole("option", { name: "@Steady-Bot" }).waitFor();
    await a.page.keyboard.press("Enter");
    await expect.poll(() => box.inputValue()).toBe("Please look again @Steady-Bot ");
    await a.page.getByRole("button", { name: "Comment", exact: true }).click();
    const posted = b.page.getByRole("article", { name: "Comment by admin" }).filter({ hasText: "Please look again" });
    await posted.waitFor({ timeout: 10_000 });
    // A reply from the other browser sits under the comment it answers, in both browsers.
    await posted.getByRole("button", { name: "Reply" }).click();
    await posted.getByLabel("Reply").fill("On it.");
    await posted.getByRole("button", { name: "Reply" }).click();
    const thread = a.page.getByRole("article", { name: "Comment by admin" }).filter({ hasText: "Please look again" });
    await thread.getByRole("article").getByText("On it.").waitFor({ timeout: 10_000 });
    // The mention started a run of that agent: it shows up in the run panel by itself.
    await expect.poll(() => a.page.getByRole("combobox", { name: "Run" }).locator("option").allTextContents(), { timeout: 20_000 }).toEqual(
      expect.arrayContaining([expect.stringContaining("Steady Bot")]),
    );
  });

  it("shows an agent CLI's run: text, thinking folded, the tool call with input and output folded, tokens and cost", async () => {
    const { body } = await cp.api.post<{ issue: { id: string } }>("/issues", { title: "Fix the redirect loop", assignee: { agentId: agents.claude } });
    await a.page.goto(`${cp.url}/w/${cp.workspaceId}/issues/${body.issue.id}`);
    const transcript = a.page.getByRole("region", { name: "Transcript" });
    await transcript.getByText("Finished", { exact: true }).waitFor({ timeout: 30_000 });
    await transcript.getByText("src/login.ts", { exact: true }).first().waitFor();
    const thinking = transcript.locator("details.t-thinking");
    expect(await thinking.getAttribute("open")).toBeNull();
    const tool = transcript.locator("details.t-tool", { hasText: "Read" });
    expect(await tool.getAttribute("open")).toBeNull();
    expect(await tool.locator("summary").textContent()).toContain('{"file_path":"src/login.ts"}');
    await tool.locator("summary").click();
    await tool.getByText("export function login() { return redirect('/login'); }").waitFor();
    await thinking.locator("summary").focus();
    await a.page.keyboard.press("Enter");
    await thinking.getByText("The redirect loop starts in the login handler").waitFor();
    const head = a.page.locator(".run-head");
    await expect.poll(() => head.textContent(), { timeout: 10_000 }).toContain("1.5k tokens");
    expect(await head.textContent()).toContain("$0.01");
    await screenshot(a.page, "issue-agent-run");
  });

  it("resumes a live transcript after the control plane restarts, without losing or doubling a line", async () => {
    const { body } = await cp.api.post<{ issue: { id: string } }>("/issues", { title: "Survive a restart", assignee: { agentId: agents.medium } });
    await a.page.goto(`${cp.url}/w/${cp.workspaceId}/issues/${body.issue.id}`);
    const transcript = a.page.getByRole("region", { name: "Transcript" });
    await transcript.getByText("line 5", { exact: true }).waitFor({ timeout: 20_000 });
    await cp.restart({ downMs: 500 });
    await a.page.getByText("Live", { exact: true }).waitFor({ timeout: 30_000 });
    await expect.poll(() => a.page.getByTestId("run-status").textContent(), { timeout: 40_000 }).toBe("Succeeded");
    // Every stored event exactly once, plus a divider per attempt (a restart may cost attempt 1
    // its lease, and attempt 2 then runs it again: both show, each whole).
    const task = await waitFor(async () => {
      const tasks = (await cp.api.get<{ tasks: { id: string; status: string }[] }>(`/issues/${body.issue.id}`)).body.tasks;
      return tasks.some((t) => t.status === "succeeded") ? tasks[0]!.id : null;
    }, 15_000, "the run in D1");
    const stored = (await cp.api.task(task, "?limit=5000")).body;
    const won = stored.attempts.find((t) => t.status === "succeeded")!;
    expect(stored.transcript.events.filter((e) => e.attempt === won.attempt && e.event.kind === "output")).toHaveLength(80);
    await expect.poll(() => transcript.getAttribute("data-rows")).toBe(String(stored.transcript.events.length + stored.attempts.length));
    await transcript.evaluate((el) => (el.scrollTop = 0));
    await transcript.getByText("line 1", { exact: true }).waitFor();
    // The success moves the issue to review and leaves a result comment, both shown without a reload.
    await expect.poll(() => a.page.getByLabel("Status", { exact: true }).inputValue(), { timeout: 25_000 }).toBe("in_review");
    await a.page.getByRole("article", { name: "Comment by Steady Bot" }).waitFor({ timeout: 25_000 });
    await screenshot(a.page, "issue");
  }, 120_000);

  it("keeps a 10,000-line transcript virtualized: few rows in the page, both ends reachable", async () => {
    const { body } = await cp.api.post<{ issue: { id: string } }>("/issues", { title: "A very long run", assignee: { agentId: agents.bulk } });
    await a.page.goto(`${cp.url}/w/${cp.workspaceId}/issues/${body.issue.id}`);
    const transcript = a.page.getByRole("region", { name: "Transcript" });
    await expect.poll(() => a.page.getByTestId("run-status").textContent(), { timeout: 60_000 }).toBe("Succeeded");
    await expect.poll(() => transcript.getAttribute("data-rows"), { timeout: 30_000 }).toBe("10003");
    await transcript.getByText("line 10000", { exact: true }).waitFor();
    expect(await transcript.locator(".vrow").count()).toBeLessThan(200);
    await transcript.evaluate((el) => (el.scrollTop = 0));
    await transcript.getByText("line 1", { exact: true }).waitFor();
    expect(await transcript.locator(".vrow").count()).toBeLessThan(200);
    await screenshot(a.page, "transcript-10k");
  }, 120_000);

  it("renders Markdown without letting it inject markup", async () => {
    const body = "# Plan\n\n**Bold** and [safe](https://example.com) and [bad](javascript:alert(1))\n\n<img src=x onerror=\"window.pwned=1\">";
    const { body: created } = await cp.api.post<{ issue: { id: string } }>("/issues", { title: "Markdown", body });
    await a.page.goto(`${cp.url}/w/${cp.workspaceId}/issues/${created.issue.id}`);
    const description = a.page.locator(".description .markdown");
    await description.getByRole("heading", { name: "Plan" }).waitFor();
    expect(await description.locator("strong").textContent()).toBe("Bold");
    expect(await description.getByRole("link").evaluateAll((links) => links.map((l) => l.getAttribute("href")))).toEqual(["https://example.com"]);
    expect(await description.locator("img").count()).toBe(0);
    expect(await description.textContent()).toContain("<img src=x");
    expect(await a.page.evaluate("window.pwned")).toBeUndefined();
  });

  it("shows each agent's record, saves an agent's settings, and lists the runner with its runtimes", async () => {
    await a.page.getByRole("link", { name: "Agents", exact: true }).click();
    const steady = a.page.getByRole("row", { name: /Steady Bot/ });
    // Steady Bot ran twice (the mention and the restart test); the page shows what its attempts came to.
    type Stats = { agentId: string; successRate: number | null; succeeded: number };
    const record = (await cp.api.get<{ stats: Stats[] }>("/agents/stats")).body.stats.find((x) => x.agentId === agents.medium)!;
    expect(record.succeeded).toBeGreaterThanOrEqual(2);
    await expect.poll(() => steady.getByRole("cell").nth(2).textContent(), { timeout: 15_000 }).toBe(`${Math.round(record.successRate! * 100)}%`);
    // The comment on its issue was a follow-up, so Fixer Bot may still be at it; its runner is online either way.
    expect(await a.page.getByRole("row", { name: /Fixer Bot/ }).getByRole("cell").nth(0).textContent()).toMatch(/^(Working|Idle)$/);
    await a.page.getByRole("row", { name: /Fixer Bot/ }).getByRole("button", { name: "Edit" }).click();
    const editor = a.page.getByRole("form", { name: "Settings of Fixer Bot" });
    await editor.getByLabel("Instructions").fill("Keep changes small.");
    await editor.getByLabel("Runs at once").fill("2");
    await editor.getByRole("button", { name: "Save agent" }).click();
    await waitFor(async () => {
      const agent = (await cp.api.get<{ agent: { instructions: string; maxConcurrentTasks: number } }>(`/agents/${agents.slow}`)).body.agent;
      return agent.instructions === "Keep changes small." && agent.maxConcurrentTasks === 2;
    }, 10_000, "the agent's new settings");
    await screenshot(a.page, "agents");

    await a.page.getByRole("link", { name: "Runners", exact: true }).click();
    const runnerCard = a.page.getByRole("article", { name: "ui-runner" });
    await runnerCard.getByText("Online", { exact: true }).waitFor();
    for (const key of ["command:slow", "command:medium", "command:bulk"]) await runnerCard.getByText(key, { exact: true }).waitFor();
    await screenshot(a.page, "runners");
  });

  it("edits an issue's description, priority and labels and adds a sub-issue; the other browser's board follows", async () => {
    const { body } = await cp.api.post<{ issue: { id: string } }>("/issues", { title: "Tidy the settings screen", status: "todo" });
    await b.page.goto(`${cp.url}/w/${cp.workspaceId}/board`);
    await card(b.page, "Tidy the settings screen").waitFor();
    await a.page.goto(`${cp.url}/w/${cp.workspaceId}/issues/${body.issue.id}`);
    await a.page.getByRole("button", { name: "Edit description" }).click();
    await a.page.getByLabel("Description (Markdown)").fill("## Steps\n\n- group the **toggles**\n- drop the dead links");
    await a.page.getByRole("button", { name: "Save", exact: true }).click();
    await a.page.locator(".description").getByRole("heading", { name: "Steps" }).waitFor();
    await a.page.getByLabel("Priority", { exact: true }).selectOption("high");
    await a.page.getByLabel("Add a label").fill("ui");
    await a.page.keyboard.press("Enter");
    await a.page.getByLabel("New sub-issue title").fill("Group the toggles");
    await a.page.keyboard.press("Enter");
    await a.page.locator(".sub-issues").getByRole("link", { name: "Group the toggles" }).waitFor();
    const other = card(b.page, "Tidy the settings screen");
    await other.getByText("ui", { exact: true }).waitFor({ timeout: 10_000 });
    await other.getByRole("img", { name: "High priority" }).waitFor();
    await card(b.page, "Group the toggles").waitFor();
    const stored = (await cp.api.get<{ issue: { body: string; priority: string; labels: string[] }; children: { title: string }[] }>(`/issues/${body.issue.id}`)).body;
    expect(stored.issue).toMatchObject({ priority: "high", labels: ["ui"], body: "## Steps\n\n- group the **toggles**\n- drop the dead links" });
    expect(stored.children.map((c) => c.title)).toEqual(["Group the toggles"]);
  });

  it("switches workspaces: the board shows the other workspace's issues only", async () => {
    const made = await fetch(`${cp.url}/api/v1/workspaces`, { method: "POST", headers: { authorization: `Bearer ${cp.adminToken}`, "content-type": "application/json" }, body: JSON.stringify({ name: "Side Project", slug: "side-project" }) });
    const other = ((await made.json()) as { workspace: { id: string } }).workspace.id;
    await cp.api.in(other).post("/issues", { title: "Only in the side project" });
    await a.page.goto(`${cp.url}/w/${cp.workspaceId}/board`);
    await a.page.getByLabel("Workspace").selectOption({ label: "Side Project (owner)" });
    await card(a.page, "Only in the side project").waitFor();
    expect(a.page.url()).toBe(`${cp.url}/w/${other}/board`);
    expect(await card(a.page, "Review A").count()).toBe(0);
    await a.page.getByLabel("Workspace").selectOption({ label: "default (owner)" });
    await card(a.page, "Review A").waitFor();
    expect(await card(a.page, "Only in the side project").count()).toBe(0);
  });

  it("fits a laptop screen and names every control, on the board and on an issue", async () => {
    // Every input, select, textarea, button and link has a name a screen reader can say.
    const unnamed = () =>
      a.page.evaluate(`[...document.querySelectorAll("input, select, textarea, button, a[href], [role=menuitemradio], [role=option]")]
        .filter((el) => el.getClientRects().length > 0)
        .filter((el) => !((el.labels && el.labels.length > 0) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") || el.textContent.trim()))
        .map((el) => el.outerHTML.slice(0, 120))`);
    await a.page.setViewportSize({ width: 1280, height: 800 });
    try {
      await a.page.getByRole("link", { name: "Board", exact: true }).click();
      await card(a.page, "Review A").waitFor();
      expect(await unnamed()).toEqual([]);
      // The page itself never scrolls sideways: the board scrolls within its own area.
      expect(await a.page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(1280);
      await card(a.page, "Make the login page faster").getByRole("link").click();
      await a.page.getByRole("region", { name: "Transcript" }).waitFor();
      expect(await unnamed()).toEqual([]);
      expect(await a.page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(1280);
      await screenshot(a.page, "issue-1280");
    } finally {
      await a.page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  it("refuses the session cookie on writes and WebSocket upgrades from another origin", async () => {
    const [cookie] = (await a.context.cookies()).filter((c) => c.name === "multica_session");
    const jar = `multica_session=${cookie!.value}`;
    const issues = `${cp.url}/api/v1/workspaces/${cp.workspaceId}/issues`;
    const write = (origin: string, type = "application/json") =>
      fetch(issues, { method: "POST", headers: { cookie: jar, origin, "content-type": type }, body: JSON.stringify({ title: "via cookie" }) });
    expect((await write("https://evil.example")).status).toBe(403);
    expect((await write(cp.url, "text/plain")).status).toBe(415);
    expect((await write(cp.url)).status).toBe(201);
    expect((await fetch(issues, { headers: { cookie: jar } })).status).toBe(200);
    // What a page on another site would get opening the live feed with the visitor's cookie.
    const upgrade = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${cp.url.replace("http", "ws")}/api/v1/workspaces/${cp.workspaceId}/live`, { headers: { cookie: jar, origin } });
        ws.once("open", () => (ws.close(), resolve(101)));
        ws.once("unexpected-response", (_req, res) => (ws.terminate(), resolve(res.statusCode ?? 0)));
        ws.once("error", reject);
      });
    expect(await upgrade("https://evil.example")).toBe(403);
    expect(await upgrade(cp.url)).toBe(101);
    const signIn = await fetch(`${cp.url}/api/v1/session`, { method: "POST", headers: { origin: "https://evil.example", "content-type": "application/json" }, body: JSON.stringify({ token: cp.adminToken }) });
    expect(signIn.status).toBe(403);
  });

  it("signs out: the session token is revoked, not only forgotten", async () => {
    const [cookie] = (await b.context.cookies()).filter((c) => c.name === "multica_session");
    await b.page.getByRole("button", { name: "Sign out" }).click();
    await b.page.getByLabel("Access token").waitFor();
    const res = await fetch(`${cp.url}/api/v1/session`, { headers: { cookie: `multica_session=${cookie!.value}` } });
    expect(res.status).toBe(401);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });
});
