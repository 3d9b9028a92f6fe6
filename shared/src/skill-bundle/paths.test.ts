import { describe, expect, it } from "vitest";
import { checkSkillPath, findPathCollisions } from "./paths";

describe("checkSkillPath", () => {
  it.each(["SKILL.md", "scripts/run.sh", "references/api reference.md", "assets/logo.v2.png", "docs/résumé.md", ".gitignore", "a/b/c/d.txt", "console.md", "com0", "CONX.txt", "com10.txt", "lpt.md"])(
    "accepts %s",
    (path) => expect(checkSkillPath(path)).toBeNull(),
  );

  it.each([
    ["/etc/passwd", "absolute"],
    ["\\\\server\\share\\x", "absolute"],
    ["//server/share", "absolute"],
    ["C:\\Windows\\x", "drive letter"],
    ["c:/x", "drive letter"],
    ["C:x", "drive letter"],
    ["../x", "climbs out of the skill folder"],
    ["scripts/../../x", "climbs out of the skill folder"],
    ["a/..", "climbs out of the skill folder"],
    ["./a", ". segment"],
    ["a/./b", ". segment"],
    ["a//b", "empty folder name"],
    ["scripts/", "empty folder name"],
    ["", "empty"],
    ["a\\b", "backslash"],
    ["a\u0000b", "control character"],
    ["a\nb", "control character"],
    ["a\u007fb", "control character"],
    ["CON", "reserved on Windows"],
    ["con.txt", "reserved on Windows"],
    ["scripts/Com1.sh", "reserved on Windows"],
    ["LPT9", "reserved on Windows"],
    ["assets/nul.tar.gz", "reserved on Windows"],
    ["aux", "reserved on Windows"],
    ["prn.md", "reserved on Windows"],
    ["notes.", "ends with a dot or a space"],
    ["dir /x", "ends with a dot or a space"],
    ["dir./x", "ends with a dot or a space"],
    ["notes:draft.md", "Windows does not allow"],
    ["what?.md", "Windows does not allow"],
    ["a|b", "Windows does not allow"],
  ])("rejects %j (%s)", (path, problem) => {
    expect(checkSkillPath(path)).toContain(problem);
  });

  it("limits the length, stating the limit and the actual length", () => {
    expect(checkSkillPath(`a/${"x".repeat(198)}`)).toBeNull();
    expect(checkSkillPath(`a/${"x".repeat(199)}`)).toBe("the path is 201 characters long; a path may be at most 200");
    expect(checkSkillPath("abcd", 3)).toContain("at most 3");
  });
});

describe("findPathCollisions", () => {
  it("finds nothing among distinct paths", () => {
    expect(findPathCollisions(["SKILL.md", "scripts/a.sh", "scripts/b.sh", "references/a.sh"])).toEqual([]);
  });

  it("finds exact duplicates", () => {
    expect(findPathCollisions(["SKILL.md", "a.txt", "a.txt"])).toEqual([{ path: "a.txt", message: "the file appears twice" }]);
  });

  it("finds paths that differ only in case, as macOS and Windows would", () => {
    expect(findPathCollisions(["README.md", "readme.md"])).toEqual([
      { path: "readme.md", message: "the path differs from README.md only in letter case; the two would be one file on macOS and Windows" },
    ]);
    expect(findPathCollisions(["Scripts/run.sh", "scripts/RUN.sh"])).toHaveLength(1);
  });

  it("finds paths that differ only in Unicode normalization", () => {
    expect(findPathCollisions(["caf\u00e9.md", "cafe\u0301.md"])).toHaveLength(1);
  });

  it("finds a file that is also used as a folder, in either order", () => {
    expect(findPathCollisions(["scripts", "scripts/run.sh"])).toEqual([{ path: "scripts/run.sh", message: "the path uses scripts as a folder, but it is a file" }]);
    expect(findPathCollisions(["scripts/run.sh", "Scripts"])).toEqual([{ path: "Scripts", message: "the path is a file but scripts/run.sh uses it as a folder" }]);
    expect(findPathCollisions(["a/b/c.txt", "a/b"])).toHaveLength(1);
  });
});
