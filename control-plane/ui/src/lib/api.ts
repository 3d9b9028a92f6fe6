/**
 * The dashboard's HTTP client: same-origin JSON requests to /api/v1, authenticated by the session
 * cookie the browser sends on its own. Failures become `ApiFailure` with the API's stable error
 * code and message, so every view can show what went wrong; a 401 anywhere signs the view out.
 */

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiFailure";
  }
}

type Unauthorized = () => void;
let onUnauthorized: Unauthorized = () => {};

/** Called when any request answers 401: the session ended (expired, revoked, signed out elsewhere). */
export function setUnauthorizedHandler(fn: Unauthorized): void {
  onUnauthorized = fn;
}

/** One request to `/api/v1${path}`; resolves to the parsed JSON body (null for 204). */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: "same-origin",
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? null : JSON.stringify(body),
    });
  } catch {
    throw new ApiFailure(0, "network", "cannot reach the control plane; check that it is running");
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy's error page): reported below with the status.
  }
  if (res.ok) return json as T;
  const error = (json as { error?: { code?: string; message?: string } } | null)?.error;
  if (res.status === 401 && !path.startsWith("/session")) onUnauthorized();
  throw new ApiFailure(res.status, error?.code ?? "http_error", error?.message ?? `the control plane answered ${res.status}`);
}

/** `api` under /workspaces/:workspaceId. */
export function wsApi<T>(workspaceId: string, method: string, path: string, body?: unknown): Promise<T> {
  return api<T>(method, `/workspaces/${workspaceId}${path}`, body);
}

/** A WebSocket URL on this origin (ws: or wss: like the page). */
export function socketUrl(path: string): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/v1${path}`;
}

/** A message fit for a person from anything thrown. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
