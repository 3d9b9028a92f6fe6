import { describe, expect, it } from "vitest";
import { checkSkillName, parseSkillMarkdown } from "./frontmatter";

const md = (yaml: string, body = "# Use it\n") => `---\n${yaml}\n---\n${body}`;

function ok(text: string) {
  const r = parseSkillMarkdown(text);
  if (!r.ok) throw new Error(`expected valid, got: ${r.errors.join(" | ")}`);
  return r;
}

function errors(text: string): string {
  const r = parseSkillMarkdown(text);
  if (r.ok) throw new Error("expected errors");
  return r.errors.join(" | ");
}

describe("parseSkillMarkdown", () => {
  it("reads a minimal skill", () => {
    const r = ok(md("name: pdf-tools\ndescription: Fill PDF forms. Use when the user has a PDF.", "# PDF\n\nSteps.\n"));
    expect(r.frontmatter).toEqual({ name: "pdf-tools", description: "Fill PDF forms. Use when the user has a PDF." });
    expect(r.body).toBe("# PDF\n\nSteps.\n");
  });

  it("reads the optional spec fields", () => {
    const r = ok(md('name: a\ndescription: d\nlicense: Apache-2.0\ncompatibility: Needs git and network access\nmetadata:\n  author: ada\n  version: "1.0"\nallowed-tools: Bash(git:*) Read'));
    expect(r.frontmatter).toMatchObject({ license: "Apache-2.0", compatibility: "Needs git and network access", metadata: { author: "ada", version: "1.0" }, "allowed-tools": "Bash(git:*) Read" });
  });

  it("keeps keys the spec does not define, with their YAML types", () => {
    expect(ok(md("name: a\ndescription: d\ndisable-model-invocation: true")).frontmatter["disable-model-invocation"]).toBe(true);
  });

  it("accepts CRLF line ends, a BOM, leading blank lines and trailing whitespace", () => {
    const r = ok("\uFEFF\r\n---  \r\nname: my-skill   \r\ndescription: Does things.\t\r\n---\t\r\nBody line\r\n");
    expect(r.frontmatter).toEqual({ name: "my-skill", description: "Does things." });
    expect(r.body).toBe("Body line\n");
  });

  it("accepts a file that ends right after the closing ---", () => {
    expect(ok("---\nname: a\ndescription: d\n---").body).toBe("");
  });

  it("reads an unquoted colon in the description as text", () => {
    const r = ok(md("name: deploy\ndescription: Deploys the app. Use when: the user says ship it\nlicense: MIT"));
    expect(r.frontmatter.description).toBe("Deploys the app. Use when: the user says ship it");
    expect(r.frontmatter.license).toBe("MIT");
  });

  it("joins continuation lines of a description YAML cannot read", () => {
    const r = ok(md("name: a\ndescription: First part: more\n  and the rest\nmetadata:\n  team: infra"));
    expect(r.frontmatter.description).toBe("First part: more and the rest");
    expect(r.frontmatter.metadata).toEqual({ team: "infra" });
  });

  it("reads descriptions starting with YAML indicators", () => {
    expect(ok(md("name: a\ndescription: @mentions and [WIP] notes")).frontmatter.description).toBe("@mentions and [WIP] notes");
    expect(ok(md("name: a\ndescription: 'quoted: fine'")).frontmatter.description).toBe("quoted: fine");
  });

  it("accepts tab indentation", () => {
    expect(ok(md("name: a\ndescription: d\nmetadata:\n\tauthor: ada\n\tteam: x")).frontmatter.metadata).toEqual({ author: "ada", team: "x" });
  });

  it("accepts folded and literal block descriptions", () => {
    const r = ok(md("name: a\ndescription: >\n  Line one\n  line two.\n# a comment\n"));
    expect(r.frontmatter.description).toBe("Line one line two.");
  });

  it("takes the last of duplicate keys", () => {
    expect(ok(md("name: a\ndescription: first\ndescription: second")).frontmatter.description).toBe("second");
  });

  it("keeps numbers and booleans in string fields as written", () => {
    const r = ok(md("name: 2024\ndescription: 1.10\nlicense: 0x10\nmetadata:\n  version: 1.10\n  beta: yes\n  on: true"));
    expect(r.frontmatter).toMatchObject({ name: "2024", description: "1.10", license: "0x10", metadata: { version: "1.10", beta: "yes", on: "true" } });
  });

  it("does not let a __proto__ key reach the prototype", () => {
    const r = ok(md("name: a\ndescription: d\n__proto__:\n  polluted: 1"));
    expect(Object.getPrototypeOf(r.frontmatter)).toBe(Object.prototype);
    expect(Object.hasOwn(r.frontmatter, "__proto__")).toBe(true);
  });

  it("explains missing or unclosed frontmatter", () => {
    expect(errors("# Just markdown\n")).toMatch(/must start with YAML frontmatter between --- lines/);
    expect(errors("---\nname: a\ndescription: d\n")).toMatch(/no closing --- line/);
  });

  it("explains a missing name or description", () => {
    expect(errors(md("description: d"))).toMatch(/no name; a skill name is 1–64 characters of a-z, 0-9 and hyphens/);
    expect(errors(md("name: a"))).toMatch(/no description/);
    expect(errors(md("name:\ndescription: d"))).toMatch(/no name/);
    expect(errors(md('name: a\ndescription: "  "'))).toMatch(/description is empty/);
  });

  it("limits the description to 1024 characters", () => {
    expect(ok(md(`name: a\ndescription: ${"x".repeat(1024)}`)).frontmatter.description).toHaveLength(1024);
    expect(errors(md(`name: a\ndescription: ${"x".repeat(1025)}`))).toMatch(/description is 1025 characters long; it may be at most 1024/);
    // Characters, not UTF-16 units: 1024 emoji are fine.
    expect(ok(md(`name: a\ndescription: ${"🙂".repeat(1024)}`)).ok).toBe(true);
  });

  it("limits compatibility to 500 characters", () => {
    expect(errors(md(`name: a\ndescription: d\ncompatibility: ${"c".repeat(501)}`))).toMatch(/compatibility is 501 characters long; it may be at most 500/);
  });

  it("rejects wrong types, naming the field", () => {
    expect(errors(md("name: [a, b]\ndescription: d"))).toMatch(/name must be a string, not a list/);
    expect(errors(md("name: a\ndescription:\n  text: d"))).toMatch(/description must be a string, not a map/);
    expect(errors(md("name: a\ndescription: d\nmetadata: plain"))).toMatch(/metadata must be a map of strings, not a string/);
    expect(errors(md("name: a\ndescription: d\nmetadata:\n  nested:\n    deep: 1"))).toMatch(/metadata.nested must be a string, not a map/);
    expect(errors(md("name: a\ndescription: d\nallowed-tools:\n  bash: true"))).toMatch(/allowed-tools must be a space-separated string/);
    expect(errors(md("name: a\ndescription: d\nlicense: [MIT]"))).toMatch(/license must be a string, not a list/);
  });

  it("accepts allowed-tools as a list", () => {
    expect(ok(md("name: a\ndescription: d\nallowed-tools:\n  - Read\n  - Bash")).frontmatter["allowed-tools"]).toEqual(["Read", "Bash"]);
  });

  it("reports every problem at once", () => {
    const r = parseSkillMarkdown(md("name: Bad_Name\ndescription: d\ncompatibility: [x]"));
    expect(r.ok ? [] : r.errors).toHaveLength(2);
  });

  it("rejects frontmatter that is not a map or not readable at all", () => {
    expect(errors(md("- a\n- b"))).toMatch(/must be a map/);
    expect(errors(md("name: a\ndescription: d\n{oops"))).toMatch(/not valid YAML \(line 3: /);
  });
});

describe("checkSkillName", () => {
  it.each(["a", "pdf", "pdf-tools", "a1-b2-c3", "x".repeat(64)])("accepts %s", (name) => {
    expect(checkSkillName(name)).toBeNull();
  });

  it.each([
    ["", "is empty"],
    ["x".repeat(65), "is 65 characters long"],
    ["PDF-tools", "has uppercase letters"],
    ["pdf_tools", 'contains "_"'],
    ["pdf tools", 'contains " "'],
    ["-pdf", "starts or ends with a hyphen"],
    ["pdf-", "starts or ends with a hyphen"],
    ["pdf--tools", "has two hyphens in a row"],
    ["café", 'contains "é"'],
  ])("rejects %j: %s, stating the rule", (name, problem) => {
    const message = checkSkillName(name);
    expect(message).toContain(problem);
    expect(message).toContain("a skill name is 1–64 characters of a-z, 0-9 and hyphens, not starting or ending with a hyphen, no two hyphens in a row");
  });

  it("applies to the frontmatter name", () => {
    expect(errors(md("name: My-Skill\ndescription: d"))).toMatch(/the name "My-Skill" has uppercase letters/);
    expect(errors(md("name: a--b\ndescription: d"))).toMatch(/two hyphens in a row/);
  });
});
