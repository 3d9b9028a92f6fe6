/**
 * POST /api/v1/hooks/:webhookId — where GitHub and generic JSON senders deliver. Public: no bearer
 * token, the body's HMAC signature (triggers/signatures.ts) is the authentication. Every delivery
 * to a known hook is logged in webhook_deliveries — accepted, ignored (with why) or rejected (bad
 * signature, too large, not JSON) — and a repeated delivery key (X-GitHub-Delivery,
 * Idempotency-Key) is answered `{ duplicate: true }` without acting again. Answers come fast
 * (GitHub gives up after 10 s): D1 writes and an enqueue in the Durable Object, never a wait on an
 * agent.
 */
import { Hono, type Context } from "hono";
import { and, eq } from "drizzle-orm";
import { newId } from "@multica/shared";
import { createDb, schema } from "../db/client";
import { ApiError } from "../errors";
import type { AppEnv } from "../middleware/auth";
import { mapGitHubEvent, fillTemplate } from "../triggers/github-events";
import { GENERIC_SIGNATURE_HEADER, GITHUB_SIGNATURE_HEADER, readBodyWithLimit, verifyGeneric, verifyGitHubSignature } from "../triggers/signatures";
import { commentFromHook, createHookIssue, issueForUrl, workspaceAgents, type HookIssue } from "../triggers/hook-actions";

type Db = ReturnType<typeof createDb>;
type Webhook = typeof schema.webhooks.$inferSelect;
type Delivery = typeof schema.webhookDeliveries.$inferInsert;
type NamedAgent = Awaited<ReturnType<typeof workspaceAgents>>[number];

/** The logged copy of a body stops here; the signature was checked on all of it. */
const MAX_LOGGED_PAYLOAD = 64 * 1024;
const d = schema.webhookDeliveries;

/** What a delivery came to: its log status and the answer. */
type Outcome =
  | { status: "accepted"; http: 201 | 202; reason: string | null; issueId: string; url: string | null; detail: Record<string, unknown> }
  | { status: "ignored"; reason: string; url?: string | null };

const logged = (body: Uint8Array) => new TextDecoder().decode(body.subarray(0, MAX_LOGGED_PAYLOAD));

/** GitHub sends JSON, or `payload=<json>` when the hook's content type is form-encoded. */
function parsePayload(text: string, contentType: string | undefined): unknown {
  const json = contentType?.startsWith("application/x-www-form-urlencoded") ? (new URLSearchParams(text).get("payload") ?? "") : text;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
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
      return { status: "accepted", http: 201, reason: null, issueId, url: action.url, detail: { issueId, task } };
    }
    case "comment": {
      const issue = await issueForUrl(db, hook.workspaceId, action.issueUrl);
      if (!issue) return { status: "ignored", reason: `no issue was opened here for ${action.issueUrl}`, url: action.issueUrl };
      const done = await commentFromHook(c, db, issue, `${action.body}\n\nOn GitHub: ${action.issueUrl}`, agents);
      return { status: "accepted", http: 202, reason: null, issueId: issue.id, url: action.issueUrl, detail: { issueId: issue.id, ...done } };
    }
  }
}

async function actOnGeneric(c: Context<AppEnv>, db: Db, hook: Webhook, payload: unknown): Promise<Outcome> {
  const agents = await workspaceAgents(db, hook.workspaceId);
  const fallback = { title: `Webhook ${hook.name}`, body: `\`\`\`json\n${JSON.stringify(payload, null, 2)}\n\`\`\`` };
  const { issueId, task } = await createHookIssue(c, db, hook.workspaceId, { ...issueFrom(hook, payload, fallback), labels: [], agentId: configuredAgent(hook, agents) });
  return { status: "accepted", http: 201, reason: null, issueId, url: null, detail: { issueId, task } };
}

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
  const payloadText = logged(read.body);
  const check = github
    ? await verifyGitHubSignature(hook.secret, read.body, c.req.header(GITHUB_SIGNATURE_HEADER) ?? null)
    : await verifyGeneric(hook.secret, { signature: c.req.header(GENERIC_SIGNATURE_HEADER) ?? null }, read.body, Date.now());
  if (!check.ok) {
    await log({ status: "rejected", reason: check.reason, payload: payloadText });
    throw new ApiError(401, "unauthorized", `signature refused: ${check.reason}`);
  }
  const payload = parsePayload(new TextDecoder().decode(read.body), c.req.header("content-type"));
  if (payload === undefined) {
    await log({ status: "rejected", reason: "body is not JSON", payload: payloadText });
    throw new ApiError(400, "bad_request", "the body is not JSON");
  }

  // Claim the key first: of two deliveries with one key, only one inserts an accepted row.
  const deliveryId = newId("delivery");
  const [claimed] = await db.insert(d).values({ id: deliveryId, ...base, status: "accepted", payload: payloadText }).onConflictDoNothing().returning({ id: d.id });
  if (!claimed) {
    const duplicateId = await log({ status: "ignored", reason: `duplicate delivery ${deliveryKey}`, payload: payloadText });
    return c.json({ deliveryId: duplicateId, duplicate: true }, 200);
  }
  let outcome: Outcome;
  try {
    outcome = github ? await actOnGitHub(c, db, hook, event, payload) : await actOnGeneric(c, db, hook, payload);
  } catch (err) {
    // Released: the sender's retry of this key is acted on again.
    await db.update(d).set({ status: "rejected", reason: "internal error" }).where(eq(d.id, deliveryId));
    throw err;
  }
  if (outcome.status === "ignored") {
    await db.update(d).set({ status: "ignored", reason: outcome.reason, url: outcome.url ?? null }).where(eq(d.id, deliveryId));
    return c.json({ deliveryId, status: "ignored", reason: outcome.reason }, 202);
  }
  await db.update(d).set({ issueId: outcome.issueId, url: outcome.url }).where(eq(d.id, deliveryId));
  return c.json({ deliveryId, status: "accepted", ...outcome.detail }, outcome.http);
});
