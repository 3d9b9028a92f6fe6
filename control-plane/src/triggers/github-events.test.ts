// GitHub deliveries → Multica actions, on GitHub's documented example payloads (octokit/webhooks
// payload-examples/api.github.com, trimmed to the fields we read, shape kept), signed and verified
// the way the route will; and prompt templates filled from them.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fillTemplate, findMentions, mapGitHubEvent, type GitHubHookConfig } from "./github-events";
import { verifyGitHubSignature } from "./signatures";

const codertocat = { login: "Codertocat", id: 21031067, type: "User", site_admin: false };
const bug = { id: 1362934389, name: "bug", color: "d73a4a", default: true, description: "Something isn't working" };
const repository = { id: 186853002, name: "Hello-World", full_name: "Codertocat/Hello-World", html_url: "https://github.com/Codertocat/Hello-World" };
const issue = {
  url: "https://api.github.com/repos/Codertocat/Hello-World/issues/1",
  html_url: "https://github.com/Codertocat/Hello-World/issues/1",
  id: 444500041,
  number: 1,
  title: "Spelling error in the README file",
  user: codertocat,
  labels: [bug],
  state: "open",
  assignee: codertocat,
  assignees: [codertocat],
  body: "It looks like you accidently spelled 'commit' with two 't's.",
};
const pullRequest = {
  url: "https://api.github.com/repos/Codertocat/Hello-World/pulls/2",
  html_url: "https://github.com/Codertocat/Hello-World/pull/2",
  number: 2,
  state: "open",
  title: "Update the README with new information.",
  user: codertocat,
  body: "This is a pretty simple change that we need to pull into master.",
  assignee: null,
  assignees: [codertocat],
  labels: [bug],
  head: { ref: "changes", sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821" },
  base: { ref: "master", sha: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e" },
};

// issues/opened.payload.json, issues/labeled.payload.json, issues/assigned.payload.json
const issuesOpened = { action: "opened", issue, repository, sender: codertocat };
const issuesLabeled = { action: "labeled", issue, label: bug, repository, sender: codertocat };
const issuesAssigned = (login: string) => ({ action: "assigned", issue, assignee: { ...codertocat, login }, repository, sender: codertocat });
// issue_comment/created.payload.json
const issueComment = (body: string, user = codertocat) => ({
  action: "created",
  issue: { ...issue, body: issue.body },
  comment: {
    html_url: "https://github.com/Codertocat/Hello-World/issues/1#issuecomment-492700400",
    issue_url: issue.url,
    id: 492700400,
    user,
    body,
  },
  repository,
  sender: user,
});
// pull_request/opened.payload.json
const pullRequestOpened = { action: "opened", number: 2, pull_request: pullRequest, repository, sender: codertocat };
// pull_request_review_comment/created.payload.json
const reviewComment = (body: string) => ({
  action: "created",
  comment: { id: 284312630, path: "README.md", user: codertocat, body, html_url: "https://github.com/Codertocat/Hello-World/pull/2#discussion_r284312630" },
  pull_request: pullRequest,
  repository,
  sender: codertocat,
});
// ping/payload.json
const ping = { zen: "Anything added dilutes everything else.", hook_id: 109948940, hook: { type: "Repository", id: 109948940, events: ["*"] }, repository, sender: codertocat };

const config: GitHubHookConfig = { agentMentions: ["claude", "codex-max"] };
const dependabot = { login: "dependabot[bot]", id: 49699333, type: "Bot", site_admin: false };

describe("mapGitHubEvent: issues", () => {
  it("turns an opened issue into a Multica issue", () => {
    expect(mapGitHubEvent("issues", issuesOpened, config)).toEqual({
      kind: "create_issue",
      title: "Spelling error in the README file",
      body: "It looks like you accidently spelled 'commit' with two 't's.",
      url: "https://github.com/Codertocat/Hello-World/issues/1",
      labels: ["bug"],
    });
  });

  it("assigns the agent the issue is assigned to, or else the first one its body mentions", () => {
    expect(mapGitHubEvent("issues", issuesOpened, { agentMentions: ["codertocat"] })).toMatchObject({ assignAgent: "codertocat" });
    const mentioning = { ...issuesOpened, issue: { ...issue, assignees: [], body: "@codex-max could you fix this?" } };
    expect(mapGitHubEvent("issues", mentioning, config)).toMatchObject({ kind: "create_issue", assignAgent: "codex-max" });
  });

  it("with a trigger label, takes opened issues carrying it and labeled events adding it", () => {
    expect(mapGitHubEvent("issues", issuesOpened, { ...config, label: "Bug" })).toMatchObject({ kind: "create_issue" });
    expect(mapGitHubEvent("issues", issuesOpened, { ...config, label: "multica" })).toEqual({ kind: "ignore", reason: 'issue opened without the label "multica"' });
    expect(mapGitHubEvent("issues", issuesLabeled, { ...config, label: "bug" })).toMatchObject({ kind: "create_issue", url: issue.html_url });
    expect(mapGitHubEvent("issues", issuesLabeled, { ...config, label: "multica" })).toEqual({ kind: "ignore", reason: 'label "bug" is not the trigger label "multica"' });
    expect(mapGitHubEvent("issues", issuesLabeled, config)).toEqual({ kind: "ignore", reason: "no trigger label is configured" });
  });

  it("takes an assignment to an agent, not to a person", () => {
    expect(mapGitHubEvent("issues", issuesAssigned("Claude"), config)).toMatchObject({ kind: "create_issue", assignAgent: "claude" });
    expect(mapGitHubEvent("issues", issuesAssigned("octocat"), config)).toEqual({ kind: "ignore", reason: "issue assigned to octocat, who is not a configured agent" });
  });

  it("ignores other issue actions", () => {
    for (const action of ["edited", "closed", "unlabeled", "deleted"]) {
      expect(mapGitHubEvent("issues", { ...issuesOpened, action }, config)).toEqual({ kind: "ignore", reason: `issues.${action} is not a trigger` });
    }
  });
});

describe("mapGitHubEvent: comments", () => {
  it("ignores the documented comment, which mentions nobody", () => {
    const documented = issueComment("You are totally right! I'll get this fixed right away.");
    expect(mapGitHubEvent("issue_comment", documented, config)).toEqual({ kind: "ignore", reason: "comment mentions no configured agent" });
  });

  it("passes on a comment that @mentions agents, with the issue's URL", () => {
    const body = "@Claude can you fix this? cc @codex-max";
    expect(mapGitHubEvent("issue_comment", issueComment(body), config)).toEqual({ kind: "comment", issueUrl: issue.html_url, body, mentions: ["claude", "codex-max"] });
  });

  it("passes on a PR review comment that mentions an agent, with the PR's URL", () => {
    const body = "Maybe you should use more emojji on this line. @claude";
    expect(mapGitHubEvent("pull_request_review_comment", reviewComment(body), config)).toEqual({ kind: "comment", issueUrl: pullRequest.html_url, body, mentions: ["claude"] });
  });

  it("ignores comments from bots, edits, and comments without a body", () => {
    expect(mapGitHubEvent("issue_comment", issueComment("@claude done!", dependabot), config)).toEqual({ kind: "ignore", reason: "sent by bot dependabot[bot]" });
    const botAuthorOnly = { ...issueComment("@claude done!"), comment: { ...issueComment("").comment, body: "@claude done!", user: dependabot } };
    expect(mapGitHubEvent("issue_comment", botAuthorOnly, config)).toEqual({ kind: "ignore", reason: "comment written by a bot" });
    expect(mapGitHubEvent("issue_comment", { ...issueComment("@claude"), action: "edited" }, config)).toEqual({ kind: "ignore", reason: "issue_comment.edited is not a trigger" });
    const noBody = { ...issueComment(""), comment: { ...issueComment("").comment, body: null } };
    expect(mapGitHubEvent("issue_comment", noBody, config)).toMatchObject({ kind: "ignore" });
  });
});

describe("findMentions", () => {
  it("matches whole @names only, outside code and quotes", () => {
    expect(findMentions("hey @claude, and @CODEX-MAX.", config.agentMentions)).toEqual(["claude", "codex-max"]);
    expect(findMentions("mail me at me@claude.ai or ping @claude-bot or @claudette", config.agentMentions)).toEqual([]);
    expect(findMentions("run `@claude fix` or\n```\n@codex-max\n```", config.agentMentions)).toEqual([]);
    expect(findMentions("> @claude please fix\n\nThanks, it works now.", config.agentMentions)).toEqual([]);
    expect(findMentions("@c.laude", ["c.laude"])).toEqual(["c.laude"]);
    expect(findMentions("@cxlaude", ["c.laude", ""])).toEqual([]);
  });
});

describe("mapGitHubEvent: pull requests, ping and bad input", () => {
  it("turns an opened pull request into an issue titled 'PR #n: …'", () => {
    expect(mapGitHubEvent("pull_request", pullRequestOpened, config)).toEqual({
      kind: "create_issue",
      title: "PR #2: Update the README with new information.",
      body: "This is a pretty simple change that we need to pull into master.",
      url: "https://github.com/Codertocat/Hello-World/pull/2",
      labels: ["bug"],
    });
    const nullBody = { ...pullRequestOpened, pull_request: { ...pullRequest, body: null } }; // opened.with-null-body.json
    expect(mapGitHubEvent("pull_request", nullBody, config)).toMatchObject({ kind: "create_issue", body: "" });
    expect(mapGitHubEvent("pull_request", { ...pullRequestOpened, action: "closed" }, config)).toEqual({ kind: "ignore", reason: "pull_request.closed is not a trigger" });
    expect(mapGitHubEvent("pull_request", { ...pullRequestOpened, sender: dependabot }, config)).toMatchObject({ kind: "ignore" });
  });

  it("ignores ping, unhandled events and a missing event name", () => {
    expect(mapGitHubEvent("ping", ping, config)).toEqual({ kind: "ignore", reason: "ping" });
    expect(mapGitHubEvent("push", { ref: "refs/heads/main", sender: codertocat }, config)).toEqual({ kind: "ignore", reason: "push events are not handled" });
    expect(mapGitHubEvent(null, issuesOpened, config)).toEqual({ kind: "ignore", reason: "missing X-GitHub-Event header" });
  });

  it("ignores, with the field, a payload missing what it needs, and never throws", () => {
    const { title: _title, ...untitled } = issue;
    const reason = (mapGitHubEvent("issues", { ...issuesOpened, issue: untitled }, config) as { reason: string }).reason;
    expect(reason).toMatch(/^invalid issues payload: issue\.title: /);
    expect(mapGitHubEvent("issue_comment", { action: "created", sender: codertocat }, config)).toMatchObject({ kind: "ignore", reason: expect.stringMatching(/^invalid issue_comment payload: issue/) });
    for (const junk of [null, "text", 42, [], { action: 7 }, { sender: "x" }]) {
      expect(mapGitHubEvent("issues", junk, config), JSON.stringify(junk)).toMatchObject({ kind: "ignore" });
    }
  });
});

describe("a signed delivery, end to end", () => {
  const secret = "It's a Secret to Everybody";
  const raw = new TextEncoder().encode(JSON.stringify(issueComment("@claude please take this")));
  const header = `sha256=${createHmac("sha256", secret).update(raw).digest("hex")}`;

  it("verifies, parses and maps", async () => {
    expect(await verifyGitHubSignature(secret, raw, header)).toEqual({ ok: true });
    const action = mapGitHubEvent("issue_comment", JSON.parse(new TextDecoder().decode(raw)), config);
    expect(action).toMatchObject({ kind: "comment", mentions: ["claude"] });
  });

  it("refuses the same delivery with the mention swapped for another agent", async () => {
    const tampered = new TextEncoder().encode(new TextDecoder().decode(raw).replace("@claude", "@codex"));
    expect(await verifyGitHubSignature(secret, tampered, header)).toEqual({ ok: false, reason: "signature_mismatch" });
  });
});

describe("fillTemplate", () => {
  it("fills dotted paths from a delivery", () => {
    expect(fillTemplate("Fix {{issue.title}}: {{ issue.body }}", issuesOpened)).toBe("Fix Spelling error in the README file: It looks like you accidently spelled 'commit' with two 't's.");
    expect(fillTemplate("#{{issue.number}} open={{issue.assignee.site_admin}} first label {{issue.labels.0.name}}", issuesOpened)).toBe("#1 open=false first label bug");
    expect(fillTemplate("{{label}}", issuesLabeled)).toBe(JSON.stringify(bug));
  });

  it("writes '' for missing paths and nulls, and never reaches prototypes", () => {
    expect(fillTemplate("[{{issue.milestone.title}}][{{nope}}][{{issue.title.length}}]", issuesOpened)).toBe("[][][]");
    expect(fillTemplate("[{{pull_request.assignee}}]", pullRequestOpened)).toBe("[]");
    expect(fillTemplate("[{{constructor}}][{{__proto__}}][{{issue.toString}}][{{issue.constructor.name}}]", issuesOpened)).toBe("[][][][]");
    expect(fillTemplate("{{a.b}}", null)).toBe("");
  });

  it("evaluates nothing: anything but a path is left as written", () => {
    const template = "{{ issue.title.toUpperCase() }} {{issue['title']}} {{ 1+1 }} {{}}";
    expect(fillTemplate(template, issuesOpened)).toBe(template);
  });

  it("bounds the output, even when a large field repeats", () => {
    const big = { text: "x".repeat(100_000) };
    expect(fillTemplate("{{text}}".repeat(1000), big)).toHaveLength(16_000);
    expect(fillTemplate("{{issue.title}} and more", issuesOpened, 10)).toBe("Spelling e");
  });
});
