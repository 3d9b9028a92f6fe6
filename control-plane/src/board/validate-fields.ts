/**
 * zod validation for the board's routes that reports every problem with where it is: a 400
 * `bad_request` whose `details` name each field (`labels.3`, `assignee.agentId`), as the skill
 * routes do for files. Used by routes/issues.ts, routes/comments.ts and routes/activity.ts.
 */
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { z } from "zod";
import { ApiError, type ErrorDetail } from "../errors";

/** Details kept per error: enough for a form, bounded for a hostile body. */
const MAX_DETAILS = 20;

/** One ApiError for a failed parse of `target` (json, query): the first few problems in the message, all in details. */
export function invalidInput(target: string, issues: readonly { path: readonly PropertyKey[]; message: string }[]): ApiError {
  const details: ErrorDetail[] = issues.slice(0, MAX_DETAILS).map((i) => ({ path: i.path.length > 0 ? i.path.map(String).join(".") : null, message: i.message }));
  const summary = details.slice(0, 3).map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join("; ");
  return new ApiError(400, "bad_request", `invalid ${target}: ${summary}`, details);
}

/** A field that names something this workspace does not have: 404 with the field in details. */
export function missingRef(path: string, what: string, id: string): ApiError {
  const message = `${what} ${id} not found in this workspace`;
  return new ApiError(404, "not_found", message, [{ path, message }]);
}

export function validateFields<T extends keyof ValidationTargets, S extends z.ZodType>(target: T, schema: S) {
  return zValidator(target, schema, (result) => {
    if (!result.success) throw invalidInput(target, result.error.issues);
  });
}
