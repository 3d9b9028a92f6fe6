import { describe, expect, it } from "vitest";
import { EventQueue } from "./event-queue";

describe("EventQueue", () => {
  it("asks to pause at the high-water mark, to resume at half, and ends after close", async () => {
    const pressure: boolean[] = [];
    const q = new EventQueue<number>(4, (pause) => pressure.push(pause));
    for (let i = 1; i <= 5; i++) q.push(i);
    expect(pressure).toEqual([true]);
    const it = q[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(1);
    expect((await it.next()).value).toBe(2);
    expect(pressure).toEqual([true]); // 3 left, above half
    expect((await it.next()).value).toBe(3);
    expect(pressure).toEqual([true, false]);
    q.close();
    expect(await it.next()).toEqual({ value: 4, done: false });
    expect(await it.next()).toEqual({ value: 5, done: false });
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it("hands an item straight to a waiting consumer and ends iteration on close", async () => {
    const q = new EventQueue<string>(10, () => {});
    const seen: string[] = [];
    const consumer = (async () => {
      for await (const s of q) seen.push(s);
    })();
    q.push("a");
    await new Promise((r) => setTimeout(r, 1));
    q.push("b");
    q.close();
    q.push("ignored");
    await consumer;
    expect(seen).toEqual(["a", "b"]);
  });
});
