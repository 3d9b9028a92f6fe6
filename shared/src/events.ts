/**
 * The normalized agent event model. Every agent adapter on the runner (a plain command, Claude
 * Code, Codex, …) turns what its process prints into these events; the control plane stores them
 * as the task transcript and fans them out to viewers unchanged.
 */
import { z } from "zod";

/** Longest text a single event may carry; adapters split longer output into several events. */
export const MAX_EVENT_TEXT = 16 * 1024;

const text = z.string().max(MAX_EVENT_TEXT);

/** Token usage as agent CLIs report it; cache fields only where the CLI reports them. */
export const TokenUsage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cacheReadTokens: z.number().int().nonnegative().optional(),
  cacheWriteTokens: z.number().int().nonnegative().optional(),
  costUsd: z.number().nonnegative().optional(),
});
export type TokenUsage = z.infer<typeof TokenUsage>;

export const AgentEvent = z.discriminatedUnion("kind", [
  /** A line the process wrote that no adapter understood as anything richer. */
  z.object({ kind: z.literal("output"), stream: z.enum(["stdout", "stderr"]), text }),
  /** Text the agent addressed to the user (a whole message). */
  z.object({ kind: z.literal("message"), text }),
  /** A piece of a message still being written (CLIs that stream partial text). */
  z.object({ kind: z.literal("text_delta"), text }),
  /** The agent's reasoning, when its CLI exposes it. */
  z.object({ kind: z.literal("thinking"), text }),
  z.object({
    kind: z.literal("tool_call"),
    callId: z.string().max(200),
    name: z.string().max(200),
    /** The tool input as JSON text, cut to MAX_EVENT_TEXT. */
    input: text,
  }),
  z.object({
    kind: z.literal("tool_result"),
    callId: z.string().max(200),
    output: text,
    isError: z.boolean(),
    /** Length of the full output before it was cut to fit (equal to output.length when not cut). */
    originalLength: z.number().int().nonnegative().optional(),
  }),
  /** Progress the CLI reports that is neither text nor a tool (e.g. "compacting context"). */
  z.object({ kind: z.literal("status"), text }),
  z.object({ kind: z.literal("session"), sessionId: z.string().max(200) }),
  z.object({
    kind: z.literal("usage"),
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    cacheReadTokens: z.number().int().nonnegative().optional(),
    cacheWriteTokens: z.number().int().nonnegative().optional(),
    costUsd: z.number().nonnegative().optional(),
  }),
  /** The agent's own final word on its run, as its CLI reports it. */
  z.object({
    kind: z.literal("result"),
    isError: z.boolean(),
    summary: text,
    sessionId: z.string().max(200).nullable(),
    durationMs: z.number().int().nonnegative().nullable(),
    turns: z.number().int().nonnegative().nullable(),
    usage: TokenUsage.nullable(),
  }),
  /** An event of the CLI's own format that no adapter rule knows: kept, never dropped. */
  z.object({ kind: z.literal("raw"), type: z.string().max(200), json: text }),
  /** Runner-side lifecycle marks: the process started, or exited with a code/signal. */
  z.object({
    kind: z.literal("lifecycle"),
    phase: z.enum(["started", "exited", "cancelling"]),
    detail: z.string().max(2000).optional(),
  }),
  z.object({ kind: z.literal("error"), message: text }),
]);
export type AgentEvent = z.infer<typeof AgentEvent>;

/** An event as it travels and is stored: numbered within one attempt of one task. */
export const SequencedEvent = z.object({
  seq: z.number().int().positive(),
  /** Milliseconds since the epoch, taken on the runner when the event was produced. */
  ts: z.number().int().nonnegative(),
  event: AgentEvent,
});
export type SequencedEvent = z.infer<typeof SequencedEvent>;
