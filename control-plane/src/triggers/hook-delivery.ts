/**
 * Acting on one verified inbound delivery and logging what came of it: claim its delivery key
 * (only one accepted row per key), then open an issue or comment (hook-actions.ts), or log why
 * not. Shared by the public hook (routes/hooks.ts, right after the signature check) and by an
 * admin's redelivery from the log (routes/webhooks.ts), so both follow one set of dedupe rules.
 *
 * Redelivery rules: the signature was checked when the delivery arrived, and only then was its
 * whole body stored, so only deliveries that passed that check can be acted on again: those
 * ignored (no matching agent yet, no issue for the URL yet, a duplicate…) and those that failed
 * with an internal error. Each redelivery is a new log row linked to its original
 * (`redelivery_of`), with the original's delivery key (or `redelivery:<id>` when it had none), so:
 * - a key some delivery already got accepted for is answered as a duplicate, not acted on twice;
 * - an accepted delivery is refused outright (a keyless one would otherwise open a second issue);
 * - a GitHub URL that already has its issue is ignored again (one issue per URL).
 */
import type { Context } from "hono";
import { eq } from "drizzle-orm";
import { newId } from "@multica/shared";
import { type createDb, schema } from "../db/client";
import type { AppEnv } from "../middleware/auth";
import { mapGitHubEvent, fillTemplate } from "./github-events";
import { commentFromHook, createHookIssue, issueForUrl, workspaceAgents, type HookIssue } from "./hook-actions";

type Db = ReturnType<typeof createDb>;
export type Webhook = typeof schema.webhooks.$inferSelect;
export type LoggedDelivery = typeof schema.webhookDeliveries.$inferSelect;
type NamedAgent = Awaited<ReturnType<typeof workspaceAgents>>[number];

const d = schema.webhookDeliveries;
/** The one rejection that says nothing against the delivery itself. */
export const INTERNAL_ERROR = "internal error";

/** What a delivery came to: its log status and the answer. */
type Outcome =
  | { status: "accepted"; http: 201 | 202; issueId: string; url: string | null; detail: Record<string, unknown> }
  | { status: "ignored"; reason: string; url?: string | null };

