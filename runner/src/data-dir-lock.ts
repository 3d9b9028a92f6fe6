/**
 * Makes sure one runner process at a time uses a data directory. Two processes on one outbox
 * would mark each other's running attempts lost and share a runner id; runner.ts takes this
 * lock before opening the outbox and releases it on exit.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Another live process holds the data directory. The message is one line for the user. */
export class DataDirBusyError extends Error {}

export interface DataDirLock {
  release(): void;
}

/** Takes `<dataDir>/runner.pid`; a lock left by a dead process is taken over. */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, "runner.pid");
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
      return {
        release: () => {
          if (readPid(path) === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = readPid(path);
      if (holder !== null && holder !== process.pid && isAlive(holder)) {
        throw new DataDirBusyError(
          `another multica-runner (pid ${holder}) is using ${dataDir}; give this one its own --name or --data-dir ` +
            `(if pid ${holder} is not a runner, delete ${path})`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new DataDirBusyError(`could not lock ${dataDir} (${path} keeps reappearing)`);
}

function readPid(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
