/**
 * The `multica-runner` command (bundled to runner/dist/cli.js; the bundler adds the `#!` line).
 * Reads the configuration once, starts the runner, and maps outcomes to exit codes:
 * 0 stopped, 1 internal error, 2 bad usage or config, 3 refused by the control plane.
 * The first SIGINT/SIGTERM stops gracefully; a second one exits at once.
 * `multica-runner skills …` is a separate command line (skills/skills-cli.ts), `multica-runner mcp`
 * the agents' MCP server (mcp/mcp-server.ts), and the same bundle started as `multica`
 * (bin/multica.js) is the workspace CLI (board-cli/board-cli.ts).
 */
import { basename } from "node:path";
import { runBoardCli } from "./board-cli/board-cli";
import { ConfigError, parseCli } from "./config";
import { DataDirBusyError } from "./data-dir-lock";
import { createLogger, describeError } from "./log";
import { runMcpServer } from "./mcp/mcp-server";
import { ExitCode, Runner } from "./runner";
import { runSkillsCli } from "./skills/skills-cli";
import { usageText } from "./usage";
import { VERSION } from "./version";

function fail(message: string): void {
  process.stderr.write(`multica-runner: ${message}\n`);
}

async function main(): Promise<number> {
  if (basename(process.argv[1] ?? "").replace(/\.js$/, "") === "multica") return runBoardCli(process.argv.slice(2));
  if (process.argv[2] === "skills") return runSkillsCli(process.argv.slice(3));
  if (process.argv[2] === "mcp") return runMcpServer({ env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: (t) => process.stderr.write(t) });
  let request: ReturnType<typeof parseCli>;
  try {
    request = parseCli(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    fail(err.message);
    return ExitCode.usage;
  }
  if (request.kind === "help") {
    process.stdout.write(usageText());
    return ExitCode.ok;
  }
  if (request.kind === "version") {
    process.stdout.write(`${VERSION}\n`);
    return ExitCode.ok;
  }

  const log = createLogger();
  let runner: Runner;
  try {
    runner = await Runner.start(request.config, { log });
  } catch (err) {
    if (err instanceof DataDirBusyError) {
      fail(err.message);
      return ExitCode.usage;
    }
    fail(`could not start: ${describeError(err)}`);
    return ExitCode.internal;
  }

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      log.info(`${signal}: stopping gracefully (send it again to exit at once)`);
      void runner.stop();
      return;
    }
    log.warn(`${signal} again: exiting now; unacknowledged output stays in the outbox for the next start`);
    runner.stopNow();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // Agents run in their own process groups and would outlive a crashed runner.
  process.on("exit", () => runner.stopNow());
  return runner.exited;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    fail(`unexpected error: ${describeError(err)}`);
    process.exit(ExitCode.internal);
  },
);
