/**
 * The dashboard's board and session in real browsers (Chromium via playwright-core) against a real
 * control plane: sign in with a token into a session cookie, create an issue inline, drag and
 * keyboard moves, edits on the issue page, all seen live by a second browser; the workspace
 * switcher; the cookie refused across origins, and sign-out revoking it. Screenshots land in
 * test-artifacts/ui/.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { waitFor } from "../helpers/control-plane";
import { card, column, screenshot, signIn } from "./browser";
import { startWorld, type World } from "./world";

let w: World;
beforeAll(async () => {
  w = await startWorld();
}, 120_000);
afterAll(async () => {
  await w?.close();
});

describe("the dashboard's board", () => {
  it("signs in with a token into an HttpOnly, SameSite=Strict session cookie, and refuses a bad token", async () => {
    await w.a.page.goto(w.cp.url);
    await w.a.page.getByLabel("Access token").fill("mca_not-a-real-token");
    await w.a.page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => w.a.page.getByRole("alert").textContent()).toContain("invalid or revoked token");
    expect(await w.a.page.getByText(".multica/admin.json").count()).toBe(1);
    await screenshot(w.a.page, "sign-in");

    await signIn(w.a.page, w.cp.url, w.cp.adminToken);
    const [cookie] = (await w.a.context.cookies()).filter((c) => c.name === "multica_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/api/" });
    // The browser holds a session token of its own, never the token that was pasted.
    expect(cookie!.value).not.toBe(w.cp.adminToken);
    expect(await w.a.page.evaluate("document.cookie")).toBe("");
    await signIn(w.b.page, w.cp.url, w.cp.adminToken);
  });

  it("creates an issue inline, and a second browser sees it appear", async () => {
    await w.a.page.getByRole("button", { name: "New issue in Todo" }).click();
    await w.a.page.getByLabel("New issue title in Todo").fill("Make the login page faster");
    await w.a.page.keyboard.press("Enter");
    await card(w.a.page, "Make the login page faster").waitFor();
    await w.a.page.keyboard.press("Escape");
    await column(w.b.page, "Todo").locator(".card", { hasText: "Make the login page faster" }).waitFor({ timeout: 10_000 });
    expect((await w.issueByTitle("Make the login page faster"))?.status).toBe("todo");
  });

  it("drags a card to another column and between cards; the other browser follows", async () => {
    for (const title of ["Review A", "Review B"]) await w.cp.api.post("/issues", { title, status: "in_review" });
    await column(w.a.page, "In review").locator(".card").nth(1).waitFor();
    // Onto the first card of In review: it lands above it, at the top of the column.
    await card(w.a.page, "Make the login page faster").dragTo(card(w.a.page, "Review A"), { targetPosition: { x: 40, y: 4 } });
    await waitFor(async () => (await w.issueByTitle("Make the login page faster"))?.status === "in_review", 10_000, "the move to be stored");
    const titles = () => column(w.b.page, "In review").locator(".card-title").allTextContents();
    await expect.poll(titles, { timeout: 10_000 }).toEqual(["Make the login page faster", "Review A", "Review B"]);
    expect(await column(w.b.page, "Todo").locator(".card", { hasText: "Make the login page faster" }).count()).toBe(0);
  });

  it("moves a card with the keyboard and with its menu, for those who do not drag", async () => {
    const title = card(w.a.page, "Review B").getByRole("link");
    await title.focus();
    await w.a.page.keyboard.press("Alt+ArrowUp");
    await expect.poll(() => column(w.b.page, "In review").locator(".card-title").allTextContents(), { timeout: 10_000 }).toEqual(["Make the login page faster", "Review B", "Review A"]);
    await w.a.page.keyboard.press("Alt+ArrowRight");
    await column(w.b.page, "Done").locator(".card", { hasText: "Review B" }).waitFor({ timeout: 10_000 });
    // The menu: open with the keyboard, pick Blocked.
    await card(w.a.page, "Review A").getByRole("button", { name: "Move" }).focus();
    await w.a.page.keyboard.press("Enter");
    await w.a.page.getByRole("menuitemradio", { name: "Blocked" }).click();
    await column(w.b.page, "Blocked").locator(".card", { hasText: "Review A" }).waitFor({ timeout: 10_000 });
  });

  it("edits an issue's description, priority and labels and adds a sub-issue; the other browser's board follows", async () => {
    const { body } = await w.cp.api.post<{ issue: { id: string } }>("/issues", { title: "Tidy the settings screen", status: "todo" });
    await w.b.page.goto(`${w.cp.url}/w/${w.cp.workspaceId}/board`);
    await card(w.b.page, "Tidy the settings screen").waitFor();
    await w.a.page.goto(`${w.cp.url}/w/${w.cp.workspaceId}/issues/${body.issue.id}`);
    await w.a.page.getByRole("button", { name: "Edit description" }).click();
    await w.a.page.getByLabel("Description (Markdown)").fill("## Steps\n\n- group the **toggles**\n- drop the dead links");
    await w.a.page.getByRole("button", { name: "Save", exact: true }).click();
    await w.a.page.locator(".description").getByRole("heading", { name: "Steps" }).waitFor();
    await w.a.page.getByLabel("Priority", { exact: true }).selectOption("high");
    await w.a.page.getByLabel("Add a label").fill("ui");
    await w.a.page.keyboard.press("Enter");
    await w.a.page.getByLabel("New sub-issue title").fill("Group the toggles");
    await w.a.page.keyboard.press("Enter");
    await w.a.page.locator(".sub-issues").getByRole("link", { name: "Group the toggles" }).waitFor();
    const other = card(w.b.page, "Tidy the settings screen");
    await other.getByText("ui", { exact: true }).waitFor({ timeout: 10_000 });
    await other.getByRole("img", { name: "High priority" }).waitFor();
    await card(w.b.page, "Group the toggles").waitFor();
    const stored = (await w.cp.api.get<{ issue: { body: string; priority: string; labels: string[] }; children: { title: string }[] }>(`/issues/${body.issue.id}`)).body;
    expect(stored.issue).toMatchObject({ priority: "high", labels: ["ui"], body: "## Steps\n\n- group the **toggles**\n- drop the dead links" });
    expect(stored.children.map((c) => c.title)).toEqual(["Group the toggles"]);
  });

  it("switches workspaces: the board shows the other workspace's issues only", async () => {
    const made = await fetch(`${w.cp.url}/api/v1/workspaces`, { method: "POST", headers: { authorization: `Bearer ${w.cp.adminToken}`, "content-type": "application/json" }, body: JSON.stringify({ name: "Side Project", slug: "side-project" }) });
    const other = ((await made.json()) as { workspace: { id: string } }).workspace.id;
    await w.cp.api.in(other).post("/issues", { title: "Only in the side project" });
    await w.a.page.goto(`${w.cp.url}/w/${w.cp.workspaceId}/board`);
    await w.a.page.getByLabel("Workspace").selectOption({ label: "Side Project (owner)" });
    await card(w.a.page, "Only in the side project").waitFor();
    expect(w.a.page.url()).toBe(`${w.cp.url}/w/${other}/board`);
    expect(await card(w.a.page, "Review A").count()).toBe(0);
    await w.a.page.getByLabel("Workspace").selectOption({ label: "default (owner)" });
    await card(w.a.page, "Review A").waitFor();
    expect(await card(w.a.page, "Only in the side project").count()).toBe(0);
  });

  it("refuses the session cookie on writes and WebSocket upgrades from another origin", async () => {
    const [cookie] = (await w.a.context.cookies()).filter((c) => c.name === "multica_session");
    const jar = `multica_session=${cookie!.value}`;
    const issues = `${w.cp.url}/api/v1/workspaces/${w.cp.workspaceId}/issues`;
    const write = (origin: string, type = "application/json") =>
      fetch(issues, { method: "POST", headers: { cookie: jar, origin, "content-type": type }, body: JSON.stringify({ title: "via cookie" }) });
    expect((await write("https://evil.example")).status).toBe(403);
    expect((await write(w.cp.url, "text/plain")).status).toBe(415);
    expect((await write(w.cp.url)).status).toBe(201);
    expect((await fetch(issues, { headers: { cookie: jar } })).status).toBe(200);
    // What a page on another site would get opening the live feed with the visitor's cookie.
    const upgrade = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${w.cp.url.replace("http", "ws")}/api/v1/workspaces/${w.cp.workspaceId}/live`, { headers: { cookie: jar, origin } });
        ws.once("open", () => (ws.close(), resolve(101)));
        ws.once("unexpected-response", (_req, res) => (ws.terminate(), resolve(res.statusCode ?? 0)));
        ws.once("error", reject);
      });
    expect(await upgrade("https://evil.example")).toBe(403);
    expect(await upgrade(w.cp.url)).toBe(101);
    const signIn = await fetch(`${w.cp.url}/api/v1/session`, { method: "POST", headers: { origin: "https://evil.example", "content-type": "application/json" }, body: JSON.stringify({ token: w.cp.adminToken }) });
    expect(signIn.status).toBe(403);
  });

  it("signs out: the session token is revoked, not only forgotten", async () => {
    const [cookie] = (await w.b.context.cookies()).filter((c) => c.name === "multica_session");
    await w.b.page.getByRole("button", { name: "Sign out" }).click();
    await w.b.page.getByLabel("Access token").waitFor();
    const res = await fetch(`${w.cp.url}/api/v1/session`, { headers: { cookie: `multica_session=${cookie!.value}` } });
    expect(res.status).toBe(401);
    expect([...w.a.errors, ...w.b.errors]).toEqual([]);
  });

  it("sends a browser back to sign-in when its session is revoked elsewhere, at its next request", async () => {
    await w.a.page.goto(`${w.cp.url}/w/${w.cp.workspaceId}/board`);
    await card(w.a.page, "Review A").waitFor();
    const tokens = (await w.cp.api.get<{ tokens: { id: string; name: string; revokedAt: number | null }[] }>("/tokens")).body.tokens;
    for (const t of tokens.filter((t) => t.name === "dashboard session" && t.revokedAt === null)) await w.cp.api.delete(`/tokens/${t.id}`);
    // No reload: the next thing this browser asks of the API is refused, and it shows sign-in.
    await w.a.page.getByRole("button", { name: "New issue in Todo" }).click();
    await w.a.page.getByLabel("New issue title in Todo").fill("Never stored");
    await w.a.page.keyboard.press("Enter");
    await w.a.page.getByLabel("Access token").waitFor({ timeout: 10_000 });
    await expect.poll(() => new URL(w.a.page.url()).pathname).toBe("/signin");
  });
});
