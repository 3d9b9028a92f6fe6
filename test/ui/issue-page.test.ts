/**
 * The dashboard's issue page and agent pages in real browsers (Chromium via playwright-core)
 * against a real control plane and a real runner running fixture agents: assign an agent and watch
 * its transcript stream, cancel it, mention and reply, an agent CLI's folded thinking and tool
 * calls, a transcript resumed across a control plane restart without losing or doubling a line,
 * 10,000 lines kept virtualized, safe Markdown, the Agents and Runners pages, and laptop width.
 * Screenshots land in test-artifacts/ui/.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/control-plane";
import { card, column, screenshot, signIn } from "./browser";
import { startWorld, type World } from "./world";

let w: World;
beforeAll(async () => {
  w = await startWorld();
  await w.cp.api.post("/issues", { title: "Make the login page faster", status: "todo" });
  await Promise.all([signIn(w.a.page, w.cp.url, w.cp.adminToken), signIn(w.b.page, w.cp.url, w.cp.adminToken)]);
}, 120_000);
afterAll(async () => {
  // Whatever the tests did, neither page threw or logged an error (network drops aside).
  const errors = w ? [...w.a.errors, ...w.b.errors] : [];
  await w?.close();
  expect(errors).toEqual([]);
});

describe("the dashboard's issue page", () => {
  it("assigns an agent, streams its transcript live while the board shows it running, and cancels the run", async () => {
    await card(w.a.page, "Make the login page faster").getByRole("link").click();
    await w.a.page.getByLabel("Assignee").selectOption({ label: "Fixer Bot" });
    const transcript = w.a.page.getByRole("region", { name: "Transcript" });
    await transcript.getByText("line 3", { exact: true }).waitFor({ timeout: 20_000 });
    await expect.poll(() => w.a.page.getByTestId("run-status").textContent()).toBe("Running");
    // Still streaming: later lines keep arriving while we watch.
    await transcript.getByText("line 30", { exact: true }).waitFor({ timeout: 20_000 });
    await card(w.b.page, "Make the login page faster").getByText("Running").waitFor({ timeout: 10_000 });
    await screenshot(w.a.page, "issue-streaming");
    await screenshot(w.b.page, "board");

    await w.a.page.getByRole("button", { name: "Cancel run" }).click();
    await expect.poll(() => w.a.page.getByTestId("run-status").textContent(), { timeout: 20_000 }).toBe("Cancelled");
    await w.a.page.getByRole("button", { name: "Rerun" }).waitFor();
    await card(w.b.page, "Make the login page faster").getByText("Running").waitFor({ state: "detached", timeout: 10_000 });
    // The end of the run, once mirrored, is pushed like any change: the issue goes back to Todo on
    // the other browser's board, and the run's result comment shows on this page without a reload.
    await column(w.b.page, "Todo").locator(".card", { hasText: "Make the login page faster" }).waitFor({ timeout: 10_000 });
    await w.a.page.getByRole("article", { name: "Comment by Fixer Bot" }).getByText("cancelled by a member").waitFor({ timeout: 10_000 });
    expect(await w.a.page.getByLabel("Status", { exact: true }).inputValue()).toBe("todo");
    const issue = await w.issueByTitle("Make the login page faster");
    // D1 mirrors the run's end a moment after the Durable Object decided it.
    await waitFor(async () => (await w.cp.api.get<{ tasks: { status: string }[] }>(`/issues/${issue!.id}`)).body.tasks.some((t) => t.status === "cancelled"), 10_000, "the cancelled run in the issue's tasks");

    // Rerun starts a new run of the same agent; the panel follows it, and it cancels too.
    await w.a.page.getByRole("button", { name: "Rerun" }).click();
    await expect.poll(() => w.a.page.getByRole("combobox", { name: "Run" }).locator("option").count(), { timeout: 20_000 }).toBe(2);
    await w.a.page.getByRole("region", { name: "Transcript" }).getByText("line 3", { exact: true }).waitFor({ timeout: 20_000 });
    await w.a.page.getByRole("button", { name: "Cancel run" }).click();
    await expect.poll(() => w.a.page.getByTestId("run-status").textContent(), { timeout: 20_000 }).toBe("Cancelled");
  });

  it("mentions an agent with autocomplete, and the comment shows in both browsers", async () => {
    const issue = await w.issueByTitle("Make the login page faster");
    await w.b.page.goto(`${w.cp.url}/w/${w.cp.workspaceId}/issues/${issue!.id}`);
    const box = w.a.page.getByRole("textbox", { name: "Comment" });
    await box.click();
    await box.pressSequentially("Please look again @stea");
    await w.a.page.getByRole("option", { name: "@Steady-Bot" }).waitFor();
    await w.a.page.keyboard.press("Enter");
    await expect.poll(() => box.inputValue()).toBe("Please look again @Steady-Bot ");
    await w.a.page.getByRole("button", { name: "Comment", exact: true }).click();
    const posted = w.b.page.getByRole("article", { name: "Comment by admin" }).filter({ hasText: "Please look again" });
    await posted.waitFor({ timeout: 10_000 });
    // A reply from the other browser sits under the comment it answers, in both browsers.
    await posted.getByRole("button", { name: "Reply" }).click();
    await posted.getByLabel("Reply").fill("On it.");
    await posted.getByRole("button", { name: "Reply" }).click();
    const thread = w.a.page.getByRole("article", { name: "Comment by admin" }).filter({ hasText: "Please look again" });
    await thread.getByRole("article").getByText("On it.").waitFor({ timeout: 10_000 });
    // The mention started a run of that agent: it shows up in the run panel by itself.
    await expect.poll(() => w.a.page.getByRole("combobox", { name: "Run" }).locator("option").allTextContents(), { timeout: 20_000 }).toEqual(
      expect.arrayContaining([expect.stringContaining("Steady Bot")]),
    );
  });

  it("shows an agent CLI's run: text, thinking folded, the tool call with input and output folded, tokens and cost", async () => {
    const { body } = await w.cp.api.post<{ issue: { id: string } }>("/issues", { title: "Fix the redirect loop", assignee: { agentId: w.agents.claude } });
    await w.a.page.goto(`${w.cp.url}/w/${w.cp.workspaceId}/issues/${body.issue.id}`);
    const transcript = w.a.page.getByRole("region", { name: "Transcript" });
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
    await w.a.page.keyboard.press("Enter");
    await thinking.getByText("The redirect loop starts in the login handler").waitFor();
    const head = w.a.page.locator(".run-head");
    await expect.poll(() => head.textContent(), { timeout: 10_000 }).toContain("1.5k tokens");
    expect(await head.textContent()).toContain("$0.01");
    await screenshot(w.a.page, "issue-agent-run");
  });

  it("resumes a live transcript after the control plane restarts, without losing or doubling a line", async () => {
    const { body } = await w.cp.api.post<{ issue: { id: string } }>("/issues", { title: "Survive a restart", assignee: { agentId: w.agents.medium } });
    await w.a.page.goto(`${w.cp.url}/w/${w.cp.workspaceId}/issues/${body.issue.id}`);
    const transcript = w.a.page.getByRole("region", { name: "Transcript" });
    await transcript.getByText("line 5", { exact: true }).waitFor({ timeout: 20_000 });
    await w.cp.restart({ downMs: 500 });
    await w.a.page.getByText("Live", { exact: true }).waitFor({ timeout: 30_000 });
    await expect.poll(() => w.a.page.getByTestId("run-status").textContent(), { timeout: 40_000 }).toBe("Succeeded");
    // Every stored event exactly once, plus a divider per attempt (a restart may cost attempt 1
    // its lease, and attempt 2 then runs it again: both show, each whole).
    const task = await waitFor(async () => {
      const tasks = (await w.cp.api.get<{ tasks: { id: string; status: string }[] }>(`/issues/${body.issue.id}`)).body.tasks;
      return tasks.some((t) => t.status === "succeeded") ? tasks[0]!.id : null;
    }, 15_000, "the run in D1");
    const stored = (await w.cp.api.task(task, "?limit=5000")).body;
    const won = stored.attempts.find((t) => t.status === "succeeded")!;
    expect(stored.transcript.events.filter((e) => e.attempt === won.attempt && e.event.kind === "output")).toHaveLength(80);
    await expect.poll(() => transcript.getAttribute("data-rows")).toBe(String(stored.transcript.events.length + stored.attempts.length));
    await transcript.evaluate((el) => (el.scrollTop = 0));
    await transcript.getByText("line 1", { exact: true }).waitFor();
    // The success moves the issue to review and leaves a result comment, both shown without a reload.
    await expect.poll(() => w.a.page.getByLabel("Status", { exact: true }).inputValue(), { timeout: 25_000 }).toBe("in_review");
    await w.a.page.getByRole("article", { name: "Comment by Steady Bot" }).waitFor({ timeout: 25_000 });
    await screenshot(w.a.page, "issue");
  }, 120_000);

  it("keeps a 10,000-line transcript virtualized: few rows in the page, both ends reachable", async () => {
    const { body } = await w.cp.api.post<{ issue: { id: string } }>("/issues", { title: "A very long run", assignee: { agentId: w.agents.bulk } });
    await w.a.page.goto(`${w.cp.url}/w/${w.cp.workspaceId}/issues/${body.issue.id}`);
    const transcript = w.a.page.getByRole("region", { name: "Transcript" });
    await expect.poll(() => w.a.page.getByTestId("run-status").textContent(), { timeout: 60_000 }).toBe("Succeeded");
    await expect.poll(() => transcript.getAttribute("data-rows"), { timeout: 30_000 }).toBe("10003");
    await transcript.getByText("line 10000", { exact: true }).waitFor();
    expect(await transcript.locator(".vrow").count()).toBeLessThan(200);
    await transcript.evaluate((el) => (el.scrollTop = 0));
    await transcript.getByText("line 1", { exact: true }).waitFor();
    expect(await transcript.locator(".vrow").count()).toBeLessThan(200);
    await screenshot(w.a.page, "transcript-10k");
  }, 120_000);

  it("renders Markdown without letting it inject markup", async () => {
    const body = "# Plan\n\n**Bold** and [safe](https://example.com) and [bad](javascript:alert(1))\n\n<img src=x onerror=\"window.pwned=1\">";
    const { body: created } = await w.cp.api.post<{ issue: { id: string } }>("/issues", { title: "Markdown", body });
    await w.a.page.goto(`${w.cp.url}/w/${w.cp.workspaceId}/issues/${created.issue.id}`);
    const description = w.a.page.locator(".description .markdown");
    await description.getByRole("heading", { name: "Plan" }).waitFor();
    expect(await description.locator("strong").textContent()).toBe("Bold");
    expect(await description.getByRole("link").evaluateAll((links) => links.map((l) => l.getAttribute("href")))).toEqual(["https://example.com"]);
    expect(await description.locator("img").count()).toBe(0);
    expect(await description.textContent()).toContain("<img src=x");
    expect(await w.a.page.evaluate("window.pwned")).toBeUndefined();
  });

  it("shows each agent's record, saves an agent's settings, and lists the runner with its runtimes", async () => {
    await w.a.page.getByRole("link", { name: "Agents", exact: true }).click();
    const steady = w.a.page.getByRole("row", { name: /Steady Bot/ });
    // Steady Bot ran twice (the mention and the restart test); the page shows what its attempts came to.
    type Stats = { agentId: string; successRate: number | null; succeeded: number };
    const record = (await w.cp.api.get<{ stats: Stats[] }>("/agents/stats")).body.stats.find((x) => x.agentId === w.agents.medium)!;
    expect(record.succeeded).toBeGreaterThanOrEqual(2);
    await expect.poll(() => steady.getByRole("cell").nth(2).textContent(), { timeout: 15_000 }).toBe(`${Math.round(record.successRate! * 100)}%`);
    // The comment on its issue was a follow-up, so Fixer Bot may still be at it; its runner is online either way.
    expect(await w.a.page.getByRole("row", { name: /Fixer Bot/ }).getByRole("cell").nth(0).textContent()).toMatch(/^(Working|Idle)$/);
    await w.a.page.getByRole("row", { name: /Fixer Bot/ }).getByRole("button", { name: "Edit" }).click();
    const editor = w.a.page.getByRole("form", { name: "Settings of Fixer Bot" });
    await editor.getByLabel("Instructions").fill("Keep changes small.");
    await editor.getByLabel("Runs at once").fill("2");
    await editor.getByRole("button", { name: "Save agent" }).click();
    await waitFor(async () => {
      const agent = (await w.cp.api.get<{ agent: { instructions: string; maxConcurrentTasks: number } }>(`/agents/${w.agents.slow}`)).body.agent;
      return agent.instructions === "Keep changes small." && agent.maxConcurrentTasks === 2;
    }, 10_000, "the agent's new settings");
    await screenshot(w.a.page, "agents");

    await w.a.page.getByRole("link", { name: "Runners", exact: true }).click();
    const runnerCard = w.a.page.getByRole("article", { name: "ui-runner" });
    await runnerCard.getByText("Online", { exact: true }).waitFor();
    for (const key of ["command:slow", "command:medium", "command:bulk"]) await runnerCard.getByText(key, { exact: true }).waitFor();
    await screenshot(w.a.page, "runners");
  });

  it("fits a laptop screen and names every control, on the board and on an issue", async () => {
    // Every input, select, textarea, button and link has a name a screen reader can say.
    const unnamed = () =>
      w.a.page.evaluate(`[...document.querySelectorAll("input, select, textarea, button, a[href], [role=menuitemradio], [role=option]")]
        .filter((el) => el.getClientRects().length > 0)
        .filter((el) => !((el.labels && el.labels.length > 0) || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") || el.textContent.trim()))
        .map((el) => el.outerHTML.slice(0, 120))`);
    await w.a.page.setViewportSize({ width: 1280, height: 800 });
    try {
      await w.a.page.getByRole("link", { name: "Board", exact: true }).click();
      await card(w.a.page, "Flaky upload test on CI").waitFor();
      expect(await unnamed()).toEqual([]);
      // The page itself never scrolls sideways: the board scrolls within its own area.
      expect(await w.a.page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(1280);
      await card(w.a.page, "Make the login page faster").getByRole("link").click();
      await w.a.page.getByRole("region", { name: "Transcript" }).waitFor();
      expect(await unnamed()).toEqual([]);
      expect(await w.a.page.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(1280);
      await screenshot(w.a.page, "issue-1280");
    } finally {
      await w.a.page.setViewportSize({ width: 1440, height: 900 });
    }
  });
});
