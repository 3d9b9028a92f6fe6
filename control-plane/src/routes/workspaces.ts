/**
 * Workspaces. `/api/v1/workspaces` (personal access tokens): create one — the caller becomes its
 * owner — and list the caller's workspaces with their role in each. `/api/v1/workspaces/:id`
 * (members): read it; admins rename it and change its issue prefix (issue keys follow: ENG-7
 * becomes OPS-7). A personal access token reaches every workspace of its user, so the token
 * that created a workspace works there at once.
 */
import { Hono } from "hono";
import { asc, eq } from "drizzle-orm";
import { CreateWorkspaceBody, newId, UpdateWorkspaceBody } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import { requireRole, requireToken, type AppEnv } from "../middleware/auth";
import { validate } from "../validation";

const w = schema.workspaces;
const view = { id: w.id, name: w.name, slug: w.slug, issuePrefix: w.issuePrefix, createdAt: w.createdAt };

/** `Acme Robotics` → `AR`, `Acme` → `ACM`; `WS` when the name has too few letters. */
export function defaultIssuePrefix(name: string): string {
  const words = name.toUpperCase().split(/[^A-Z]+/).filter(Boolean);
  const initials = words.map((word) => word[0]).join("").slice(0, 6);
  if (initials.length >= 2) return initials;
  const letters = words.join("").slice(0, 3);
  return letters.length >= 2 ? letters : "WS";
}

const slugTaken = (slug: string) => new ApiError(409, "conflict", `the slug ${slug} is taken; pick another`);

/** Mounted at /api/v1/workspaces: routes of the user rather than of one workspace. */
export const workspaceRoutes = new Hono<AppEnv>()
  .post("/", requireToken("member"), validate("json", CreateWorkspaceBody), async (c) => {
    const { name, slug, issuePrefix } = c.req.valid("json");
    const db = createDb(c.env.DB);
    const [existing] = await db.select({ id: w.id }).from(w).where(eq(w.slug, slug));
    if (existing) throw slugTaken(slug);
    const now = Date.now();
    const workspace = { id: newId("workspace"), name, slug, issuePrefix: issuePrefix ?? defaultIssuePrefix(name), createdAt: now };
    try {
      await db.batch([
        db.insert(w).values(workspace),
        db.insert(schema.members).values({ workspaceId: workspace.id, userId: c.get("principal").userId, role: "owner", createdAt: now }),
      ]);
    } catch (err) {
      // Two creates racing for one slug: the unique index decides.
      if (String(err).includes("UNIQUE")) throw slugTaken(slug);
      throw err;
    }
    return c.json({ workspace: { ...workspace, role: "owner" as const } }, 201);
  })
  .get("/", requireToken("member"), async (c) => {
    const rows = await createDb(c.env.DB).select({ ...view, role: schema.members.role }).from(schema.members)
      .innerJoin(w, eq(w.id, schema.members.workspaceId))
      .where(eq(schema.members.userId, c.get("principal").userId))
      .orderBy(asc(schema.members.createdAt));
    return c.json({ workspaces: rows });
  });

/** Mounted at /api/v1/workspaces/:workspaceId (after requireWorkspace): the workspace itself. */
export const workspaceSettingsRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const p = c.get("principal");
    const [row] = await createDb(c.env.DB).select(view).from(w).where(eq(w.id, p.workspaceId));
    if (!row) throw ApiError.notFound("workspace", p.workspaceId);
    return c.json({ workspace: { ...row, role: p.role ?? null } });
  })
  .patch("/", requireRole("admin"), validate("json", UpdateWorkspaceBody), async (c) => {
    const p = c.get("principal");
    const [row] = await createDb(c.env.DB).update(w).set(c.req.valid("json")).where(eq(w.id, p.workspaceId)).returning(view);
    if (!row) throw ApiError.notFound("workspace", p.workspaceId);
    return c.json({ workspace: { ...row, role: p.role ?? null } });
  });
