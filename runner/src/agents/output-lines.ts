/**
 * Splits a process's byte stream into text lines for `output` events. Used by command.ts (and
 * later by JSON-lines adapters). Memory is bounded: a line longer than `maxLength` characters is
 * emitted in pieces as it arrives instead of being held until its newline.
 */
import { StringDecoder } from "node:string_decoder";
import { MAX_EVENT_TEXT } from "@multica/shared";

export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";

  /** `emit` gets each line without its line ending, in order; long lines come in several calls. */
  constructor(
    private readonly emit: (text: string) => void,
    private readonly maxLength = MAX_EVENT_TEXT,
  ) {}

  /** Feeds a chunk of bytes; whole lines are emitted at once. */
  push(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === "string" ? chunk : this.decoder.write(chunk));
    let start = 0;
    for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
      this.emitLine(text.slice(start, nl));
      start = nl + 1;
    }
    let rest = text.slice(start);
    while (rest.length > this.maxLength) {
      const cut = safeCut(rest, this.maxLength);
      this.emit(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    this.partial = rest;
  }

  /** Emits what is left after the stream ended (a last line without a newline). */
  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = "";
    if (rest.length > 0) this.emitLine(rest);
  }

  private emitLine(line: string): void {
    let rest = line.endsWith("\r") ? line.slice(0, -1) : line;
    while (rest.length > this.maxLength) {
      const cut = safeCut(rest, this.maxLength);
      this.emit(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    this.emit(rest);
  }
}

/** A cut position ≤ max that does not split a UTF-16 surrogate pair. */
function safeCut(text: string, max: number): number {
  const code = text.charCodeAt(max - 1);
  return code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
}
