/**
 * A test client for `multica-runner mcp` (the built bundle, runner/dist/cli.js): spawns it with
 * the given environment and speaks MCP's stdio transport line by line. Used by the MCP server's
 * protocol test and the end-to-end tests with a real control plane.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { resolve } from "node:path";
import { createInterface } from "node:readline";

export const RUNNER_CLI = resolve(import.meta.dirname, "../dist/cli.js");

/** A running `multica-runner mcp` with a line-by-line reader of its stdout. */
export class McpProcess {
  readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: unknown[] = [];
  private waiters: (() => void)[] = [];
  private nextId = 1;
  stderr = "";

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [RUNNER_CLI, "mcp"], { env: { PATH: process.env.PATH ?? "", ...env } });
    this.child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      this.lines.push(JSON.parse(line));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(raw: string): void {
    this.child.stdin.write(`${raw}\n`);
  }

  /** The next message matching `pred`, waiting for it. */
  async next(pred: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    for (;;) {
      const i = this.lines.findIndex((m) => pred(m as Record<string, unknown>));
      if (i >= 0) return this.lines.splice(i, 1)[0] as Record<string, unknown>;
      await new Promise<void>((resolveWait, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching MCP message; stderr: ${this.stderr}`)), 10_000);
        this.waiters.push(() => (clearTimeout(t), resolveWait()));
      });
    }
  }

  async request(method: string, params?: unknown): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.send(JSON.stringify({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) }));
    return this.next((m) => m.id === id);
  }

  /** tools/call → { text, isError }. */
  async call(name: string, args: unknown): Promise<{ text: string; isError: boolean }> {
    const res = (await this.request("tools/call", { name, arguments: args })) as { result?: { content: { type: string; text: string }[]; isError: boolean } };
    const first = res.result?.content[0];
    if (first?.type !== "text") throw new Error(`tools/call ${name} did not answer with text: ${JSON.stringify(res)}`);
    return { text: first.text, isError: res.result?.isError ?? false };
  }

  async close(): Promise<number | null> {
    this.child.stdin.end();
    return new Promise((r) => this.child.once("exit", (code) => r(code)));
  }
}

