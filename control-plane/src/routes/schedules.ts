/**
 * /api/v1/workspaces/:workspaceId/schedules — cron schedules that open an issue (and run an agent on
 * it) at every fire: create, list, read, change, delete, pause and resume, "run now", and the run
 * log. Members read; admins write (app.ts). Every answer shows the next five fire times, in UTC and
 * in the schedule's zone, so a wrong expression or zone shows at once. After every change the
 * workspace Durable Object re-reads its next fire, and its alarm does the firing
 * (triggers/schedule-runner.ts).
 */
import { Hono, type Context } from "hono";
import { and, desc, eq } from "drizzle-orm";
import { CreateScheduleBody, newId, UpdateScheduleBody } from "@multica/shared";
import { createDb, type Db, schema } from "../db/client";
import { ApiError, type ErrorDetail } from "../errors";
import type { AppEnv } from "../middleware/auth";
import { assertTimeZone, CronError, nextFire, parseCron, SEARCH_YEARS } from "../triggers/cron";
import { unwrap, workspaceStub } from "../workspace/stub";
import { validate } from "../validation";

type ScheduleRow = typeof schema.schedules.$inferSelect;
const s = schema.schedules;
const r = schema.scheduleRuns;
/** Fire times shown with a schedule. */
const PREVIEW = 5;
/** Runs listed per request, newest first. */
const RUN_LIMIT = 100;

/** 400 naming `cron` and/or `timezone` with what is wrong with each (or that it never fires), or nothing when both work. */
function checkTiming(cron: string, timezone: string, now: number): void {
  const details: ErrorDetail[] = [];
  const check = (path: string, fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof CronError)) throw err;
      details.push({ path, message: err.message });
    }
  };
  check("cron", () => parseCron(cron));
  check("timezone", () => assertTimeZone(timezone));
  if (details.length === 0 && nextFire(cron, timezone, now) === null) details.push({ path: "cron", message: `never fires (no matching time in the next ${SEARCH_YEARS} years)` });
  if (details.length > 0) throw new ApiError(400, "bad_request", `invalid json: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`, details);
}

async function checkAgent(db: Db, workspaceId: string, agentId: string | undefined): Promise<void> {
  if (!agentId) return;
  const [agent] = await db.select({ id: schema.agents.id }).from(schema.agents).where(and(eq(schema.agents.id, agentId), eq(schema.agents.workspaceId, workspaceId)));
  if (!agent) throw new ApiError(400, "bad_request", `invalid json: action.agentId: agent ${agentId} not found in this workspace`, [{ path: "action.agentId", message: "no such agent in this workspace" }]);
}

