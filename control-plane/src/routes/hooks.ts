/**
 * POST /api/v1/hooks/:webhookId — where GitHub and generic JSON senders deliver. Public: no bearer
 * token, the body's HMAC signature (triggers/signatures.ts) is the authentication. Every delivery
 * to a known hook is logged in webhook_deliveries — accepted, ignored (with why) or rejected (bad
 * signature, too large, not JSON) — and a repeated delivery key (X-GitHub-Delivery,
 * Idempotency-Key) is answered `{ duplicate: true }` without acting again. Answers come fast
 * (GitHub gives up after 10 s): D1 writes and an enqueue in the Durable Object, never a wait on an
 * agent. What happens once the signature is verified is triggers/hook-delivery.ts, which an
 * admin's redelivery from the log (routes/webhooks.ts) goes through too.
 */
import { Hono } from "hono";
import { and, eq } from "drizzle-orm";
import { newId } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import type { AppEnv } from "../middleware/auth";
import { actOnDelivery, parsePayload } from "../triggers/hook-delivery";
import { GENERIC_SIGNATURE_HEADER, GITHUB_SIGNATURE_HEADER, readBodyWithLimit, verifyGeneric, verifyGitHubSignature } from "../triggers/signatures";

type Delivery = typeof schema.webhookDeliveries.$inferInsert;

/**
 * What is logged of a body that failed its signature check stops here: anyone can send one, and it
 * can never be acted on. A verified body is kept whole (at most the 1 MiB limit) for redelivery.
 */
const MAX_UNVERIFIED_PAYLOAD = 64 * 1024;
const d = schema.webhookDeliveries;

const cut = (body: Uint8Array) => new TextDecoder().decode(body.subarray(0, MAX_UNVERIFIED_PAYLOAD));

export const hookRoutes = new Hono<AppEnv>().post("/:webhookId", async (c) => {
  const db = createDb(c.env.DB);
  const id = c.req.param("webhookId");
  const [hook] = await db.select().from(schema.webhooks).where(and(eq(schema.webhooks.id, id), eq(schema.webhooks.enabled, true)));
  // Unknown ids are not logged: the log is per hook, and anyone can send to any URL.
  if (!hook) throw new ApiError(404, "not_found", `webhook ${id} not found`);

  const github = hook.kind === "github";
  const deliveryKey = c.req.header(github ? "X-GitHub-Delivery" : "Idempotency-Key")?.slice(0, 200) ?? null;
  const event = github ? (c.req.header("X-GitHub-Event") ?? null) : (c.req.header("X-Multica-Event") ?? "generic");
  const base = { webhookId: hook.id, workspaceId: hook.workspaceId, deliveryKey, event, receivedAt: Date.now() };
  const log = async (row: Omit<Delivery, keyof typeof base | "id">) => {
    const deliveryId = newId("delivery");
    await db.insert(d).values({ id: deliveryId, ...base, ...row });
    return deliveryId;
  };

  const read = await readBodyWithLimit(c.req.raw);
  if (!read.ok) {
    await log({ status: "rejected", reason: read.reason, payload: "" });
    throw new ApiError(413, "payload_too_large", read.message);
  }
  const check = github
    ? await verifyGitHubSignature(hook.secret, read.body, c.req.header(GITHUB_SIGNATURE_HEADER) ?? null)
    : await verifyGeneric(hook.secret, { signature: c.req.header(GENERIC_SIGNATURE_HEADER) ?? null }, read.body, Date.now());
  if (!check.ok) {
    await log({ status: "rejected", reason: check.reason, payload: cut(read.body) });
    throw new ApiError(401, "unauthorized", `signature refused: ${check.reason}`);
  }
  const payloadText = new TextDecoder().decode(read.body);
  const payload = parsePayload(payloadText, c.req.header("content-type"));
  if (payload === undefined) {
    await log({ status: "rejected", reason: "body is not JSON", payload: cut(read.body) });
    throw new ApiError(400, "bad_request", "the body is not JSON");
  }
  const answer = await actOnDelivery(c, db, hook, { deliveryKey, event, payload, payloadText, redeliveryOf: null });
  return c.json(answer.body, answer.http);
});
