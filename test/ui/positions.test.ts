// Where a moved card lands: a position strictly between its new neighbours.
import { describe, expect, it } from "vitest";
import { positionAt, positionBetween } from "../../control-plane/ui/src/lib/positions";

const col = [
  { id: "a", position: 1 },
  { id: "b", position: 2 },
  { id: "c", position: 4 },
];

describe("positions", () => {
  it("falls between neighbours, or past the ends", () => {
    expect(positionBetween(1, 2)).toBe(1.5);
    expect(positionBetween(undefined, 1)).toBe(0);
    expect(positionBetween(4, undefined)).toBe(5);
    expect(positionBetween(undefined, undefined)).toBe(1);
  });

  it("ignores the moving card itself when it is already in the column", () => {
    expect(positionAt(col, 0, "c")).toBe(0);
    expect(positionAt(col, 1, "c")).toBe(1.5);
    expect(positionAt(col, 2, "a")).toBe(5);
    expect(positionAt(col, 1, "x")).toBe(1.5);
    expect(positionAt([], 3, "x")).toBe(1);
  });
});
