/**
 * Human-readable log lines on stderr, each prefixed with an ISO timestamp and a level.
 * Every runner module takes a `Logger` instead of writing to the console, so tests can
 * capture or silence it.
 */

export type LogLevel = "info" | "warn" | "error";

/** Where runner modules write what they are doing. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A logger writing `2025-01-01T00:00:00.000Z info  message` lines to `write` (stderr by default). */
export function createLogger(write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const emit = (level: LogLevel, message: string): void => {
    write(`${new Date().toISOString()} ${level.padEnd(5)} ${message}\n`);
  };
  return {
    info: (m) => emit("info", m),
    warn: (m) => emit("warn", m),
    error: (m) => emit("error", m),
  };
}

/** A logger that keeps lines in memory; for tests. */
export function createMemoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger((line) => lines.push(line.trimEnd()));
  return Object.assign(logger, { lines });
}

/** Formats an unknown thrown value as one line (never a stack trace). */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
