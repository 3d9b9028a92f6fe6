import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff";

describe("Backoff", () => {
  it("doubles the ceiling up to the cap, with the delay drawn below it, and resets", () => {
    const top = new Backoff(500, 30_000, () => 0.999999);
    const ceilings = Array.from({ length: 9 }, () => top.next());
    expect(ceilings).toEqual([499, 999, 1999, 3999, 7999, 15999, 29999, 29999, 29999]);
    top.reset();
    expect(top.next()).toBe(499);
    const bottom = new Backoff(500, 30_000, () => 0);
    expect([bottom.next(), bottom.next()]).toEqual([0, 0]);
  });
});
