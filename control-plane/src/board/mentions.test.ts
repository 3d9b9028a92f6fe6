import { describe, expect, it } from "vitest";
import { findMentions, MAX_MENTIONS } from "./mentions";

const agents = [
  { id: "agt_fix", name: "Fix" },
  { id: "agt_fixbot", name: "Fix Bot" },
  { id: "agt_review", name: "Review  Bot" },
  { id: "agt_claude", name: "claude" },
];

describe("findMentions", () => {
  it("matches names ignoring case, with spaces written as spaces or dashes", () => {
    expect(findMentions("@claude please look", agents)).toEqual(["agt_claude"]);
    expect(findMentions("cc @CLAUDE.", agents)).toEqual(["agt_claude"]);
    expect(findMentions("ping @review-bot and @Review Bot", agents)).toEqual(["agt_review"]);
    expect(findMentions("(@fix-bot)", agents)).toEqual(["agt_fixbot"]);
  });

  it("prefers the longest name and needs a word boundary after it", () => {
    expect(findMentions("@Fix Bot now", agents)).toEqual(["agt_fixbot"]);
    expect(findMentions("@fix it", agents)).toEqual(["agt_fix"]);
    expect(findMentions("@fixer and @claude2 and @claude_x", agents)).toEqual([]);
  });

  it("ignores e-mail addresses and code", () => {
    expect(findMentions("mail me@claude.dev", agents)).toEqual([]);
    expect(findMentions("run `@claude` or\n```\n@fix\n```\nthen @fix-bot", agents)).toEqual(["agt_fixbot"]);
  });

  it("orders by first mention, names each agent once, and asks every agent of a shared name", () => {
    expect(findMentions("@claude @fix @claude", agents)).toEqual(["agt_claude", "agt_fix"]);
    expect(findMentions("@twin", [{ id: "agt_a", name: "Twin" }, { id: "agt_b", name: "twin" }])).toEqual(["agt_a", "agt_b"]);
  });

  it("asks at most MAX_MENTIONS agents", () => {
    const many = Array.from({ length: 15 }, (_, i) => ({ id: `agt_${i}`, name: `a${i}` }));
    expect(findMentions(many.map((a) => `@${a.name}`).join(" "), many)).toHaveLength(MAX_MENTIONS);
  });
});
