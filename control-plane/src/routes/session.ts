/**
 * /api/v1/session — the dashboard's sign-in. `POST` takes a personal access token, checks it, and
 * answers with a cookie holding a new session token of the same user (so the pasted token never
 * stays in the browser, and signing out can revoke what the browser held); `GET` names who is
 * signed in; `DELETE` revokes the session token and clears the cookie.
 *
 * The cookie is HttpOnly (no script reads it), SameSite=Strict and Path=/api/, Secure on https;
 * middleware/auth.ts accepts it on every API route and WebSocket behind its cross-site checks.
 */
import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import { authenticateSecret, checkCookieRequest, hashToken, requireToken, SESSION_COOKIE, type AppEnv } from "../middleware/auth";
import { validate } from "../validation";
import { newToken } from "./tokens";

/** A session lasts this long, or until the token it was made from expires, whichever is sooner. */
const SESSION_DAYS = 30;
const DAY_MS = 24 * 60 * 60_000;

/** A personal access token to sign in with. */
export const SignInBody = z.object({ token: z.string().trim().min(1).max(200) }).strict();

async function userView(c: Context<AppEnv>, userId: string) {
  const [user] = await createDb(c.env.DB).select({ id: schema.users.id, name: schema.users.name, email: schema.users.email }).from(schema.users).where(eq(schema.users.id, userId));
  if (!user) throw new ApiError(401, "unauthorized", "the token's user no longer exists");
  return user;
}

export const sessionRoutes = new Hono<AppEnv>()
  .post("/", validate("json", SignInBody), async (c) => {
    // No other site may sign a visitor in to an account of its choosing (login CSRF): browsers
    // send Origin on every POST, and the body must be JSON (the validator refuses anything else).
    const origin = c.req.header("origin");
    if (origin && origin !== new URL(c.req.url).origin) throw new ApiError(403, "forbidden", "cross-site sign-in refused");
    const { token: found } = await authenticateSecret(c, c.req.valid("json").token, null);
    if (found.kind !== "member") throw new ApiError(403, "forbidden", `sign in with a personal access token (mca_…), not a ${found.kind} token`);
    const now = Date.now();
    const { row, token } = await newToken({ workspaceId: found.workspaceId, userId: found.userId, kind: "member", name: "dashboard session" });
    const expiresAt = Math.min(now + SESSION_DAYS * DAY_MS, found.expiresAt ?? Number.POSITIVE_INFINITY);
    await createDb(c.env.DB).insert(schema.apiTokens).values({ ...row, expiresAt });
    setCookie(c, SESSION_COOKIE, token.secret, {
      httpOnly: true,
      sameSite: "Strict",
      secure: new URL(c.req.url).protocol === "https:",
      path: "/api/",
      maxAge: Math.max(1, Math.floor((expiresAt - now) / 1000)),
    });
    return c.json({ user: await userView(c, found.userId), expiresAt }, 201);
  })
  .get("/", requireToken("member"), async (c) => {
    return c.json({ user: await userView(c, c.get("principal").userId) });
  })
  .delete("/", async (c) => {
    const secret = getCookie(c, SESSION_COOKIE);
    if (secret) {
      checkCookieRequest(c.req.raw);
      const t = schema.apiTokens;
      // Only the cookie's own token: signing out never touches the tokens a user made by hand.
      await createDb(c.env.DB).update(t).set({ revokedAt: Date.now() }).where(and(eq(t.secretHash, await hashToken(secret)), isNull(t.revokedAt)));
    }
    deleteCookie(c, SESSION_COOKIE, { path: "/api/", secure: new URL(c.req.url).protocol === "https:" });
    return c.body(null, 204);
  });
