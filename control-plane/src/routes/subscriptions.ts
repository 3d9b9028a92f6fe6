/**
 * /api/v1/workspaces/:workspaceId/subscriptions — outbound event webhooks (admins only):
 * subscribe a URL to events (its signing secret is shown once), list, change, delete, read a
 * subscription's delivery log with every attempt, retry a failed delivery by hand, and send a
 * test `ping`. Sending is the workspace Durable Object's (triggers/outbound-sender.ts); after
 * every change here it reloads its copy of the subscriptions, so events never wait on D1.
 */
import { type Context, Hono } from "hono";
import { and, desc, eq } from "drizzle-orm";
import { newId, randomString } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import type { AppEnv } from "../middleware/auth";
import { OUTBOUND_EVENT_TYPES } from "../triggers/outbound";
import type { AttemptRecord, DeliveryLog } from "../triggers/outbound-retry";
import { CreateSubscriptionBody, UpdateSubscriptionBody } from "../triggers/subscription-body";
import { validate } from "../validation";
import { unwrap, workspaceStub } from "../workspace/stub";

const s = schema.webhookSubscriptions;
const o = schema.outboundDeliveries;
/** Deliveries listed per request, newest first. */
const DELIVERY_LIMIT = 100;

const listed = { id: s.id, url: s.url, events: s.events, enabled: s.enabled, disabledReason: s.disabledReason, createdAt: s.createdAt };

async function requireSubscription(c: Context<AppEnv>, id: string) {
  const [row] = await createDb(c.env.DB).select().from(s).where(and(eq(s.id, id), eq(s.workspaceId, c.get("principal").workspaceId)));
  if (!row) throw ApiError.notFound("subscription", id);
  return row;
}

/** The object's copy follows D1; awaited, so the answer means "in effect for the next event". */
async function syncWorkspace(c: Context<AppEnv>): Promise<void> {
  const workspaceId = c.get("principal").workspaceId;
  await workspaceStub(c.env, workspaceId).syncSubscriptions(workspaceId);
}

function enabledOrConflict(sub: typeof s.$inferSelect): void {
  if (!sub.enabled) throw new ApiError(409, "conflict", `subscription ${sub.id} is disabled${sub.disabledReason ? ` (${sub.disabledReason})` : ""}; enable it first (PATCH enabled: true)`);
}

export const subscriptionRoutes = new Hono<AppEnv>()
  .post("/", validate("json", CreateSubscriptionBody), async (c) => {
    const body = c.req.valid("json");
    const row = { id: newId("subscription"), workspaceId: c.get("principal").workspaceId, url: body.url, secret: body.secret ?? `whsec_${randomString(40)}`, events: body.events, enabled: true, disabledReason: null, createdAt: Date.now() };
    await createDb(c.env.DB).insert(s).values(row);
    await syncWorkspace(c);
    const { workspaceId: _ws, ...subscription } = row;
    return c.json({ subscription }, 201);
  })
  .get("/", async (c) => {
    const rows = await createDb(c.env.DB).select(listed).from(s).where(eq(s.workspaceId, c.get("principal").workspaceId)).orderBy(desc(s.createdAt));
    return c.json({ subscriptions: rows });
  })
  // Before "/:subscriptionId": the event types a subscription may name, for forms (the dashboard's).
  .get("/event-types", (c) => c.json({ eventTypes: OUTBOUND_EVENT_TYPES }))
  .get("/:subscriptionId", async (c) => {
    const { secret: _secret, workspaceId: _ws, ...subscription } = await requireSubscription(c, c.req.param("subscriptionId"));
    return c.json({ subscription });
  })
  .patch("/:subscriptionId", validate("json", UpdateSubscriptionBody), async (c) => {
    const body = c.req.valid("json");
    const sub = await requireSubscription(c, c.req.param("subscriptionId"));
    const set = { ...body, ...(body.enabled === true ? { disabledReason: null } : body.enabled === false ? { disabledReason: "disabled by an admin" } : {}) };
    const [updated] = await createDb(c.env.DB).update(s).set(set).where(eq(s.id, sub.id)).returning(listed);
    await syncWorkspace(c);
    return c.json({ subscription: updated });
  })
  .delete("/:subscriptionId", async (c) => {
    const sub = await requireSubscription(c, c.req.param("subscriptionId"));
    const db = createDb(c.env.DB);
    // The log goes with the subscription: its rows reference it.
    await db.batch([db.delete(o).where(eq(o.subscriptionId, sub.id)), db.delete(s).where(eq(s.id, sub.id))]);
    await syncWorkspace(c);
    return c.body(null, 204);
  })
  .get("/:subscriptionId/deliveries", async (c) => {
    const sub = await requireSubscription(c, c.req.param("subscriptionId"));
    const deliveries = await createDb(c.env.DB).select().from(o).where(eq(o.subscriptionId, sub.id)).orderBy(desc(o.createdAt)).limit(DELIVERY_LIMIT);
    return c.json({ deliveries: deliveries.map(({ workspaceId: _ws, ...d }) => d) });
  })
  .post("/:subscriptionId/deliveries/:deliveryId/retry", async (c) => {
    const sub = await requireSubscription(c, c.req.param("subscriptionId"));
    const id = c.req.param("deliveryId");
    const [d] = await createDb(c.env.DB).select().from(o).where(and(eq(o.id, id), eq(o.subscriptionId, sub.id)));
    if (!d) throw ApiError.notFound("delivery", id);
    if (d.status !== "failed") throw new ApiError(409, "conflict", `delivery ${id} is ${d.status}; only a failed delivery is retried by hand`);
    enabledOrConflict(sub);
    const log: DeliveryLog = {
      deliveryId: d.id, eventId: d.eventId, url: sub.url, attempt: d.attempt, status: "failed", lastStatus: d.lastStatus, lastError: d.lastError,
      nextAttemptAt: null, failReason: null, disableSubscription: false, attempts: d.attempts as AttemptRecord[],
    };
    const failed = { id: d.id, subscriptionId: sub.id, eventId: d.eventId, eventType: d.eventType, payload: d.payload, log, createdAt: d.createdAt };
    unwrap(await workspaceStub(c.env, sub.workspaceId).retryOutbound(sub.workspaceId, failed));
    return c.json({ delivery: { id: d.id, status: "retrying", attempt: d.attempt + 1 } }, 202);
  })
  .post("/:subscriptionId/test", async (c) => {
    const sub = await requireSubscription(c, c.req.param("subscriptionId"));
    enabledOrConflict(sub);
    const { deliveryId } = unwrap(await workspaceStub(c.env, sub.workspaceId).pingSubscription(sub.workspaceId, sub.id));
    return c.json({ delivery: { id: deliveryId, eventType: "ping", status: "pending" } }, 202);
  });
