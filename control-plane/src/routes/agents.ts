/** /api/v1/workspaces/:workspaceId/agents — create and list agents (who work on assigned issues). */
import { Hono } from "hono";
import { eq } from "drizzle-orm";
import { CreateAgentBody, newId } from "@multica/shared";
import { createDb, schema } from "../db/client";
import type { AppEnv } from "../middleware/auth";
import { agentView } from "../runs";
import { validate } from "../validation";

export const agentRoutes = new Hono<AppEnv>()
  .post("/", validate("json", CreateAgentBody), async (c) => {
    const { repository, ...body } = c.req.valid("json");
    const row = {
      id: newId("agent"), workspaceId: c.get("principal").workspaceId, ...body, repository: repository?.source ?? null, baseRef: repository?.baseRef ?? null,
      avatar: null, model: null, extraArgs: null, env: null, runnerIds: null, canClose: false, createdAt: Date.now(),
    };
    await createDb(c.env.DB).insert(schema.agents).values(row);
    return c.json({ agent: agentView(row) }, 201);
  })
  .get("/", async (c) => {
    const agents = await createDb(c.env.DB).select().from(schema.agents).where(eq(schema.agents.workspaceId, c.get("principal").workspaceId));
    return c.json({ agents: agents.map(agentView) });
  });
