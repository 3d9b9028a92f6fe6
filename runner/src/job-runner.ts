/**
 * Runs assigned attempts: records each in the outbox, prepares its work dir (a git worktree of
 * the task's repository, or a plain directory, with the issue written where the agent CLI reads
 * it), starts it through its runtime's adapter — resuming the earlier session for a follow-up
 * when this runner still has its work dir — stores every event it produces, and stores its
 * report when it ends. The task's skills are fetched (skill-cache.ts) and installed in the work
 * dir before the agent starts; skills the agent created or changed are proposed to the workspace
 * after it ends (skill-harvest.ts). An attempt with an agent token gets the Multica MCP server
 * attached where its CLI supports one (mcp/mcp-attach.ts). runner.ts feeds it `task.assign` /
 * `task.cancel` frames.
 */
import { join } from "node:path";
import type { AgentEvent, AttemptRef, ControlTaskAssign, FailureKind, ReportStatus } from "@multica/shared";
import type { AgentOutcome, RunningAgent } from "./agents/adapter";
import type { RuntimeRegistry } from "./agents/registry";
import { describeError, type Logger } from "./log";
import { type AttemptMcp, mcpServerSpec, prepareAttemptMcp } from "./mcp/mcp-attach";
import type { Outbox, ReportBody } from "./outbox";
import { ensureBundles, SkillFetchError } from "./skills/skill-cache";
import { httpBase } from "./skills/skill-api";
import { harvestSkills } from "./skills/skill-harvest";
import { type InstalledSkills, installSkills } from "./skills/skill-install";
import { type PreparedWorkdir, prepareWorkdir, WorkdirError } from "./workdir/workdir";

export interface JobRunnerOptions {
  outbox: Outbox;
  registry: RuntimeRegistry;
  dataDir: string;
  /** The control plane (skill bundles and proposals go over its REST API) and the runner token. */
  url: URL;
  token: string;
  concurrency: number;
  log: Logger;
  /** The agent process of an attempt is up (send `task.started`). */
  onStarted: (ref: AttemptRef) => void;
}

type Job = {
  ref: AttemptRef;
  /** `<agent>/<issue>`: two attempts of the same pair on this runner must not share a work dir. */
  pair: string;
  /** Aborts work-dir preparation (a long clone) on cancel. */
  abort: AbortController;
  /** Passed the checks (capacity, runtime) and holds a slot; refused attempts never do. */
  accepted: boolean;
  agent: RunningAgent | null;
  cancelReason: string | null;
  started: boolean;
  done: Promise<void>;
};

/** How long proposing the skills an agent made may hold up its report. */
const HARVEST_TIMEOUT_MS = 30_000;

type Failed = { ok: false; status: ReportStatus; kind: FailureKind; error: string };

const key = (ref: AttemptRef) => `${ref.taskId}#${ref.attempt}`;
const label = (ref: AttemptRef) => `${ref.taskId}/${ref.attempt}`;

export class JobRunner {
  private readonly jobs = new Map<string, Job>();
  private stopping = false;
  /** Aborted by stopAll: a harvest in progress must not hold up the runner's stop. */
  private readonly stopped = new AbortController();

  constructor(private readonly o: JobRunnerOptions) {}

  /** Attempts this process holds, for `hello.active` and `heartbeat` (at most `concurrency`). */
  active(): AttemptRef[] {
    return [...this.jobs.values()].filter((j) => j.accepted).map((j) => j.ref);
  }

  /** Attempts whose process is up. */
  started(): AttemptRef[] {
    return [...this.jobs.values()].filter((j) => j.started).map((j) => j.ref);
  }

  /** Starts an assigned attempt in the background. Duplicate assigns are ignored. */
  assign(msg: ControlTaskAssign): void {
    const ref = { taskId: msg.taskId, attempt: msg.attempt };
    if (this.jobs.has(key(ref))) {
      this.o.log.warn(`task ${label(ref)} is already running here; ignoring a repeated assign`);
      return;
    }
    const pair = `${msg.agent.id}/${msg.issue.id}`;
    const job: Job = { ref, pair, abort: new AbortController(), accepted: false, agent: null, cancelReason: null, started: false, done: Promise.resolve() };
    this.jobs.set(key(ref), job);
    job.done = this.run(job, msg)
      .catch((err) => this.crashed(job, err))
      .finally(() => this.jobs.delete(key(ref)));
  }

  /** Cancels a running attempt; false when this process does not run it. */
  cancel(ref: AttemptRef, reason: string): boolean {
    const job = this.jobs.get(key(ref));
    if (!job) return false;
    job.cancelReason ??= reason;
    job.abort.abort();
    job.agent?.cancel(reason);
    return true;
  }

  /** Refuses further assigns and cancels everything; resolves when every report is stored. */
  async stopAll(reason: string): Promise<void> {
    this.stopping = true;
    this.stopped.abort();
    for (const job of this.jobs.values()) this.cancel(job.ref, reason);
    await Promise.all([...this.jobs.values()].map((j) => j.done));
  }

