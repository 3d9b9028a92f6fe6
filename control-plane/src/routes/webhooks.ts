/**
 * /api/v1/workspaces/:workspaceId/webhooks — inbound webhooks of a workspace (admins only):
 * create (the secret and the URL to give the sender are shown once), list, enable or disable,
 * delete, read a hook's delivery log, and redeliver a logged delivery (rules in
 * triggers/hook-delivery.ts). Deliveries themselves arrive at the public routes/hooks.ts.
 */
import { Hono } from "hono";
import { and, desc, eq } from "drizzle-orm";
import { CreateWebhookBody, newId, randomString, UpdateWebhookBody } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import type { AppEnv } from "../middleware/auth";
import { actOnDelivery, parsePayload, redeliveryRefusal } from "../triggers/hook-delivery";
import { validate } from "../validation";

const w = schema.webhooks;
const d = schema.webhookDeliveries;
/** Deliveries listed per request, newest first. */
const DELIVERY_LIMIT = 100;

const listed = { id: w.id, kind: w.kind, name: w.name, config: w.config, enabled: w.enabled, createdAt: w.createdAt };

/** Where the sender posts: public, next to the API. */
const inboundUrl = (requestUrl: string, id: string) => `${new URL(requestUrl).origin}/api/v1/hooks/${id}`;

async function requireWebhook(db: ReturnType<typeof createDb>, workspaceId: string, id: string) {
  const [row] = await db.select({ id: w.id }).from(w).where(and(eq(w.id, id), eq(w.workspaceId, workspaceId)));
  if (!row) throw ApiError.notFound("webhook", id);
  return row;
}

export const webhookRoutes = new Hono<AppEnv>()
  .post("/", validate("json", CreateWebhookBody), async (c) => {
    const body = c.req.valid("json");
    const workspaceId = c.get("principal").workspaceId;
    const db = createDb(c.env.DB);
    if (body.config.agentId) {
      const [agent] = await db.select({ id: schema.agents.id }).from(schema.agents).where(and(eq(schema.agents.id, body.config.agentId), eq(schema.agents.workspaceId, workspaceId)));
      if (!agent) throw new ApiError(400, "bad_request", `config.agentId: agent ${body.config.agentId} not found in this workspace`, [{ path: "config.agentId", message: "no such agent in this workspace" }]);
    }
    const row = { id: newId("webhook"), workspaceId, kind: body.kind, name: body.name, secret: body.secret ?? `whsec_${randomString(40)}`, config: body.config, enabled: true, createdAt: Date.now() };
    await db.insert(w).values(row);
    const webhook = { id: row.id, kind: row.kind, name: row.name, config: row.config, enabled: row.enabled, createdAt: row.createdAt };
    return c.json({ webhook: { ...webhook, secret: row.secret, url: inboundUrl(c.req.url, row.id) } }, 201);
  })
  .get("/", async (c) => {
    const workspaceId = c.get("principal").workspaceId;
    const rows = await createDb(c.env.DB).select(listed).from(w).where(eq(w.workspaceId, workspaceId)).orderBy(desc(w.createdAt));
    return c.json({ webhooks: rows.map((r) => ({ ...r, url: inboundUrl(c.req.url, r.id) })) });
  })
  .patch("/:webhookId", validate("json", UpdateWebhookBody), async (c) => {
    const workspaceId = c.get("principal").workspaceId;
    const [row] = await createDb(c.env.DB).update(w).set(c.req.valid("json")).where(and(eq(w.id, c.req.param("webhookId")), eq(w.workspaceId, workspaceId))).returning(listed);
    if (!row) throw ApiError.notFound("webhook", c.req.param("webhookId"));
    return c.json({ webhook: { ...row, url: inboundUrl(c.req.url, row.id) } });
  })
  .delete("/:webhookId", async (c) => {
    const db = createDb(c.env.DB);
    const hook = await requireWebhook(db, c.get("principal").workspaceId, c.req.param("webhookId"));
    // The log goes with the hook: its rows reference it.
    await db.batch([db.delete(d).where(eq(d.webhookId, hook.id)), db.delete(w).where(eq(w.id, hook.id))]);
    return c.body(null, 204);
  })
  .get("/:webhookId/deliveries", async (c) => {
    const db = createDb(c.env.DB);
    const hook = await requireWebhook(db, c.get("principal").workspaceId, c.req.param("webhookId"));
    const deliveries = await db.select().from(d).where(eq(d.webhookId, hook.id)).orderBy(desc(d.receivedAt)).limit(DELIVERY_LIMIT);
    // `redeliverable` says up front what the redeliver route would accept, so clients offer it only then.
    return c.json({ deliveries: deliveries.map((row) => ({ ...row, redeliverable: redeliveryRefusal(row) === null })) });
  })
  .post("/:webhookId/deliveries/:deliveryId/redeliver", async (c) => {
    const db = createDb(c.env.DB);
    const workspaceId = c.get("principal").workspaceId;
    const [hook] = await db.select().from(w).where(and(eq(w.id, c.req.param("webhookId")), eq(w.workspaceId, workspaceId)));
    if (!hook) throw ApiError.notFound("webhook", c.req.param("webhookId"));
    if (!hook.enabled) throw new ApiError(409, "conflict", `webhook ${hook.id} is disabled`);
    const id = c.req.param("deliveryId");
    const [original] = await db.select().from(d).where(and(eq(d.id, id), eq(d.webhookId, hook.id)));
    if (!original) throw ApiError.notFound("delivery", id);
    const refusal = redeliveryRefusal(original);
    if (refusal) throw new ApiError(409, "conflict", refusal);
    const payload = parsePayload(original.payload, undefined);
    // Only logs written before verified bodies were kept whole can be cut short (at 64 KiB).
    if (payload === undefined) throw new ApiError(409, "conflict", `delivery ${id}'s logged body is not complete JSON (cut at 64 KiB); it cannot be acted on again`);
    const deliveryKey = original.deliveryKey ?? `redelivery:${original.id}`;
    const answer = await actOnDelivery(c, db, hook, { deliveryKey, event: original.event, payload, payloadText: original.payload, redeliveryOf: original.id });
    return c.json(answer.body, answer.http);
  });
