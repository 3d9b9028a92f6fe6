/**
 * Parsing at the edge: turns a raw WebSocket frame into a typed message, or a reason why not.
 * Never throws on bad input, so a hostile or buggy peer cannot crash a handler.
 */
import type { z } from "zod";
import { ControlMessage } from "./control";
import { RunnerMessage } from "./runner";
import { MAX_FRAME_BYTES } from "./version";
import { ViewerMessage } from "./viewer";

export type ParseResult<T> = { ok: true; value: T } | { ok: false; tooBig: boolean; reason: string };

function byteLength(raw: string | ArrayBuffer): number {
  return typeof raw === "string" ? new TextEncoder().encode(raw).byteLength : raw.byteLength;
}

/** Validates one frame against `schema`; binary frames are rejected (the protocol is JSON text). */
export function parseFrame<S extends z.ZodType>(schema: S, raw: string | ArrayBuffer): ParseResult<z.infer<S>> {
  // Cheap upper bound first: UTF-8 is at most 3 bytes per UTF-16 unit, so most frames skip encoding.
  const size = typeof raw === "string" && raw.length * 3 <= MAX_FRAME_BYTES ? raw.length : byteLength(raw);
  if (size > MAX_FRAME_BYTES) {
    return { ok: false, tooBig: true, reason: `frame of ${size} bytes exceeds ${MAX_FRAME_BYTES}` };
  }
  if (typeof raw !== "string") return { ok: false, tooBig: false, reason: "binary frames are not supported" };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, tooBig: false, reason: "frame is not valid JSON" };
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return { ok: false, tooBig: false, reason: `invalid message: ${where}${issue?.message ?? "unknown"}`.slice(0, 120) };
  }
  return { ok: true, value: result.data };
}

/** Parses a runner → control plane frame; `null` when it is not a valid message. */
export function parseRunnerMessage(raw: string | ArrayBuffer): RunnerMessage | null {
  const r = parseFrame(RunnerMessage, raw);
  return r.ok ? r.value : null;
}

/** Parses a control plane → runner frame; `null` when it is not a valid message. */
export function parseControlMessage(raw: string | ArrayBuffer): ControlMessage | null {
  const r = parseFrame(ControlMessage, raw);
  return r.ok ? r.value : null;
}

/** Parses a control plane → viewer frame; `null` when it is not a valid message. */
export function parseViewerMessage(raw: string | ArrayBuffer): ViewerMessage | null {
  const r = parseFrame(ViewerMessage, raw);
  return r.ok ? r.value : null;
}