  /** SIGKILLs every process tree now, synchronously; for an immediate exit. */
  killAllNow(): void {
    for (const job of this.jobs.values()) job.agent?.killNow();
  }

  private async run(job: Job, msg: ControlTaskAssign): Promise<void> {
    const { ref } = job;
    const startedAt = Date.now();
    // The outbox keeps the frame for diagnosis; the agent token stays in memory only.
    if (!(await this.o.outbox.begin({ ...msg, agentToken: null }))) {
      this.o.log.warn(`task ${label(ref)} was already run by this runner; ignoring a repeated assign`);
      return;
    }
    this.o.log.info(`task ${label(ref)} assigned: runtime ${msg.runtime}, issue "${msg.issue.title.slice(0, 80)}"`);
    const refuse = (status: ReportStatus, kind: FailureKind, error: string) => this.refuse(job, status, kind, error, startedAt);
    if (this.stopping) return refuse("lost", "runner_lost", "runner is stopping");
    if (this.active().length >= this.o.concurrency) {
      return refuse("lost", "runner_lost", `runner is at its concurrency limit (${this.o.concurrency})`);
    }
    const resolved = this.o.registry.resolve(msg.runtime);
    if (!resolved.ok) return refuse("failed", "bad_config", resolved.error);
    job.accepted = true;
    const prepared = await this.prepare(job, msg);
    if (job.cancelReason !== null) return refuse("cancelled", "cancelled", `cancelled before start: ${job.cancelReason}`);
    if (!prepared.ok) return refuse(prepared.status, prepared.kind, prepared.error);
    const { dir: workDir, reused, promptPreamble } = prepared.workdir;
    const skills = await this.installSkills(job, msg, workDir);
    if (job.cancelReason !== null) return refuse("cancelled", "cancelled", `cancelled before start: ${job.cancelReason}`);
    if (!skills.ok) return refuse(skills.status, skills.kind, skills.error);

    // A follow-up resumes the agent's session only where that session's files are: its work dir.
    const resume = msg.resume && reused ? msg.resume : null;
    const prompt = [promptPreamble, resume ? resume.prompt : msg.prompt].filter(Boolean).join("\n\n");
    const mcp = await this.attachMcp(job, msg);
    let outcome: AgentOutcome;
    try {
      const agent = resolved.adapter.start({
        ...ref, prompt, issue: msg.issue, agent: msg.agent, workDir, limits: msg.limits, mcp: mcp?.launch ?? null,
        ...(resume ? { resumeSessionId: resume.sessionId } : {}),
      });
      outcome = await this.follow(job, agent);
    } finally {
      mcp?.dispose();
    }
    await this.harvest(job, skills.installed);
    await this.finish(job, { ...ref, ...outcome });
  }

  /** Stores the events of a started agent until it ends; resolves with how it ended. */
  private async follow(job: Job, agent: RunningAgent): Promise<AgentOutcome> {
    const { ref } = job;
    job.agent = agent;
    if (job.cancelReason !== null) agent.cancel(job.cancelReason);
    for await (const event of agent.events) {
      if (!job.started && event.kind === "lifecycle" && event.phase === "started") {
        job.started = true;
        this.o.log.info(`task ${label(ref)} started`);
        this.o.onStarted(ref);
      }
      await this.o.outbox.append(ref, event);
    }
    return agent.outcome;
  }

  /**
   * The Multica MCP server for an attempt with an agent token, when its CLI can take one; null
   * otherwise. A failure to write its config is noted in the transcript and the run goes on without.
   */
  private async attachMcp(job: Job, msg: ControlTaskAssign): Promise<AttemptMcp | null> {
    if (!msg.agentToken) return null;
    const { ref } = job;
    const server = mcpServerSpec({ url: httpBase(this.o.url), token: msg.agentToken.secret, issueId: msg.issue.id, ...ref });
    try {
      const mcp = prepareAttemptMcp({ dataDir: this.o.dataDir, runtime: msg.runtime, server, ...ref });
      if (!mcp.launch) return null;
      await this.o.outbox.append(ref, { kind: "status", text: "multica MCP server attached (tools: get_issue, post_comment, set_status, create_sub_issue, search_skills)" });
      return mcp;
    } catch (err) {
      await this.o.outbox.append(ref, { kind: "status", text: `could not attach the multica MCP server: ${describeError(err)}`.slice(0, 2000) });
      return null;
    }
  }

