// What each agent CLI gets to start the Multica MCP server: files in the attempt's private dir
// (0600, removed after), arguments in the adapters' command lines, and environment merged.
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ClaudeAdapter } from "../agents/claude";
import { CodexAdapter } from "../agents/codex";
import { CopilotAdapter } from "../agents/copilot";
import { attachMcp, mcpServerSpec, prepareAttemptMcp, runnerCliPath, withMcpEnv } from "./mcp-attach";

const server = mcpServerSpec({ url: "http://127.0.0.1:8787", token: "mat_secret", issueId: "iss_1", taskId: "tsk_1", attempt: 2 });
const dir = () => mkdtempSync(join(tmpdir(), "multica-mcp-"));
const base = { baseEnv: { PATH: "/usr/bin" }, cancelGraceMs: 1000, timeoutMs: null };

describe("attachMcp", () => {
  it("starts `node <runner cli> mcp` with the attempt's variables", () => {
    expect(server.command).toBe(process.execPath);
    expect(server.args).toEqual([runnerCliPath(), "mcp"]);
    expect(runnerCliPath()).toMatch(/runner\/dist\/cli\.js$/);
    expect(server.env).toEqual({ MULTICA_URL: "http://127.0.0.1:8787", MULTICA_AGENT_TOKEN: "mat_secret", MULTICA_ISSUE_ID: "iss_1", MULTICA_TASK_ID: "tsk_1", MULTICA_ATTEMPT: "2" });
  });

  it("claude: an --mcp-config file only the runner's user can read, and its tools allowed", () => {
    const d = dir();
    const launch = attachMcp("claude", server, d)!;
    const file = join(d, "claude-mcp.json");
    expect(launch).toEqual({ args: ["--mcp-config", file, "--allowedTools", "mcp__multica"], env: {} });
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ mcpServers: { multica: { type: "stdio", command: server.command, args: server.args, env: server.env } } });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const args = new ClaudeAdapter({ ...base, mcpConfigPath: "/etc/mine.json" }).buildArgs({ mcp: launch });
    expect(args.join(" ")).toContain(`--mcp-config /etc/mine.json --mcp-config ${file} --allowedTools mcp__multica`);
  });

  it("codex: -c overrides, with the token in the environment rather than on the command line", () => {
    const launch = attachMcp("codex", server, dir())!;
    expect(launch.env).toEqual({ MULTICA_AGENT_TOKEN: "mat_secret" });
    expect(launch.args.join(" ")).not.toContain("mat_secret");
    expect(launch.args).toEqual([
      "-c", `mcp_servers.multica.command=${JSON.stringify(process.execPath)}`,
      "-c", `mcp_servers.multica.args=[${JSON.stringify(runnerCliPath())},"mcp"]`,
      "-c", 'mcp_servers.multica.env={MULTICA_URL="http://127.0.0.1:8787",MULTICA_ISSUE_ID="iss_1",MULTICA_TASK_ID="tsk_1",MULTICA_ATTEMPT="2"}',
      "-c", 'mcp_servers.multica.env_vars=["MULTICA_AGENT_TOKEN"]',
    ]);
    const args = new CodexAdapter({ ...base, extraArgs: ["--foo"] }).buildArgs({ workDir: "/w", mcp: launch });
    // Before the extra args and the prompt ("-"), after the protocol flags.
    expect(args.indexOf("-c")).toBeGreaterThan(args.indexOf("/w"));
    expect(args.slice(-2)).toEqual(["--foo", "-"]);
  });

  it("opencode: OPENCODE_CONFIG_CONTENT, merged into the runtime's own", () => {
    const launch = attachMcp("opencode", server, dir())!;
    expect(JSON.parse(launch.env.OPENCODE_CONFIG_CONTENT!)).toEqual({
      mcp: { multica: { type: "local", command: [process.execPath, runnerCliPath(), "mcp"], environment: server.env, enabled: true } },
    });
    const own = JSON.stringify({ model: "m", mcp: { mine: { type: "remote", url: "https://x" } } });
    const merged = JSON.parse(withMcpEnv({ OPENCODE_CONFIG_CONTENT: own, A: "1" }, launch).OPENCODE_CONFIG_CONTENT!);
    expect(merged.model).toBe("m");
    expect(Object.keys(merged.mcp)).toEqual(["mine", "multica"]);
  });

  it("gemini: a system-defaults settings file, the lowest layer", () => {
    const d = dir();
    const launch = attachMcp("gemini", server, d)!;
    const file = join(d, "gemini-system-defaults.json");
    expect(launch).toEqual({ args: [], env: { GEMINI_CLI_SYSTEM_DEFAULTS_PATH: file } });
    expect(JSON.parse(readFileSync(file, "utf8")).mcpServers.multica).toEqual({ command: server.command, args: server.args, env: server.env, trust: true });
  });

  it("copilot: --additional-mcp-config @file", () => {
    const d = dir();
    const launch = attachMcp("copilot", server, d)!;
    const file = join(d, "copilot-mcp.json");
    expect(launch.args).toEqual(["--additional-mcp-config", `@${file}`]);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ mcpServers: { multica: { type: "local", command: server.command, args: server.args, env: server.env, tools: ["*"] } } });
    const args = new CopilotAdapter(base).buildArgs({ mcp: launch }, { sessionId: "s", usageFile: "/u" });
    expect(args).toContain(`@${file}`);
  });

  it("gives other runtimes nothing, and removes the attempt's files after the run", () => {
    expect(attachMcp("cursor-agent", server, dir())).toBeNull();
    expect(attachMcp("command:lint", server, dir())).toBeNull();
    const dataDir = dir();
    const none = prepareAttemptMcp({ dataDir, runtime: "command:lint", server, taskId: "tsk_1", attempt: 1 });
    expect(none.launch).toBeNull();
    expect(existsSync(join(dataDir, "attempts"))).toBe(false);
    const mcp = prepareAttemptMcp({ dataDir, runtime: "claude", server, taskId: "tsk_1", attempt: 1 });
    const private_ = join(dataDir, "attempts", "tsk_1-1");
    expect(statSync(private_).mode & 0o777).toBe(0o700);
    expect(existsSync(join(private_, "claude-mcp.json"))).toBe(true);
    mcp.dispose();
    mcp.dispose();
    expect(existsSync(private_)).toBe(false);
  });
});
