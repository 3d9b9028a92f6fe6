/**
 * /api/v1/workspaces/:workspaceId/tokens — create (secret shown once, stored hashed), list and
 * revoke API tokens. `member` tokens are personal access tokens (any member makes their own);
 * `runner` tokens connect runners (admins only); `agent` tokens are minted per attempt by the
 * workspace and only listed and revoked here. Members see their own tokens, admins all of them.
 * A token is revoked by its owner or an admin; an owner's token only by an owner.
 */
import { Hono } from "hono";
import { and, desc, eq } from "drizzle-orm";
import { CreateAccessTokenBody, newId, randomString } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import { assertRole, hasRole, hashToken, type AppEnv } from "../middleware/auth";
import { validate } from "../validation";

const DAY_MS = 24 * 60 * 60_000;
/** List pages: agent tokens pile up (one per attempt), newest first. */
const LIST_LIMIT = 500;

const t = schema.apiTokens;
const listed = {
  id: t.id, name: t.name, kind: t.kind, userId: t.userId, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt,
  expiresAt: t.expiresAt, revokedAt: t.revokedAt, taskId: t.taskId, attempt: t.attempt, issueId: t.issueId,
};

type MintOptions = { workspaceId: string; userId: string; kind: "member" | "runner"; name: string; expiresInDays?: number | undefined };

/** A new member or runner token: the row to insert, its view and the secret (the only time it is seen). */
export async function newToken(o: MintOptions) {
  const secret = `${o.kind === "runner" ? "mcr" : "mca"}_${randomString(40)}`;
  const now = Date.now();
  const row = {
    id: newId("token"), workspaceId: o.workspaceId, userId: o.userId, kind: o.kind, name: o.name, secretHash: await hashToken(secret),
    createdAt: now, expiresAt: o.expiresInDays === undefined ? null : now + o.expiresInDays * DAY_MS,
  };
  return { row, token: { id: row.id, name: row.name, kind: row.kind, userId: row.userId, createdAt: row.createdAt, lastUsedAt: null, expiresAt: row.expiresAt, secret } };
}

export const tokenRoutes = new Hono<AppEnv>()
  .post("/", validate("json", CreateAccessTokenBody), async (c) => {
    const body = c.req.valid("json");
    const p = c.get("principal");
    if (body.kind === "runner") assertRole(p, "admin", "a runner token");
    const { row, token } = await newToken({ workspaceId: p.workspaceId, userId: p.userId, ...body });
    await createDb(c.env.DB).insert(t).values(row);
    return c.json({ token }, 201);
  })
  .get("/", async (c) => {
    const p = c.get("principal");
    const where = hasRole(p, "admin") ? eq(t.workspaceId, p.workspaceId) : and(eq(t.workspaceId, p.workspaceId), eq(t.userId, p.userId));
    const rows = await createDb(c.env.DB).select(listed).from(t).where(where).orderBy(desc(t.createdAt)).limit(LIST_LIMIT);
    return c.json({ tokens: rows });
  })
  .delete("/:tokenId", async (c) => {
    const db = createDb(c.env.DB);
    const p = c.get("principal");
    const id = c.req.param("tokenId");
    const [row] = await db.select({ token: t, ownerRole: schema.members.role }).from(t)
      .leftJoin(schema.members, and(eq(schema.members.userId, t.userId), eq(schema.members.workspaceId, t.workspaceId)))
      .where(and(eq(t.id, id), eq(t.workspaceId, p.workspaceId)));
    if (!row) throw ApiError.notFound("token", id);
    const own = row.token.kind === "member" && row.token.userId === p.userId;
    if (!own) assertRole(p, row.token.kind === "member" && row.ownerRole === "owner" ? "owner" : "admin", "revoking another's token");
    if (row.token.revokedAt === null) await db.update(t).set({ revokedAt: Date.now() }).where(eq(t.id, id));
    return c.body(null, 204);
  });
