/**
 * /api/v1/workspaces/:workspaceId/members — who is in the workspace and with which role.
 * Any member lists them; admins add members (an owner only by an owner), remove members and
 * revoke their personal access tokens; role changes that touch owner or admin need an owner.
 * The last owner can be neither demoted nor removed.
 *
 * Adding: a new email makes a user and a first personal access token, shown once in the answer
 * for the admin to hand over (the user should then make their own and revoke it: like every
 * personal access token it reaches every workspace its user joins later). An email that names a
 * user already known adds that user; no token is made, since their own tokens reach this
 * workspace as soon as they are a member.
 */
import { type Context, Hono } from "hono";
import { and, asc, eq, isNull, ne, or, sql } from "drizzle-orm";
import { AddMemberBody, newId, UpdateMemberBody } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import { assertRole, requireRole, type AppEnv, type Role } from "../middleware/auth";
import { validate } from "../validation";
import { newToken } from "./tokens";

const m = schema.members;
const view = { userId: m.userId, name: schema.users.name, email: schema.users.email, role: m.role, createdAt: m.createdAt };

async function requireMember(c: Context<AppEnv>) {
  const userId = c.req.param("userId") ?? "";
  const [row] = await createDb(c.env.DB).select(view).from(m).innerJoin(schema.users, eq(schema.users.id, m.userId))
    .where(and(eq(m.workspaceId, c.get("principal").workspaceId), eq(m.userId, userId)));
  if (!row) throw ApiError.notFound("member", userId);
  return row;
}

/** Roles that only an owner may give or take: owner and admin. */
function ownerOnly(...roles: Role[]): boolean {
  return roles.some((r) => r !== "member");
}

/** SQL: the membership is not an owner's, or another owner remains (one statement, so no race). */
function notLastOwner(workspaceId: string, userId: string) {
  const others = sql`(SELECT count(*) FROM members AS o WHERE o.workspace_id = ${workspaceId} AND o.role = 'owner' AND o.user_id <> ${userId}) > 0`;
  return or(ne(m.role, "owner"), others);
}

const lastOwner = () => new ApiError(409, "conflict", "the last owner of a workspace can be neither demoted nor removed; make another owner first");

export const memberRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const members = await createDb(c.env.DB).select(view).from(m).innerJoin(schema.users, eq(schema.users.id, m.userId))
      .where(eq(m.workspaceId, c.get("principal").workspaceId)).orderBy(asc(m.createdAt));
    return c.json({ members });
  })
  .post("/", requireRole("admin"), validate("json", AddMemberBody), async (c) => {
    const { name, email, role, expiresInDays } = c.req.valid("json");
    const p = c.get("principal");
    if (role === "owner") assertRole(p, "owner", "adding an owner");
    const db = createDb(c.env.DB);
    const now = Date.now();
    const [known] = await db.select().from(schema.users).where(eq(schema.users.email, email)).orderBy(asc(schema.users.createdAt)).limit(1);
    if (known) {
      const added = await db.insert(m).values({ workspaceId: p.workspaceId, userId: known.id, role, createdAt: now }).onConflictDoNothing().returning();
      if (added.length === 0) throw new ApiError(409, "conflict", `${email} is already a member of this workspace`);
      return c.json({ member: { userId: known.id, name: known.name, email: known.email, role, createdAt: now }, token: null }, 201);
    }
    const user = { id: newId("user"), name, email, createdAt: now };
    const { row, token } = await newToken({ workspaceId: p.workspaceId, userId: user.id, kind: "member", name: "first token", expiresInDays });
    await db.batch([db.insert(schema.users).values(user), db.insert(m).values({ workspaceId: p.workspaceId, userId: user.id, role, createdAt: now }), db.insert(schema.apiTokens).values(row)]);
    return c.json({ member: { userId: user.id, name, email, role, createdAt: now }, token }, 201);
  })
  .patch("/:userId", requireRole("admin"), validate("json", UpdateMemberBody), async (c) => {
    const { role } = c.req.valid("json");
    const p = c.get("principal");
    const target = await requireMember(c);
    if (ownerOnly(target.role, role)) assertRole(p, "owner", "giving or taking the owner or admin role");
    const changed = await createDb(c.env.DB).update(m).set({ role })
      .where(and(eq(m.workspaceId, p.workspaceId), eq(m.userId, target.userId), role === "owner" ? undefined : notLastOwner(p.workspaceId, target.userId)))
      .returning();
    if (changed.length === 0) throw lastOwner();
    return c.json({ member: { ...target, role } });
  })
  .delete("/:userId", requireRole("admin"), async (c) => {
    const p = c.get("principal");
    const target = await requireMember(c);
    if (ownerOnly(target.role)) assertRole(p, "owner", "removing an owner or admin");
    const db = createDb(c.env.DB);
    const gone = await db.delete(m).where(and(eq(m.workspaceId, p.workspaceId), eq(m.userId, target.userId), notLastOwner(p.workspaceId, target.userId))).returning();
    if (gone.length === 0) throw lastOwner();
    // Their personal access tokens made here go too (those made elsewhere stop reaching this
    // workspace with the membership). Runner tokens they made belong to the workspace's runners.
    const t = schema.apiTokens;
    await db.update(t).set({ revokedAt: Date.now() })
      .where(and(eq(t.workspaceId, p.workspaceId), eq(t.userId, target.userId), eq(t.kind, "member"), isNull(t.revokedAt)));
    return c.body(null, 204);
  });
