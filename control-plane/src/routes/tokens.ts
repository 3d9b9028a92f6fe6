/**
 * /api/v1/workspaces/:workspaceId/tokens — create (secret shown once), list and revoke API
 * tokens. `runner` tokens connect runners; `member` tokens call this API as their member.
 */
import { Hono } from "hono";
import { and, eq } from "drizzle-orm";
import { CreateTokenBody, newId, randomString } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import { hashToken, type AppEnv } from "../middleware/auth";
import { validate } from "../validation";

export const tokenRoutes = new Hono<AppEnv>()
  .post("/", validate("json", CreateTokenBody), async (c) => {
    const body = c.req.valid("json");
    const p = c.get("principal");
    const secret = `${body.kind === "runner" ? "mcr" : "mca"}_${randomString(40)}`;
    const row = { id: newId("token"), workspaceId: p.workspaceId, userId: p.userId, kind: body.kind, name: body.name, secretHash: await hashToken(secret), createdAt: Date.now() };
    await createDb(c.env.DB).insert(schema.apiTokens).values(row);
    return c.json({ token: { id: row.id, name: row.name, kind: row.kind, createdAt: row.createdAt, secret } }, 201);
  })
  .get("/", async (c) => {
    const rows = await createDb(c.env.DB)
      .select({ id: schema.apiTokens.id, name: schema.apiTokens.name, kind: schema.apiTokens.kind, createdAt: schema.apiTokens.createdAt, revokedAt: schema.apiTokens.revokedAt })
      .from(schema.apiTokens)
      .where(eq(schema.apiTokens.workspaceId, c.get("principal").workspaceId));
    return c.json({ tokens: rows });
  })
  .delete("/:tokenId", async (c) => {
    const db = createDb(c.env.DB);
    const id = c.req.param("tokenId");
    const where = and(eq(schema.apiTokens.id, id), eq(schema.apiTokens.workspaceId, c.get("principal").workspaceId));
    const [row] = await db.select({ id: schema.apiTokens.id }).from(schema.apiTokens).where(where);
    if (!row) throw ApiError.notFound("token", id);
    await db.update(schema.apiTokens).set({ revokedAt: Date.now() }).where(where);
    return c.body(null, 204);
  });
