/**
 * The API's JSON views as the dashboard reads them. Requests are validated on the server against
 * shared/ schemas; these are the shapes of its answers (routes/*.ts build them).
 */
import type { IssuePriority, IssueStatus } from "./protocol";

export interface Issue {
  id: string;
  key: string;
  number: number;
  title: string;
  body: string;
  status: IssueStatus;
  priority: IssuePriority;
  assignee: { agentId: string } | { userId: string } | null;
  parentId: string | null;
  labels: string[];
  position: number;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export interface Agent {
  id: string;
  name: string;
  instructions: string;
  runtimes: string[];
  runnerIds: string[] | null;
  maxConcurrentTasks: number;
  model: string | null;
  canClose: boolean;
  createdAt: number;
  status?: "working" | "offline" | "blocked" | "idle";
}

export interface Member {
  userId: string;
  name: string;
  email: string | null;
  role: "owner" | "admin" | "member";
}

export interface Workspace {
  id: string;
  name: string;
  slug: string;
  issuePrefix: string;
  role: "owner" | "admin" | "member";
}

export interface User {
  id: string;
  name: string;
  email: string | null;
}

export interface Comment {
  id: string;
  issueId: string;
  author: string;
  body: string;
  parentId: string | null;
  createdAt: number;
}

export interface Activity {
  id: string;
  issueId: string;
  actor: string;
  kind: string;
  data: Record<string, unknown>;
  createdAt: number;
}

/** A run not over yet, as GET /tasks and the live feed's task.status frames tell it. */
export interface LiveRun {
  taskId: string;
  attempt: number;
  issueId: string;
  agentId: string;
  runnerId: string | null;
  status: string;
}

/** One attempt of a task as D1 mirrors it (GET /issues/:id → tasks). */
export interface TaskRow {
  id: string;
  attempt: number;
  issueId: string;
  agentId: string;
  runtime: string;
  status: string;
  queuedAt: number;
  startedAt: number | null;
  endedAt: number | null;
  failureKind: string | null;
  error: string | null;
}
