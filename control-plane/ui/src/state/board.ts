/**
 * The open workspace's board: its issues, agents, members and the runs not over yet, loaded over
 * REST and kept current by the workspace's live feed (GET /workspaces/:ws/live). Every page reads
 * from here, so a move made in another browser shows everywhere at once. After a reconnect the
 * board refetches: frames sent while it was away are gone. Other views (the issue page) subscribe
 * to the same feed for comments and activity.
 */
import { batch, signal } from "@preact/signals";
import { describeError, socketUrl, wsApi } from "../lib/api";
import { type BoardMessage, parseBoardFrame } from "../lib/protocol";
import { LiveSocket, type SocketState } from "../lib/socket";
import type { Agent, Issue, LiveRun, Member } from "../lib/types";

export const workspaceId = signal<string | null>(null);
export const issues = signal<ReadonlyMap<string, Issue>>(new Map());
export const agents = signal<Agent[]>([]);
export const members = signal<Member[]>([]);
/** The newest unfinished run of each issue, by issue id. */
export const runs = signal<ReadonlyMap<string, LiveRun>>(new Map());
export const loadError = signal<string | null>(null);
export const loaded = signal(false);
export const liveState = signal<SocketState>("connecting");

/** Task statuses of a run that is not over. */
export const UNFINISHED: ReadonlySet<string> = new Set(["queued", "dispatched", "running"]);
/** Pages of 200: a board of up to 10,000 issues loads whole. */
const MAX_PAGES = 50;

type Listener = (m: BoardMessage) => void;
const listeners = new Set<Listener>();
const resyncs = new Set<() => void>();
let socket: LiveSocket | null = null;

/** Calls `fn` after the live feed came back from a drop (frames may have been missed meanwhile). */
export function onResync(fn: () => void): () => void {
  resyncs.add(fn);
  return () => resyncs.delete(fn);
}

/** Calls `fn` with every live frame of the open workspace; returns the unsubscribe. */
export function onLive(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Stores an issue unless the store already has a newer state of it (a live frame beat the fetch). */
export function putIssue(issue: Issue): void {
  const had = issues.value.get(issue.id);
  if (had && had.updatedAt > issue.updatedAt) return;
  const next = new Map(issues.value);
  next.set(issue.id, issue);
  issues.value = next;
}

function putRun(run: LiveRun): void {
  const next = new Map(runs.value);
  const had = next.get(run.issueId);
  if (UNFINISHED.has(run.status)) next.set(run.issueId, run);
  else if (had?.taskId === run.taskId) next.delete(run.issueId);
  else return;
  runs.value = next;
}

function apply(m: BoardMessage): void {
  if (m.type === "issue.changed") putIssue(m.issue as unknown as Issue);
  else if (m.type === "task.status") putRun(m.attempt);
  for (const fn of listeners) fn(m);
}

async function loadIssues(ws: string): Promise<Issue[]> {
  const all: Issue[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const q: string = `/issues?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const res: { issues: Issue[]; nextCursor: string | null } = await wsApi(ws, "GET", q);
    all.push(...res.issues);
    cursor = res.nextCursor;
    if (!cursor) break;
  }
  return all;
}

/** (Re)loads everything of the board from the API. */
export async function refresh(): Promise<void> {
  const ws = workspaceId.value;
  if (!ws) return;
  try {
    const [list, agentList, memberList, running] = await Promise.all([
      loadIssues(ws),
      wsApi<{ agents: Agent[] }>(ws, "GET", "/agents"),
      wsApi<{ members: Member[] }>(ws, "GET", "/members"),
      wsApi<{ tasks: LiveRun[] }>(ws, "GET", "/tasks"),
    ]);
    if (workspaceId.value !== ws) return;
    batch(() => {
      const byId = new Map<string, Issue>();
      for (const i of list) {
        const had = issues.value.get(i.id);
        byId.set(i.id, had && had.updatedAt > i.updatedAt ? had : i);
      }
      issues.value = byId;
      agents.value = agentList.agents;
      members.value = memberList.members;
      // The newest attempt per issue wins: the list comes newest first.
      const byIssue = new Map<string, LiveRun>();
      for (const r of running.tasks) if (!byIssue.has(r.issueId)) byIssue.set(r.issueId, r);
      runs.value = byIssue;
      loadError.value = null;
      loaded.value = true;
    });
  } catch (err) {
    if (workspaceId.value === ws) loadError.value = describeError(err);
  }
}

/** Opens a workspace's board: resets the store, connects its live feed, loads it. */
export function openWorkspace(id: string): void {
  if (workspaceId.value === id) return;
  socket?.close();
  batch(() => {
    workspaceId.value = id;
    issues.value = new Map();
    runs.value = new Map();
    agents.value = [];
    members.value = [];
    loaded.value = false;
    loadError.value = null;
  });
  socket = new LiveSocket({
    url: () => socketUrl(`/workspaces/${id}/live`),
    onMessage: (raw) => {
      const m = parseBoardFrame(raw);
      if (m) apply(m);
    },
    onOpen: (reconnected) => {
      if (!reconnected) return;
      void refresh();
      for (const fn of resyncs) fn();
    },
    onState: (s) => {
      liveState.value = s;
    },
  });
  void refresh();
}

/** Closes the live feed (sign-out). */
export function closeWorkspace(): void {
  socket?.close();
  socket = null;
  workspaceId.value = null;
}

/** A person-readable name for an actor or assignee reference (`agent:<id>`, `user:<id>`, `system`). */
export function actorName(ref: string | null | undefined): string {
  if (!ref) return "nobody";
  const [kind, id] = ref.split(":");
  if (kind === "agent") return agents.value.find((a) => a.id === id)?.name ?? "an agent";
  if (kind === "user") return members.value.find((m) => m.userId === id)?.name ?? "a former member";
  return ref === "system" ? "Multica" : ref;
}
