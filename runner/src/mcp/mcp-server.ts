/**
 * `multica-runner mcp`: the Multica MCP server (stdio) the runner attaches to every agent run
 * that has an agent token (mcp-attach.ts writes each CLI's config). Its configuration comes from
 * the environment the agent CLI starts it with: MULTICA_URL, MULTICA_AGENT_TOKEN,
 * MULTICA_ISSUE_ID, and MULTICA_WORKSPACE_ID (looked up with /whoami when absent). Logs go to
 * stderr; stdout carries only protocol messages.
 */
import type { Readable, Writable } from "node:stream";
import type { BoardTarget } from "../board-cli/board-api";
import { whoami } from "../board-cli/board-api";
import { VERSION } from "../version";
import { serveMcp } from "./mcp-stdio";
import { multicaTools } from "./mcp-tools";

export interface McpServerIo {
  env: Record<string, string | undefined>;
  stdin: Readable;
  stdout: Writable;
  stderr: (text: string) => void;
}

const INSTRUCTIONS =
  "Tools for the Multica issue you were assigned: read it with its comments (get_issue), report to the team " +
  "(post_comment), move it along (set_status), split work off (create_sub_issue), and find reusable skills (search_skills).";

/** Serves until stdin ends; resolves with the exit code (2 when the environment is incomplete). */
export async function runMcpServer(io: McpServerIo): Promise<number> {
  const env = (name: string) => io.env[name]?.trim() || undefined;
  const missing = ["MULTICA_URL", "MULTICA_AGENT_TOKEN", "MULTICA_ISSUE_ID"].filter((n) => !env(n));
  if (missing.length > 0) {
    io.stderr(`multica-runner mcp: ${missing.join(", ")} must be set (the runner sets them for agent runs)\n`);
    return 2;
  }
  let url: URL;
  try {
    url = new URL(env("MULTICA_URL")!);
  } catch {
    io.stderr(`multica-runner mcp: MULTICA_URL is not a URL: ${env("MULTICA_URL")}\n`);
    return 2;
  }
  const api = { url, token: env("MULTICA_AGENT_TOKEN")! };
  const known = env("MULTICA_WORKSPACE_ID");
  let pending: Promise<BoardTarget> | null = known ? Promise.resolve({ ...api, workspaceId: known }) : null;
  // Looked up once on first use; a failed lookup is tried again on the next call.
  const target = (): Promise<BoardTarget> => {
    pending ??= whoami(api).then((me) => ({ ...api, workspaceId: me.workspaceId }));
    return pending.catch((err: unknown) => {
      pending = null;
      throw err;
    });
  };
  const tools = multicaTools({ target, issueId: env("MULTICA_ISSUE_ID")! });
  await serveMcp({ name: "multica", version: VERSION, instructions: INSTRUCTIONS }, tools, io.stdin, io.stdout);
  return 0;
}
