/**
 * The HTTP API: request ids, route mounts, and the one error handler that turns ApiError into
 * `{ error: { code, message, requestId } }` and anything unexpected into a logged 500 without a
 * stack trace.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import type { ApiErrorBody } from "@multica/shared";
import { PROTOCOL_VERSION } from "@multica/shared";
import { ApiError } from "./errors";
import { liveRoutes } from "./live";
import { openApiDocument } from "./openapi";
import { requireRole, requireRoleToWrite, requireToken, requireWorkspace, type AppEnv } from "./middleware/auth";
import { agentRoutes } from "./routes/agents";
import { bootstrapRoutes } from "./routes/bootstrap";
import { activityRoutes } from "./routes/activity";
import { agentSkillRoutes } from "./routes/agent-skills";
import { commentRoutes } from "./routes/comments";
import { runnerApiRoutes } from "./routes/runner-api";
import { skillProposalRoutes } from "./routes/skill-proposals";
import { skillRoutes } from "./routes/skills";
import { hookRoutes } from "./routes/hooks";
import { issueRoutes } from "./routes/issues";
import { runnerConnectRoutes, runnerRoutes } from "./routes/runners";
import { scheduleRoutes } from "./routes/schedules";
import { sessionRoutes } from "./routes/session";
import { taskRoutes } from "./routes/tasks";
import { tokenRoutes } from "./routes/tokens";
import { memberRoutes } from "./routes/members";
import { testHookRoutes } from "./routes/test-hooks";
import { subscriptionRoutes } from "./routes/subscriptions";
import { webhookRoutes } from "./routes/webhooks";
import { workspaceRoutes, workspaceSettingsRoutes } from "./routes/workspaces";

const workspace = new Hono<AppEnv>()
  .use(requireWorkspace)
  // Which skills an agent gets is part of its configuration: admins change it.
  .use("/agents/:agentId/skills/*", requireRoleToWrite("admin"))
  // Webhooks open issues and start runs on their own, and their secrets are shown: admins only.
  .use("/webhooks", requireRole("admin"))
  .use("/webhooks/*", requireRole("admin"))
  // Schedules open issues and start runs on their own: members read them, admins change them.
  .use("/schedules", requireRoleToWrite("admin"))
  .use("/schedules/*", requireRoleToWrite("admin"))
  // Outbound subscriptions send the workspace's events elsewhere, signed with secrets shown here: admins only.
  .use("/subscriptions", requireRole("admin"))
  .use("/subscriptions/*", requireRole("admin"))
  .route("/", workspaceSettingsRoutes)
  .route("/members", memberRoutes)
  .route("/live", liveRoutes)
  .route("/issues/:issueId/comments", commentRoutes)
  .route("/issues/:issueId/activity", activityRoutes)
  .route("/agents/:agentId/skills", agentSkillRoutes)
  .route("/skills", skillRoutes)
  .route("/skill-proposals", skillProposalRoutes)
  .route("/issues", issueRoutes)
  .route("/agents", agentRoutes)
  .route("/tasks", taskRoutes)
  .route("/runners", runnerRoutes)
  .route("/tokens", tokenRoutes)
  .route("/schedules", scheduleRoutes)
  .route("/webhooks", webhookRoutes)
  .route("/subscriptions", subscriptionRoutes);

export const app = new Hono<AppEnv>()
  .use(requestId())
  .get("/api/v1/health", (c) => c.json({ ok: true, protocol: PROTOCOL_VERSION }))
  .get("/api/v1/openapi.json", (c) => c.json(openApiDocument(new URL(c.req.url).origin)))
  .route("/api/v1/bootstrap", bootstrapRoutes)
  .route("/api/v1/session", sessionRoutes)
  .get("/api/v1/whoami", requireToken("any"), (c) => {
    const p = c.get("principal");
    return c.json({ workspaceId: p.workspaceId, kind: p.kind, userId: p.userId, tokenId: p.tokenId });
  })
  .route("/api/v1/runner", runnerConnectRoutes)
  .route("/api/v1/runner", runnerApiRoutes)
  .route("/api/v1/_test", testHookRoutes)
  // Public, outside the workspace routes: a delivery is authenticated by its signature, not a token.
  .route("/api/v1/hooks", hookRoutes)
  .route("/api/v1/workspaces", workspaceRoutes)
  .route("/api/v1/workspaces/:workspaceId", workspace);

app.notFound((c) => c.json<ApiErrorBody>({ error: { code: "not_found", message: `no route for ${c.req.method} ${new URL(c.req.url).pathname}`, requestId: c.get("requestId") } }, 404));

app.onError((err, c) => {
  const rid = c.get("requestId");
  if (err instanceof ApiError) {
    const details = err.details ? { details: err.details } : {};
    return c.json<ApiErrorBody>({ error: { code: err.code, message: err.message, requestId: rid, ...details } }, err.status);
  }
  if (err instanceof HTTPException && err.status < 500) {
    return c.json<ApiErrorBody>({ error: { code: "bad_request", message: err.message || "bad request", requestId: rid } }, err.status);
  }
  console.error(`[${rid}] ${c.req.method} ${c.req.path} failed:`, err instanceof Error ? err.stack : err);
  return c.json<ApiErrorBody>({ error: { code: "internal", message: "internal error", requestId: rid } }, 500);
});