/** `2026-03-08T03:00-04:00`: a time as the schedule's zone shows it, with its offset. */
function localTime(at: number, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "longOffset" })
      .formatToParts(at).map((p) => [p.type, p.value]),
  );
  const offset = (parts.timeZoneName ?? "GMT").replace(/^GMT/, "") || "+00:00";
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}${offset}`;
}

/** The next `PREVIEW` fire times after `from` (fewer when the expression stops firing). */
function preview(row: Pick<ScheduleRow, "cron" | "timezone">, from: number) {
  const fires: { at: number; utc: string; local: string }[] = [];
  for (let t = nextFire(row.cron, row.timezone, from); t !== null && fires.length < PREVIEW; t = nextFire(row.cron, row.timezone, t)) {
    fires.push({ at: t, utc: new Date(t).toISOString(), local: localTime(t, row.timezone) });
  }
  return fires;
}

/** A schedule as the API shows it: `paused` when disabled, by a person (no reason) or by itself (the reason). */
function scheduleView(row: ScheduleRow, now: number) {
  const { workspaceId: _ws, ...rest } = row;
  return { ...rest, state: row.enabled ? "active" : "paused", nextFires: preview(row, Math.max(now, row.lastFireAt)) };
}

async function requireSchedule(db: Db, workspaceId: string, id: string): Promise<ScheduleRow> {
  const [row] = await db.select().from(s).where(and(eq(s.id, id), eq(s.workspaceId, workspaceId)));
  if (!row) throw ApiError.notFound("schedule", id);
  return row;
}

/** Writes a change and has the workspace's alarm re-read its next fire before answering. */
async function saveChange(c: Context<AppEnv>, id: string, set: Partial<ScheduleRow>): Promise<ScheduleRow> {
  const workspaceId = c.get("principal").workspaceId;
  const [row] = await createDb(c.env.DB).update(s).set(set).where(and(eq(s.id, id), eq(s.workspaceId, workspaceId))).returning();
  if (!row) throw ApiError.notFound("schedule", id);
  await workspaceStub(c.env, workspaceId).schedulesChanged(workspaceId);
  return row;
}

export const scheduleRoutes = new Hono<AppEnv>()
  .post("/", validate("json", CreateScheduleBody), async (c) => {
    const body = c.req.valid("json");
    const workspaceId = c.get("principal").workspaceId;
    const db = createDb(c.env.DB);
    const now = Date.now();
    checkTiming(body.cron, body.timezone, now);
    await checkAgent(db, workspaceId, body.action.agentId);
    const row: ScheduleRow = {
      id: newId("schedule"), workspaceId, name: body.name, cron: body.cron, timezone: body.timezone, missedPolicy: body.missedPolicy, action: body.action,
      enabled: true, pausedReason: null, consecutiveFailures: 0, maxConsecutiveFailures: body.maxConsecutiveFailures,
      // Fires count from creation: nothing before it is "missed".
      lastFireAt: now, nextFireAt: nextFire(body.cron, body.timezone, now), createdAt: now, updatedAt: now,
    };
    await db.insert(s).values(row);
    await workspaceStub(c.env, workspaceId).schedulesChanged(workspaceId);
    return c.json({ schedule: scheduleView(row, now) }, 201);
  })
  .get("/", async (c) => {
    const rows = await createDb(c.env.DB).select().from(s).where(eq(s.workspaceId, c.get("principal").workspaceId)).orderBy(desc(s.createdAt));
    const now = Date.now();
    return c.json({ schedules: rows.map((row) => scheduleView(row, now)) });
  })
  .get("/:scheduleId", async (c) => {
    const row = await requireSchedule(createDb(c.env.DB), c.get("principal").workspaceId, c.req.param("scheduleId"));
    return c.json({ schedule: scheduleView(row, Date.now()) });
  })
  .patch("/:scheduleId", validate("json", UpdateScheduleBody), async (c) => {
    const patch = c.req.valid("json");
    const workspaceId = c.get("principal").workspaceId;
    const db = createDb(c.env.DB);
    const before = await requireSchedule(db, workspaceId, c.req.param("scheduleId"));
    const cron = patch.cron ?? before.cron;
    const timezone = patch.timezone ?? before.timezone;
    const now = Date.now();
    checkTiming(cron, timezone, now);
    if (patch.action) await checkAgent(db, workspaceId, patch.action.agentId);
    // New timing counts from now: fires the old expression missed are not the new one's to catch up.
    const retimed = cron !== before.cron || timezone !== before.timezone ? { lastFireAt: now, nextFireAt: nextFire(cron, timezone, now) } : {};
    const row = await saveChange(c, before.id, { ...patch, ...retimed, updatedAt: now });
    return c.json({ schedule: scheduleView(row, now) });
  })
  .delete("/:scheduleId", async (c) => {
    const workspaceId = c.get("principal").workspaceId;
    const db = createDb(c.env.DB);
    const row = await requireSchedule(db, workspaceId, c.req.param("scheduleId"));
    // The run log goes with the schedule (its rows reference it); the issues it opened stay.
    await db.batch([db.delete(r).where(eq(r.scheduleId, row.id)), db.delete(s).where(eq(s.id, row.id))]);
    await workspaceStub(c.env, workspaceId).schedulesChanged(workspaceId);
    return c.body(null, 204);
  })
  .post("/:scheduleId/pause", async (c) => {
    const now = Date.now();
    const row = await saveChange(c, c.req.param("scheduleId"), { enabled: false, updatedAt: now });
    return c.json({ schedule: scheduleView(row, now) });
  })
  .post("/:scheduleId/resume", async (c) => {
    const now = Date.now();
    const before = await requireSchedule(createDb(c.env.DB), c.get("principal").workspaceId, c.req.param("scheduleId"));
    // A fresh start: no failures counted, and fires missed while paused are not caught up.
    const row = await saveChange(c, before.id, {
      enabled: true, pausedReason: null, consecutiveFailures: 0, lastFireAt: now, nextFireAt: nextFire(before.cron, before.timezone, now), updatedAt: now,
    });
    return c.json({ schedule: scheduleView(row, now) });
  })
  .post("/:scheduleId/run", async (c) => {
    const workspaceId = c.get("principal").workspaceId;
    const run = unwrap(await workspaceStub(c.env, workspaceId).runSchedule(workspaceId, c.req.param("scheduleId")));
    return c.json({ run }, 201);
  })
  .get("/:scheduleId/runs", async (c) => {
    const db = createDb(c.env.DB);
    const row = await requireSchedule(db, c.get("principal").workspaceId, c.req.param("scheduleId"));
    const runs = await db.select().from(r).where(eq(r.scheduleId, row.id)).orderBy(desc(r.firedAt)).limit(RUN_LIMIT);
    return c.json({ runs });
  });
