// The dashboard's Markdown reader: the structure it builds, and that nothing in the text can
// become markup or an unsafe link.
import { describe, expect, it } from "vitest";
import { parseInline, parseMarkdown } from "../../control-plane/ui/src/lib/markdown";

describe("markdown", () => {
  it("reads headings, paragraphs, lists, quotes, code and rules", () => {
    const md = "# Title\n\nSome *em* and **bold**.\n\n- one\n- two\n  - nested\n\n1. first\n2. second\n\n> quoted\n\n```ts\nconst x = 1;\n```\n\n---";
    expect(parseMarkdown(md).map((b) => b.t)).toEqual(["heading", "paragraph", "list", "list", "quote", "code", "rule"]);
    const [, para, bullets, ordered, , code] = parseMarkdown(md);
    expect(para).toEqual({ t: "paragraph", children: [{ t: "text", text: "Some " }, { t: "em", children: [{ t: "text", text: "em" }] }, { t: "text", text: " and " }, { t: "strong", children: [{ t: "text", text: "bold" }] }, { t: "text", text: "." }] });
    expect(bullets).toMatchObject({ t: "list", ordered: false, items: [[{ t: "paragraph" }], [{ t: "paragraph" }, { t: "list", items: [[{ t: "paragraph" }]] }]] });
    expect(ordered).toMatchObject({ t: "list", ordered: true });
    expect(code).toEqual({ t: "code", lang: "ts", text: "const x = 1;" });
  });

  it("keeps HTML as text and drops links that are not http(s) or mailto", () => {
    expect(parseInline('<img src=x onerror="alert(1)">')).toEqual([{ t: "text", text: '<img src=x onerror="alert(1)">' }]);
    expect(parseInline("[click](javascript:alert(1))")).toEqual([{ t: "text", text: "click" }]);
    expect(parseInline("[docs](https://example.com/a)")).toEqual([{ t: "link", href: "https://example.com/a", children: [{ t: "text", text: "docs" }] }]);
    expect(parseInline("see https://example.com/x.")).toEqual([{ t: "text", text: "see " }, { t: "link", href: "https://example.com/x", children: [{ t: "text", text: "https://example.com/x" }] }, { t: "text", text: "." }]);
  });

  it("leaves markup inside code spans alone and never loops on odd input", () => {
    expect(parseInline("`**not bold**`")).toEqual([{ t: "code", text: "**not bold**" }]);
    for (const odd of ["   - indented bullet", "```\nunclosed fence", "> ", "**", "1.", "-", "\n\n\n"]) expect(Array.isArray(parseMarkdown(odd))).toBe(true);
  });
});
