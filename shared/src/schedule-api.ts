/**
 * Request bodies of the schedules API (`/workspaces/:ws/schedules`): a cron expression in an IANA
 * time zone that opens an issue, and runs an agent on it, at every fire. The control plane checks
 * the expression and the zone itself (its cron parser lives there) and answers 400 with details.
 */
import { z } from "zod";
import { IssueLabels, IssuePriority } from "./board-api";
import { AgentId } from "./ids";

/** What a fire does while the control plane was down: drop the missed fires, or run one of them now. */
export const MissedRunPolicy = z.enum(["skip", "catch_up_once"]);
export type MissedRunPolicy = z.infer<typeof MissedRunPolicy>;

/** The issue every fire opens; with `agentId` that agent is assigned and its run starts. */
export const ScheduleAction = z
  .object({
    title: z.string().trim().min(1).max(300),
    description: z.string().max(100_000).optional(),
    priority: IssuePriority.optional(),
    labels: IssueLabels.optional(),
    agentId: AgentId.optional(),
  })
  .strict();
export type ScheduleAction = z.infer<typeof ScheduleAction>;

const fields = {
  name: z.string().trim().min(1).max(100),
  /** 5 fields (`0 9 * * MON-FRI`) or a macro (`@daily`); see control-plane/src/triggers/cron.ts. */
  cron: z.string().trim().min(1).max(256),
  /** An IANA zone such as `Europe/Berlin`; wall-clock times follow its daylight saving. */
  timezone: z.string().trim().min(1).max(64),
  missedPolicy: MissedRunPolicy,
  /** Consecutive failed runs after which the schedule pauses itself. */
  maxConsecutiveFailures: z.number().int().min(1).max(100),
  action: ScheduleAction,
};

export const CreateScheduleBody = z
  .object({
    ...fields,
    missedPolicy: fields.missedPolicy.default("skip"),
    maxConsecutiveFailures: fields.maxConsecutiveFailures.default(5),
  })
  .strict();
export type CreateScheduleBody = z.infer<typeof CreateScheduleBody>;

/** Any subset of a schedule's settings; a new expression or zone counts from now. */
export const UpdateScheduleBody = z
  .object(fields)
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, "send at least one field to change");
export type UpdateScheduleBody = z.infer<typeof UpdateScheduleBody>;
