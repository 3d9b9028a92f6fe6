/** zod validation for routes that reports failures through ApiError (one error shape everywhere). */
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { z } from "zod";
import { ApiError } from "./errors";

function describe(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => (i.path.length > 0 ? `${i.path.map(String).join(".")}: ${i.message}` : i.message))
    .join("; ");
}

export function validate<T extends keyof ValidationTargets, S extends z.ZodType>(target: T, schema: S) {
  return zValidator(target, schema, (result) => {
    if (!result.success) {
      const details = result.error.issues.slice(0, 20).map((i) => ({ path: i.path.length > 0 ? i.path.map(String).join(".") : null, message: i.message }));
      throw new ApiError(400, "bad_request", `invalid ${target}: ${describe(result.error.issues)}`, details);
    }
  });
}
