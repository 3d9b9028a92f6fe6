/** The skills API's answers as these pages read them (routes/skills.ts, routes/skill-proposals.ts). */

export interface SkillSummary {
  id: string;
  name: string;
  description: string;
  latestVersion: number;
  archived: boolean;
  updatedAt: number;
  runs: number;
  succeeded: number;
  failed: number;
  successRate: number | null;
  /** Present on search results: lower is a better match. */
  rank?: number;
}

export interface VersionSummary {
  version: number;
  hash: string;
  description: string;
  author: { kind: "user" | "runner" | "task"; id: string; attempt: number | null; run?: string };
  createdAt: number;
  files: { path: string; size: number; hash: string }[];
}

export interface SkillFile {
  path: string;
  size: number;
  content: string;
  encoding: "utf8" | "base64";
}

export interface FileDiff {
  path: string;
  status: "added" | "removed" | "changed";
  binary: boolean;
  patch: string | null;
}

export interface Proposal {
  id: string;
  name: string;
  description: string;
  baseHash: string | null;
  taskId: string;
  attempt: number;
  status: "pending" | "accepted" | "rejected";
  decidedBy: string | null;
  acceptedVersion: number | null;
  createdAt: number;
  decidedAt: number | null;
  files: { path: string; size: number }[];
}
