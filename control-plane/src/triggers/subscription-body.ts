/**
 * Request bodies of the outbound subscriptions API (routes/subscriptions.ts), and the OpenAPI
 * document's source for them: a receiver URL (http or https only), the event types it wants
 * (checked against OUTBOUND_EVENT_TYPES, each wrong one reported with its index) and optionally
 * its own signing secret.
 */
import { z } from "zod";
import { OUTBOUND_EVENT_TYPES } from "./outbound";

/** Only http(s): other schemes (file:, data:, javascript:) have no business receiving a POST. */
const ReceiverUrl = z
  .string()
  .trim()
  .max(2000)
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
    } catch {
      return false;
    }
  }, "expected an absolute http:// or https:// URL");

const EventTypes = z
  .array(z.enum(OUTBOUND_EVENT_TYPES, { error: () => `unknown event type; expected one of ${OUTBOUND_EVENT_TYPES.join(", ")}` }))
  .min(1, "subscribe to at least one event type")
  .max(OUTBOUND_EVENT_TYPES.length * 2)
  .transform((events) => [...new Set(events)]);

export const CreateSubscriptionBody = z
  .object({
    url: ReceiverUrl,
    events: EventTypes,
    /** Left out, a random one is made; either way it is shown once, in the answer. */
    secret: z.string().min(16).max(200).optional(),
  })
  .strict();

/** Any subset; `enabled: true` also clears why it was disabled (a 410 from the receiver). */
export const UpdateSubscriptionBody = z
  .object({ url: ReceiverUrl, events: EventTypes, enabled: z.boolean() })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, "nothing to change: give url, events or enabled");
