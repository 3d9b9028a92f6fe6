/**
 * The normalized agent event model. Every agent adapter on the runner (a plain command, Claude
 * Code, Codex, …) turns what its process prints into these events; the control plane stores them
 * as the task transcript and fans them out to viewers unchanged.
 */
import { z } from "zod";

/** Longest text a single event may carry; adapters split longer output into several events. */
export const MAX_EVENT_TEXT = 16 * 1024;

const text = z.string().max(MAX_EVENT_TEXT);

export const AgentEvent = z.discriminatedUnion("kind", [
  /** A line the process wrote that no adapter understood as anything richer. */
  z.object({ kind: z.literal("output"), stream: z.enum(["stdout", "stderr"]), text }),
  /** Text the agent addressed to the user. */
  z.object({ kind: z.literal("message"), text }),
  /** The agent's reasoning, when its CLI exposes it. */
  z.object({ kind: z.literal("thinking"), text }),
  z.object({
    kind: z.literal("tool_call"),
    callId: z.string().max(200),
    name: z.string().max(200),
    input: text,
  }),
  z.object({
    kind: z.literal("tool_result"),
    callId: z.string().max(200),
    output: text,
    isError: z.boolean(),
  }),
  z.object({ kind: z.literal("session"), sessionId: z.string().max(200) }),
  z.object({
    kind: z.literal("usage"),
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    costUsd: z.number().nonnegative().optional(),
  }),
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