/** GitHub sends JSON, or `payload=<json>` when the hook's content type is form-encoded; a logged body says neither, so both are tried. */
export function parsePayload(text: string, contentType: string | undefined): unknown {
  const form = contentType?.startsWith("application/x-www-form-urlencoded") ?? (!text.trimStart().startsWith("{") && text.startsWith("payload="));
  const json = form ? (new URLSearchParams(text).get("payload") ?? "") : text;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

/** Why `row` cannot be redelivered, or null when it can (see the header). */
export function redeliveryRefusal(row: LoggedDelivery): string | null {
  const { reason } = row;
  if (row.status === "accepted") return `delivery ${row.id} was accepted${row.issueId ? ` (issue ${row.issueId})` : ""}; acting on it again would do it twice`;
  if (row.status === "ignored" || reason === INTERNAL_ERROR) return null;
  if (reason === "payload_too_large") return `delivery ${row.id} was over the size limit; its body was not kept`;
  if (reason === "body is not JSON") return `delivery ${row.id} is not JSON; acting on it again cannot succeed`;
  return `delivery ${row.id} was rejected (${reason ?? "no reason"}): its signature was never verified, so only its sender can deliver it again`;
}

const agentNamed = (agents: NamedAgent[], name: string) => agents.find((a) => a.name.localeCompare(name, undefined, { sensitivity: "accent" }) === 0);
/** The configured agent, unless it has been deleted since. */
const configuredAgent = (hook: Webhook, agents: NamedAgent[]) => agents.find((a) => a.id === hook.config.agentId)?.id ?? null;

function issueFrom(hook: Webhook, payload: unknown, fallback: { title: string; body: string }): Pick<HookIssue, "title" | "body"> {
  const { titleTemplate, bodyTemplate } = hook.config;
  return { title: titleTemplate ? fillTemplate(titleTemplate, payload) : fallback.title, body: bodyTemplate ? fillTemplate(bodyTemplate, payload) : fallback.body };
}

async function actOnGitHub(c: Context<AppEnv>, db: Db, hook: Webhook, event: string | null, payload: unknown): Promise<Outcome> {
  const agents = await workspaceAgents(db, hook.workspaceId);
  const label = hook.config.label;
  const action = mapGitHubEvent(event, payload, { ...(label ? { label } : {}), agentMentions: agents.map((a) => a.name) });
  switch (action.kind) {
    case "ignore":
      return { status: "ignored", reason: action.reason };
    case "create_issue": {
      const existing = await issueForUrl(db, hook.workspaceId, action.url);
      if (existing) return { status: "ignored", reason: `an issue was already opened for ${action.url}: ${existing.id}`, url: action.url };
      const { title, body } = issueFrom(hook, payload, action);
      const agentId = (action.assignAgent ? agentNamed(agents, action.assignAgent)?.id : undefined) ?? configuredAgent(hook, agents);
      const withUrl = body.includes(action.url) ? body : `${body}\n\nFrom GitHub: ${action.url}`.trimStart();
      const { issueId, task } = await createHookIssue(c, db, hook.workspaceId, { title, body: withUrl, labels: action.labels, agentId });
      return { status: "accepted", http: 201, issueId, url: action.url, detail: { issueId, task } };
    }
    case "comment": {
      const issue = await issueForUrl(db, hook.workspaceId, action.issueUrl);
      if (!issue) return { status: "ignored", reason: `no issue was opened here for ${action.issueUrl}`, url: action.issueUrl };
      const done = await commentFromHook(c, db, issue, `${action.body}\n\nOn GitHub: ${action.issueUrl}`, agents);
      return { status: "accepted", http: 202, issueId: issue.id, url: action.issueUrl, detail: { issueId: issue.id, ...done } };
    }
  }
}

async function actOnGeneric(c: Context<AppEnv>, db: Db, hook: Webhook, payload: unknown): Promise<Outcome> {
  const agents = await workspaceAgents(db, hook.workspaceId);
  const fallback = { title: `Webhook ${hook.name}`, body: `\`\`\`json\n${JSON.stringify(payload, null, 2)}\n\`\`\`` };
  const { issueId, task } = await createHookIssue(c, db, hook.workspaceId, { ...issueFrom(hook, payload, fallback), labels: [], agentId: configuredAgent(hook, agents) });
  return { status: "accepted", http: 201, issueId, url: null, detail: { issueId, task } };
}

export interface VerifiedDelivery {
  deliveryKey: string | null;
  event: string | null;
  payload: unknown;
  /** The body as received, kept whole so the delivery can be acted on again. */
  payloadText: string;
  /** Set for a redelivery: the logged delivery acted on again. */
  redeliveryOf: string | null;
}

/** Claims the key, acts, logs the outcome; returns the HTTP status and body to answer with. */
export async function actOnDelivery(c: Context<AppEnv>, db: Db, hook: Webhook, v: VerifiedDelivery): Promise<{ http: 200 | 201 | 202; body: Record<string, unknown> }> {
  const link = v.redeliveryOf ? { redeliveryOf: v.redeliveryOf } : {};
  const base = { webhookId: hook.id, workspaceId: hook.workspaceId, deliveryKey: v.deliveryKey, event: v.event, receivedAt: Date.now(), payload: v.payloadText, redeliveryOf: v.redeliveryOf };
  // Claim the key first: of two deliveries with one key, only one inserts an accepted row.
  const deliveryId = newId("delivery");
  const [claimed] = await db.insert(d).values({ id: deliveryId, ...base, status: "accepted", reason: null }).onConflictDoNothing().returning({ id: d.id });
  if (!claimed) {
    const duplicateId = newId("delivery");
    await db.insert(d).values({ id: duplicateId, ...base, status: "ignored", reason: `duplicate delivery ${v.deliveryKey}` });
    return { http: 200, body: { deliveryId: duplicateId, duplicate: true, ...link } };
  }
  let outcome: Outcome;
  try {
    outcome = hook.kind === "github" ? await actOnGitHub(c, db, hook, v.event, v.payload) : await actOnGeneric(c, db, hook, v.payload);
  } catch (err) {
    // Released: the sender's retry of this key (or a redelivery) is acted on again.
    await db.update(d).set({ status: "rejected", reason: INTERNAL_ERROR }).where(eq(d.id, deliveryId));
    throw err;
  }
  if (outcome.status === "ignored") {
    await db.update(d).set({ status: "ignored", reason: outcome.reason, url: outcome.url ?? null }).where(eq(d.id, deliveryId));
    return { http: 202, body: { deliveryId, status: "ignored", reason: outcome.reason, ...link } };
  }
  await db.update(d).set({ issueId: outcome.issueId, url: outcome.url }).where(eq(d.id, deliveryId));
  return { http: outcome.http, body: { deliveryId, status: "accepted", ...outcome.detail, ...link } };
}
