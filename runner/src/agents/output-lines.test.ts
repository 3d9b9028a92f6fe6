import { describe, expect, it } from "vitest";
import { LineSplitter } from "./output-lines";

function split(chunks: (Buffer | string)[], max?: number): string[] {
  const out: string[] = [];
  const s = new LineSplitter((t) => out.push(t), max);
  for (const c of chunks) s.push(c);
  s.end();
  return out;
}

describe("LineSplitter", () => {
  it("joins lines across chunks, drops CR of CRLF, keeps empty lines and a last unterminated line", () => {
    expect(split(["ab", "c\r\n\nde", "f"])).toEqual(["abc", "", "def"]);
  });

  it("does not break a UTF-8 character split between chunks", () => {
    const bytes = Buffer.from("héllo\n");
    expect(split([bytes.subarray(0, 2), bytes.subarray(2)])).toEqual(["héllo"]);
  });

  it("emits a long line in pieces of at most maxLength without splitting a surrogate pair", () => {
    expect(split(["abcdefg\n"], 3)).toEqual(["abc", "def", "g"]);
    const out = split(["ab😀cd"], 3);
    expect(out).toEqual(["ab", "😀c", "d"]);
    expect(out.join("")).toBe("ab😀cd");
  });
});
