/**
 * Signalling and watching a process group. Agent processes are started detached, so each
 * attempt's whole tree (the agent, its shells, their children) shares one process group whose
 * id is the agent's pid; command.ts uses these helpers to cancel and clean up that tree.
 *
 * Liveness ignores zombies: in containers whose init never reaps (PID 1 is not a real init),
 * killed orphans stay zombies forever, and `kill(-pgid, 0)` would call the group alive.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Sends `signal` to every process in the group. Returns false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw err;
  }
}

/** `[state, pgrp]` of a process from /proc, or null when it is gone. */
function procStat(pid: number | string): [string, number] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces and parentheses; fields after it are fixed.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return [rest[0] ?? "", Number(rest[2])];
  } catch {
    return null;
  }
}

const hasProc = process.platform === "linux";

/** Whether the process group still has a live (non-zombie) member. */
export function isGroupAlive(pgid: number): boolean {
  if (!hasProc) {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "EPERM";
    }
  }
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(entry);
    if (stat && stat[1] === pgid && stat[0] !== "Z") return true;
  }
  return false;
}

/** Whether one process is alive; a zombie counts as dead (it has exited, only its entry is left). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  const stat = hasProc ? procStat(pid) : null;
  return !(stat && stat[0] === "Z");
}

/** Polls until the group has no live member or `timeoutMs` passes. Resolves true when it is gone. */
export async function waitGroupGone(pgid: number, timeoutMs: number, pollMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isGroupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, deadline - Date.now()))));
  }
}
