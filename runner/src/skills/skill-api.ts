/**
 * HTTP calls to the control plane's REST API for the skills modules (bundle fetches, proposals,
 * the `multica-runner skills` commands). Every call has a timeout, sends the token as a bearer,
 * parses the answer with a zod schema, and fails with one `ApiCallError` whose `kind` callers
 * map to their own outcome (a failed attempt, an exit code).
 */
import { ApiErrorBody } from "@multica/shared";
import type { z } from "zod";

export type ApiFailureKind = "auth" | "not_found" | "invalid" | "network" | "server";

/** A call that did not get the answer it wanted. The message is one line for the user. */
export class ApiCallError extends Error {
  constructor(
    readonly kind: ApiFailureKind,
    message: string,
    /** HTTP status; null when no answer came. */
    readonly status: number | null = null,
    /** The control plane's error code (`not_found`, `bad_request`, …) when it sent one. */
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = "ApiCallError";
  }
}

export interface ApiTarget {
  /** The control plane's base URL (http(s) or ws(s); ws is turned into http). */
  url: URL;
  token: string;
}

export interface ApiCall<T> {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Below the base URL, e.g. `/api/v1/whoami` (query included). */
  path: string;
  /** A JSON body, or raw bytes with their content type. */
  json?: unknown;
  raw?: { bytes: Uint8Array; contentType: string };
  /** Schema of a successful answer's body. */
  schema: z.ZodType<T>;
  signal?: AbortSignal | undefined;
  /** Default 60 s. */
  timeoutMs?: number;
}

/** The `http(s)://…` base for a configured URL, without a trailing slash. */
export function httpBase(url: URL): string {
  const base = new URL(url);
  if (base.protocol === "ws:") base.protocol = "http:";
  if (base.protocol === "wss:") base.protocol = "https:";
  base.search = "";
  base.hash = "";
  return base.href.replace(/\/+$/, "");
}

/** Makes one call; resolves with the status and the parsed body of a 2xx answer. */
export async function callApi<T>(target: ApiTarget, call: ApiCall<T>): Promise<{ status: number; body: T }> {
  const timeout = AbortSignal.timeout(call.timeoutMs ?? 60_000);
  const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
  const headers: Record<string, string> = { Authorization: `Bearer ${target.token}`, Accept: "application/json" };
  let body: Uint8Array | string | undefined;
  if (call.raw) {
    headers["Content-Type"] = call.raw.contentType;
    body = call.raw.bytes;
  } else if (call.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(call.json);
  }
  const where = `${call.method} ${call.path.split("?")[0]}`;
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${httpBase(target.url)}${call.path}`, { method: call.method, headers, body, signal, redirect: "error" });
    text = await res.text();
  } catch (err) {
    const why = timeout.aborted ? `no answer within ${(call.timeoutMs ?? 60_000) / 1000}s` : call.signal?.aborted ? "cancelled" : networkReason(err);
    throw new ApiCallError("network", `${where}: ${why}`);
  }
  let json: unknown = null;
  try {
    json = text === "" ? null : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's HTML page): said below with the status.
  }
  if (!res.ok) {
    const error = ApiErrorBody.safeParse(json);
    const message = error.success ? error.data.error.message : `HTTP ${res.status}${text ? `: ${text.slice(0, 200).replace(/\s+/g, " ")}` : ""}`;
    throw new ApiCallError(kindOf(res.status), `${where}: ${message}`, res.status, error.success ? error.data.error.code : null);
  }
  const parsed = call.schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiCallError("server", `${where}: unexpected answer (${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"})`, res.status);
  }
  return { status: res.status, body: parsed.data };
}

function kindOf(status: number): ApiFailureKind {
  if (status === 401 || status === 403) return "auth";
  if (status === 404) return "not_found";
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return "invalid";
  return "server";
}

/** fetch hides the cause (`fetch failed`); the cause names what went wrong (ECONNREFUSED, …). */
function networkReason(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  if (cause?.code) return `cannot reach the control plane (${cause.code}${cause.message && !cause.message.includes(cause.code) ? `: ${cause.message}` : ""})`;
  return `cannot reach the control plane (${err instanceof Error ? err.message : String(err)})`;
}
