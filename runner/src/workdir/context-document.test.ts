import { describe, expect, it } from "vitest";
import { MAX_DOCUMENT_CHARS, renderContextDocument } from "./context-document";
import { CODEX_DOC_BUDGET, ISSUE_FILE, planContextFiles } from "./context-targets";

const subject = (comments: { author: string; body: string; createdAt: number }[]) => ({
  agent: { name: "Bot", instructions: "Be brief." },
  issue: { key: "ENG-1", title: "Title\nwith newline", body: "", comments },
});

describe("renderContextDocument", () => {
  it("lays out instructions, issue and comments, keeping headings on one line", () => {
    const { text, omittedComments } = renderContextDocument(subject([{ author: "ana", body: "hi", createdAt: 0 }]));
    expect(omittedComments).toBe(0);
    expect(text).toContain('# Your instructions (agent "Bot")\n\nBe brief.');
    expect(text).toContain("# Issue ENG-1: Title with newline\n\n## Description\n\n(no description)");
    expect(text).toContain("### ana (1970-01-01T00:00:00.000Z)\n\nhi");
  });

  it("leaves out the oldest comments when they do not fit, and says so", () => {
    const comments = Array.from({ length: 40 }, (_, i) => ({ author: `u${i}`, body: `${i}:`.padEnd(15_000, "x"), createdAt: i }));
    const { text, omittedComments } = renderContextDocument(subject(comments));
    expect(text.length).toBeLessThanOrEqual(MAX_DOCUMENT_CHARS);
    expect(omittedComments).toBeGreaterThan(0);
    expect(text).toContain(`(${omittedComments} earlier comments were left out`);
    expect(text).toContain("### u39 ");
    expect(text).not.toContain("### u0 ");
  });
});

describe("planContextFiles", () => {
  const none = { isUsers: () => false, userText: () => null };

  it("points Codex at ISSUE.md when its file would pass Codex's size limit", () => {
    const plan = planContextFiles("codex", "x".repeat(CODEX_DOC_BUDGET + 1), none);
    expect(plan.files.map((f) => f.path)).toEqual([ISSUE_FILE, "AGENTS.md"]);
    expect(plan.promptPreamble).toContain(ISSUE_FILE);
    expect(plan.notes[0]).toMatch(/over Codex's 32 KiB limit/);
  });

  it("writes an always-applied Cursor rule when the repository has its own AGENTS.md", () => {
    const plan = planContextFiles("cursor-agent", "doc\n", { isUsers: (p) => p === "AGENTS.md", userText: () => null });
    const rule = "---\ndescription: Task context from Multica\nalwaysApply: true\n---\n\ndoc\n";
    expect(plan.files[1]).toEqual({ path: ".cursor/rules/multica-task.mdc", content: rule });
  });
});
