// The viewer's resume cursor: format and parse round-trip; malformed, repeated or oversized cursors → null, never a throw.
import { describe, expect, it } from "vitest";
import { formatViewerCursor, MAX_CURSOR_ATTEMPTS, parseViewerCursor, ViewerCursorParam } from "./viewer";

describe("viewer resume cursor", () => {
  it("formats what is held in attempt order, leaving out attempts that hold nothing, and parses it back", () => {
    const held = new Map([[2, 10], [1, 45], [3, 0]]);
    const raw = formatViewerCursor(held);
    expect(raw).toBe("1:45,2:10");
    expect(parseViewerCursor(raw)).toEqual(new Map([[1, 45], [2, 10]]));
    expect(formatViewerCursor(new Map())).toBe("");
    expect(parseViewerCursor("")).toEqual(new Map());
  });

  it("refuses malformed parts, attempt 0, repeated attempts and too many attempts", () => {
    for (const bad of ["1", "1:", ":4", "0:3", "1:-1", "1:2,", ",1:2", "1:2,1:3", "a:1", "1:1.5", " 1:2", "1:2;2:3", "1:1234567890123"]) {
      expect(parseViewerCursor(bad), bad).toBeNull();
    }
    const many = Array.from({ length: MAX_CURSOR_ATTEMPTS + 1 }, (_, i) => `${i + 1}:1`).join(",");
    expect(parseViewerCursor(many)).toBeNull();
    expect(parseViewerCursor(many.slice(0, many.lastIndexOf(",")))?.size).toBe(MAX_CURSOR_ATTEMPTS);
  });

  it("validates the query parameter with a message that says the expected shape", () => {
    expect(ViewerCursorParam.parse("1:45,2:10")).toEqual(new Map([[1, 45], [2, 10]]));
    const r = ViewerCursorParam.safeParse("1:45;2:10");
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/attempt:seq pairs/);
    expect(ViewerCursorParam.safeParse("1:1,".repeat(2000)).success).toBe(false);
  });
});
