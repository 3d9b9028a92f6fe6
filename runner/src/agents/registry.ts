/**
 * The runtimes this runner offers: one `command:<name>` per configured command, plus the agent
 * CLIs found on PATH. runner.ts builds it once at start, reports `runtimes()` in `hello`, and the
 * job runner asks it for the adapter of each assigned attempt.
 */
import { join } from "node:path";
import type { RuntimeInfo } from "@multica/shared";
import { execa } from "execa";
import type { RunnerConfig } from "../config";
import type { Logger } from "../log";
import type { AgentAdapter } from "./adapter";
import { ClaudeAdapter } from "./claude";
import { CodexAdapter } from "./codex";
import { CommandAdapter, findExecutable } from "./command";
import { CopilotAdapter } from "./copilot";
import { CursorAdapter } from "./cursor";
import { GeminiAdapter } from "./gemini";
import { OpenCodeAdapter } from "./opencode";

/** Agent CLIs the runner looks for, reports when found, and runs. */
export const AGENT_CLIS = ["claude", "codex", "gemini", "opencode", "cursor-agent", "copilot"] as const;

/** How long `<cli> --version` may take before the CLI is reported without a version. */
const DETECT_TIMEOUT_MS = 5000;

type Entry = { info: RuntimeInfo; adapter: AgentAdapter };

export type Resolved = { ok: true; adapter: AgentAdapter } | { ok: false; error: string };

export class RuntimeRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(entries: Entry[]) {
    for (const e of entries) this.entries.set(e.info.key, e);
  }

  /** What `hello.runtimes` reports. */
  runtimes(): RuntimeInfo[] {
    return [...this.entries.values()].map((e) => e.info);
  }

  /** The adapter for an assigned runtime, or the error the attempt should fail with. */
  resolve(key: string): Resolved {
    const entry = this.entries.get(key);
    if (entry) return { ok: true, adapter: entry.adapter };
    const offered = [...this.entries.keys()].join(", ") || "none";
    return { ok: false, error: `runtime ${key} is not available on this runner (it offers: ${offered})` };
  }
}

/** Detects everything in parallel. Configured commands whose executable is missing are left out, with a warning. */
export async function buildRegistry(config: RunnerConfig, log: Logger): Promise<RuntimeRegistry> {
  const options = { baseEnv: config.childEnv, cancelGraceMs: config.cancelGraceMs };
  const commands = config.commands.map((c) => new CommandAdapter(c, options));
  const [commandInfos, cliInfos] = await Promise.all([
    Promise.all(commands.map((a) => a.detect())),
    Promise.all(AGENT_CLIS.map((cli) => detectAgentCli(cli, config.childEnv, log))),
  ]);
  const entries: Entry[] = [];
  commands.forEach((adapter, i) => {
    const info = commandInfos[i];
    if (info) entries.push({ info, adapter });
    else log.warn(`runtime ${adapter.key} not offered: its command ${JSON.stringify(config.commands[i]?.command)} was not found on PATH`);
  });
  AGENT_CLIS.forEach((cli, i) => {
    const info = cliInfos[i];
    if (info) entries.push({ info, adapter: cliAdapter(cli, config, log) });
  });
  return new RuntimeRegistry(entries);
}

/** The adapter for a detected agent CLI. */
function cliAdapter(key: (typeof AGENT_CLIS)[number], config: RunnerConfig, log: Logger): AgentAdapter {
  const settings = config.agentClis[key];
  const common = {
    baseEnv: config.childEnv,
    cancelGraceMs: config.cancelGraceMs,
    timeoutMs: settings?.timeoutSeconds ? settings.timeoutSeconds * 1000 : null,
    idleTimeoutMs: settings?.idleTimeoutSeconds ? settings.idleTimeoutSeconds * 1000 : null,
    stateDir: join(config.dataDir, "agents"),
    env: settings?.env ?? {},
    extraArgs: settings?.extraArgs ?? [],
    model: settings?.model ?? null,
    log,
  };
  switch (key) {
    case "claude":
      return new ClaudeAdapter({ ...common, binary: settings?.binary, permissionMode: settings?.permissionMode, mcpConfigPath: settings?.mcpConfig ?? null });
    case "codex":
      return new CodexAdapter({ ...common, binary: settings?.binary });
    case "gemini":
      return new GeminiAdapter({ ...common, binary: settings?.binary });
    case "opencode":
      return new OpenCodeAdapter({ ...common, binary: settings?.binary });
    case "cursor-agent":
      return new CursorAdapter({ ...common, binary: settings?.binary });
    case "copilot":
      return new CopilotAdapter({ ...common, binary: settings?.binary });
  }
}

/** Looks for `cli` on PATH and asks it for its version; null when it is not installed. */
export async function detectAgentCli(cli: string, env: Record<string, string>, log: Logger): Promise<RuntimeInfo | null> {
  const path = findExecutable(cli, env.PATH ?? "");
  if (!path) return null;
  const result = await execa(path, ["--version"], {
    stdin: "ignore",
    env,
    extendEnv: false,
    timeout: DETECT_TIMEOUT_MS,
    reject: false,
    maxBuffer: 64 * 1024,
  });
  if (result.failed) {
    const why = result.timedOut ? `timed out after ${DETECT_TIMEOUT_MS / 1000}s` : (result.shortMessage ?? "").split("\n")[0];
    log.warn(`found ${cli} at ${path} but \`${cli} --version\` failed (${why}); reporting it without a version`);
    return { key: cli, version: null };
  }
  return { key: cli, version: parseVersion(String(result.stdout)) };
}

/** The first version-looking token of `--version` output (`1.2.3`), else its first line; null if empty. */
export function parseVersion(output: string): string | null {
  const firstLine = output.split("\n").find((l) => l.trim() !== "")?.trim() ?? "";
  const match = /\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?/.exec(firstLine);
  const version = match ? match[0] : firstLine;
  return version === "" ? null : version.slice(0, 120);
}
