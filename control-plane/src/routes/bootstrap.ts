/**
 * POST /api/v1/bootstrap — first-run set-up: creates the first user, a default workspace (slug
 * `default`, that user its owner) and the owner's token, once. Guarded by BOOTSTRAP_SECRET (the
 * local start script sets a random one per run); refused when the secret is unset or any user
 * already exists.
 */
import { Hono } from "hono";
import { sql } from "drizzle-orm";
import { newId, randomString } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { readConfig } from "../env";
import { ApiError } from "../errors";
import { hashToken, type AppEnv } from "../middleware/auth";

export const bootstrapRoutes = new Hono<AppEnv>().post("/", async (c) => {
  const { bootstrapSecret } = readConfig(c.env);
  if (!bootstrapSecret) throw new ApiError(403, "bootstrap_disabled", "bootstrap is disabled (BOOTSTRAP_SECRET is not set)");
  if (c.req.header("x-bootstrap-secret") !== bootstrapSecret) throw new ApiError(401, "unauthorized", "wrong bootstrap secret");
  const db = createDb(c.env.DB);
  const [{ n } = { n: 0 }] = await db.select({ n: sql<number>`count(*)` }).from(schema.users);
  if (n > 0) throw new ApiError(409, "already_bootstrapped", "this control plane already has users; use an existing token");

  const now = Date.now();
  const user = { id: newId("user"), name: "admin", email: null, createdAt: now };
  const workspace = { id: newId("workspace"), name: "default", slug: "default", createdAt: now };
  const secret = `mca_${randomString(40)}`;
  const token = { id: newId("token"), workspaceId: workspace.id, userId: user.id, kind: "member" as const, name: "bootstrap admin", secretHash: await hashToken(secret), createdAt: now };
  await db.batch([
    db.insert(schema.users).values(user),
    db.insert(schema.workspaces).values(workspace),
    db.insert(schema.members).values({ workspaceId: workspace.id, userId: user.id, role: "owner", createdAt: now }),
    db.insert(schema.apiTokens).values(token),
  ]);
  return c.json({ workspace, user, token: { id: token.id, secret } }, 201);
});
