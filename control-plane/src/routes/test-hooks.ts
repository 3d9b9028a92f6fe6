/**
 * /api/v1/_test/* — hooks for the integration tests, answered only when the Worker runs with
 * `TEST_HOOKS=1` (test/helpers/control-plane.ts sets it; wrangler.toml does not, so deployments
 * and `npm start` answer 404 as for any unknown route). Even then they need a member token of
 * the workspace they touch.
 * - POST /agent-token {taskId, attempt, issueId, expiresAt?}: mints an agent token scoped to that
 *   attempt and issue (as the workspace would at dispatch), secret shown once;
 * - POST /expire-token {tokenId}: makes a token of the caller's workspace expired now.
 * - POST /schedule-clock {scheduleId, lastFireAt, nextFireAt}: sets a schedule's clock (as if the
 *   control plane had been down since `lastFireAt`) and has the workspace re-arm its alarm, so a
 *   fire is due now instead of at the next minute boundary.
 */
import { Hono } from "hono";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { IssueId, newId, randomString, TaskId } from "@multica/shared";
import { createDb, schema, type Db } from "../db/client";
import { readConfig } from "../env";
import { ApiError } from "../errors";
import { hashToken, requireToken, type AppEnv } from "../middleware/auth";
import { validate } from "../validation";
import { workspaceStub } from "../workspace/stub";

const AgentTokenBody = z.object({ taskId: TaskId, attempt: z.number().int().min(1), issueId: IssueId, expiresAt: z.number().int().optional() });
const ExpireTokenBody = z.object({ tokenId: z.string().min(1).max(64) });
const ScheduleClockBody = z.object({ scheduleId: z.string().min(1).max(64), lastFireAt: z.number().int().min(0), nextFireAt: z.number().int().min(0) });

async function assertMember(db: Db, workspaceId: string, userId: string): Promise<void> {
  const [m] = await db.select({ role: schema.members.role }).from(schema.members).where(and(eq(schema.members.workspaceId, workspaceId), eq(schema.members.userId, userId)));
  if (!m) throw new ApiError(403, "forbidden", `this token does not belong to workspace ${workspaceId}`);
}

export const testHookRoutes = new Hono<AppEnv>()
  .use(async (c, next) => {
    // Off unless TEST_HOOKS=1 (readConfig): a deployment answers as if the route did not exist.
    if (!readConfig(c.env).testHooks) throw new ApiError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`);
    await next();
  })
  .post("/agent-token", requireToken("member"), validate("json", AgentTokenBody), async (c) => {
    const { taskId, attempt, issueId, expiresAt } = c.req.valid("json");
    const db = createDb(c.env.DB);
    const [issue] = await db.select({ workspaceId: schema.issues.workspaceId }).from(schema.issues).where(eq(schema.issues.id, issueId));
    if (!issue) throw ApiError.notFound("issue", issueId);
    const userId = c.get("principal").userId;
    await assertMember(db, issue.workspaceId, userId);
    const secret = `mat_${randomString(40)}`;
    const id = newId("token");
    await db.insert(schema.apiTokens).values({
      id, workspaceId: issue.workspaceId, userId, kind: "agent", name: `test agent token ${taskId}/${attempt}`, secretHash: await hashToken(secret),
      createdAt: Date.now(), expiresAt: expiresAt ?? null, taskId, attempt, issueId,
    });
    return c.json({ token: { id, secret } }, 201);
  })
  .post("/expire-token", requireToken("member"), validate("json", ExpireTokenBody), async (c) => {
    const { tokenId } = c.req.valid("json");
    const db = createDb(c.env.DB);
    const [token] = await db.select({ workspaceId: schema.apiTokens.workspaceId }).from(schema.apiTokens).where(eq(schema.apiTokens.id, tokenId));
    if (!token) throw ApiError.notFound("token", tokenId);
    await assertMember(db, token.workspaceId, c.get("principal").userId);
    await db.update(schema.apiTokens).set({ expiresAt: Date.now() - 1 }).where(eq(schema.apiTokens.id, tokenId));
    return c.body(null, 204);
  })
  .post("/schedule-clock", requireToken("member"), validate("json", ScheduleClockBody), async (c) => {
    const { scheduleId, lastFireAt, nextFireAt } = c.req.valid("json");
    const db = createDb(c.env.DB);
    const [row] = await db.select({ workspaceId: schema.schedules.workspaceId }).from(schema.schedules).where(eq(schema.schedules.id, scheduleId));
    if (!row) throw ApiError.notFound("schedule", scheduleId);
    await assertMember(db, row.workspaceId, c.get("principal").userId);
    await db.update(schema.schedules).set({ lastFireAt, nextFireAt }).where(eq(schema.schedules.id, scheduleId));
    await workspaceStub(c.env, row.workspaceId).schedulesChanged(row.workspaceId);
    return c.body(null, 204);
  });