  /** The attempt's work dir, with progress lines in the transcript; or why there is none. */
  private async prepare(
    job: Job,
    msg: ControlTaskAssign,
  ): Promise<{ ok: true; workdir: PreparedWorkdir } | Failed> {
    const { ref } = job;
    const twin = [...this.jobs.values()].some((j) => j !== job && j.accepted && j.pair === job.pair);
    const key = msg.issue.key || msg.issue.id;
    const progress: Promise<void>[] = [];
    try {
      const workdir = await prepareWorkdir(
        {
          root: join(this.o.dataDir, "work"),
          taskId: ref.taskId,
          attempt: ref.attempt,
          runtime: msg.runtime,
          agent: msg.agent,
          // Another attempt of this agent on this issue is running here: give this one its own dir.
          issue: { ...msg.issue, key: twin ? `${key}-${ref.taskId}` : key },
          repository: msg.repository,
        },
        { signal: job.abort.signal, onProgress: (line) => progress.push(this.o.outbox.append(ref, { kind: "status", text: line.slice(0, 2000) })) },
      );
      await Promise.all(progress);
      return { ok: true, workdir };
    } catch (err) {
      await Promise.all(progress);
      if (err instanceof WorkdirError && err.kind === "bad_config") return { ok: false, status: "failed", kind: "bad_config", error: err.message };
      // Git could not fetch or check out (network, disk): another runner may fare better.
      const error = err instanceof WorkdirError ? err.message : `could not prepare the work directory: ${describeError(err)}`;
      return { ok: false, status: "lost", kind: "runner_lost", error };
    }
  }

  /**
   * Fetches the task's skills the cache lacks and installs them where the runtime's CLI reads
   * them, with progress lines in the transcript. Runs with no skills too: it removes skills of an
   * earlier run and records the folders already there, so the harvest sees what the agent made.
   */
  private async installSkills(job: Job, msg: ControlTaskAssign, workDir: string): Promise<{ ok: true; installed: InstalledSkills } | Failed> {
    const progress: Promise<void>[] = [];
    const status = (text: string) => progress.push(this.o.outbox.append(job.ref, { kind: "status", text: text.slice(0, 2000) }));
    try {
      const { url, token, dataDir } = this.o;
      const bundles = await ensureBundles(msg.skills, { url, token, dataDir, signal: job.abort.signal, onProgress: status });
      const installed = await installSkills(workDir, msg.runtime, bundles, { signal: job.abort.signal });
      if (installed.installed.length > 0) {
        status(`skills: ${installed.installed.map((s) => `${s.name} v${s.version}`).join(", ")} in ${installed.skillDirs[0]}`);
      }
      for (const note of installed.notes) status(note);
      await Promise.all(progress);
      return { ok: true, installed };
    } catch (err) {
      await Promise.all(progress);
      // A bundle the control plane does not have will not appear on a retry; anything else may.
      if (err instanceof SkillFetchError && err.kind === "not_found") return { ok: false, status: "failed", kind: "bad_config", error: err.message };
      const error = err instanceof SkillFetchError ? err.message : `could not install the task's skills: ${describeError(err)}`;
      return { ok: false, status: "lost", kind: "runner_lost", error };
    }
  }

  /** Proposes the skills the agent created or changed (bounded; never fails the attempt). Skipped while stopping. */
  private async harvest(job: Job, installed: InstalledSkills): Promise<void> {
    if (this.stopping || installed.skillDirs.length === 0) return;
    const progress: Promise<void>[] = [];
    await harvestSkills(
      { installed, ...job.ref },
      {
        url: this.o.url,
        token: this.o.token,
        log: this.o.log,
        signal: AbortSignal.any([AbortSignal.timeout(HARVEST_TIMEOUT_MS), this.stopped.signal]),
        onStatus: (text) => progress.push(this.o.outbox.append(job.ref, { kind: "status", text: text.slice(0, 2000) })),
      },
    );
    await Promise.all(progress);
  }

  /** A bug or a dead outbox ended the attempt: stop its process and try to report it failed. */
  private async crashed(job: Job, err: unknown): Promise<void> {
    const error = `runner error: ${describeError(err)}`.slice(0, 2000);
    this.o.log.error(`task ${label(job.ref)}: ${error}`);
    job.agent?.killNow();
    if (!this.jobs.has(key(job.ref))) return; // its report was already being written
    const exit = { exitCode: null, signal: null, error, durationMs: 0 };
    const failure = { kind: "agent_error" as const, message: error, retryAt: null };
    await this.finish(job, { ...job.ref, status: "failed", exit, sessionId: null, usage: null, failure }).catch(() => {
      // Nothing more to do here: on the next start the attempt is reported lost.
    });
  }

  /** Ends an attempt that never ran: an error event explaining why, then the report. */
  private async refuse(job: Job, status: ReportStatus, kind: FailureKind, error: string, startedAt: number): Promise<void> {
    const event: AgentEvent = { kind: "error", message: error };
    await this.o.outbox.append(job.ref, event);
    const exit = { exitCode: null, signal: null, error, durationMs: Date.now() - startedAt };
    await this.finish(job, { ...job.ref, status, exit, sessionId: null, usage: null, failure: { kind, message: error, retryAt: null } });
  }

  private async finish(job: Job, body: ReportBody): Promise<void> {
    // Leave the active set before the report can reach the control plane, which may then assign more.
    this.jobs.delete(key(job.ref));
    const report = await this.o.outbox.finish(job.ref, body);
    const secs = (report.exit.durationMs / 1000).toFixed(1);
    const why = report.exit.error ? `: ${report.exit.error}` : report.exit.exitCode !== null ? ` (exit code ${report.exit.exitCode})` : "";
    this.o.log.info(`task ${label(job.ref)} finished: ${report.status} after ${secs}s${why}`);
  }
}
