/**
 * The one error type of the HTTP API. Routes and the Durable Object throw `ApiError`; the app's
 * error handler turns it into `{ error: { code, message } }` with its status. Anything else is a
 * bug: logged, and answered as a 500 without a stack trace.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type ErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "already_bootstrapped"
  | "bootstrap_disabled"
  | "no_matching_runtime"
  | "payload_too_large"
  | "internal";

/** One problem with the input, where it is (a field or file path) when that is known. */
export interface ErrorDetail {
  path: string | null;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ErrorCode,
    message: string,
    /** Every problem found, when there were several (e.g. each invalid file of a skill). */
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = "ApiError";
  }

  static notFound(what: string, id: string): ApiError {
    return new ApiError(404, "not_found", `${what} ${id} not found in this workspace`);
  }
}

/** Shape of an ApiError crossing the Durable Object RPC boundary (class identity is lost there). */
export interface RpcError {
  apiError: { status: number; code: ErrorCode; message: string };
}

export function isRpcError(value: unknown): value is RpcError {
  return typeof value === "object" && value !== null && "apiError" in value;
}
