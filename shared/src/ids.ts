/**
 * Identifiers used across Multica. Every id is `<prefix>_<random>` so a log line or an API error
 * tells at a glance what kind of thing it names. Both the control plane and the runner use these.
 */
import { z } from "zod";

export const ID_PREFIXES = {
  workspace: "ws",
  user: "usr",
  token: "tok",
  runner: "rnr",
  agent: "agt",
  issue: "iss",
  comment: "cmt",
  task: "tsk",
  skill: "skl",
  proposal: "spr",
  webhook: "whk",
  delivery: "whd",
  schedule: "sch",
  scheduleRun: "shr",
  subscription: "sub",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** Random base-36 string from the platform CSPRNG (Web Crypto exists in Workers and Node ≥ 20). */
export function randomString(length: number): string {
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  let out = "";
  for (const b of bytes) out += ALPHABET[b % ALPHABET.length];
  return out;
}

/** Creates a new id of the given kind, e.g. `newId("task")` → `tsk_k3j…`. */
export function newId(kind: IdKind): string {
  return `${ID_PREFIXES[kind]}_${randomString(20)}`;
}

/** A zod schema accepting only ids of one kind (bounded length, safe characters). */
export function idSchema(kind: IdKind) {
  return z
    .string()
    .max(64)
    .regex(new RegExp(`^${ID_PREFIXES[kind]}_[0-9a-z]{4,60}$`), `expected a ${kind} id (${ID_PREFIXES[kind]}_…)`);
}

export const TaskId = idSchema("task");
export const RunnerId = idSchema("runner");
export const WorkspaceId = idSchema("workspace");
export const AgentId = idSchema("agent");
export const IssueId = idSchema("issue");
