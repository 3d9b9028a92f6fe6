/**
 * Request bodies of the administration API: workspaces, members and their roles, access tokens
 * with expiry, and agent settings. The control plane validates with them; clients (tests, the
 * future dashboard) build requests from the same schemas.
 */
import { z } from "zod";
import { RunnerId } from "./ids";
import { RepositoryRef, RuntimeKey } from "./tasks";

/** owner > admin > member: members read everything and work issues; admins manage; owners own. */
export const MemberRole = z.enum(["owner", "admin", "member"]);
export type MemberRole = z.infer<typeof MemberRole>;

/** URL-safe and unique across the control plane: `acme`, `acme-robotics`. */
export const WorkspaceSlug = z
  .string()
  .min(2)
  .max(40)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "a slug is lowercase letters, digits and inner dashes (acme-robotics)");

/** Issue keys are `<prefix>-<number>` (ENG-42). */
export const IssuePrefix = z.string().regex(/^[A-Z]{2,6}$/, "an issue prefix is 2 to 6 uppercase letters (ENG)");

const WorkspaceName = z.string().trim().min(1).max(100);

export const CreateWorkspaceBody = z.object({
  name: WorkspaceName,
  slug: WorkspaceSlug,
  /** Default: taken from the name (initials of its words, else its first letters). */
  issuePrefix: IssuePrefix.optional(),
});

export const UpdateWorkspaceBody = z
  .object({ name: WorkspaceName.optional(), issuePrefix: IssuePrefix.optional() })
  .strict()
  .refine((b) => b.name !== undefined || b.issuePrefix !== undefined, "send name and/or issuePrefix");

/** How long a token stays valid, in days; absent: until revoked. */
export const ExpiresInDays = z.number().int().min(1).max(365);

export const AddMemberBody = z.object({
  name: z.string().trim().min(1).max(100),
  email: z.string().trim().toLowerCase().pipe(z.email().max(254)),
  role: MemberRole.default("member"),
  /** Expiry of the first personal access token made for a new user. */
  expiresInDays: ExpiresInDays.optional(),
});

export const UpdateMemberBody = z.object({ role: MemberRole }).strict();

/** An API token: `member` (personal access token) or `runner` (admins only), optionally expiring. */
export const CreateAccessTokenBody = z.object({
  name: z.string().trim().min(1).max(100),
  kind: z.enum(["runner", "member"]),
  expiresInDays: ExpiresInDays.optional(),
});

/**
 * An inbound webhook: `github` (signed with X-Hub-Signature-256) or `generic` (X-Multica-Signature).
 * Templates fill `{{dotted.path}}` placeholders from the delivery's JSON payload.
 */
export const CreateWebhookBody = z
  .object({
    kind: z.enum(["github", "generic"]),
    name: z.string().trim().min(1).max(100),
    /** Left out, a random one is made; either way it is shown once, in the answer. */
    secret: z.string().min(16).max(200).optional(),
    config: z
      .object({
        /** GitHub: only issues and PRs with this label become issues. */
        label: z.string().trim().min(1).max(100).optional(),
        /** The agent assigned to the issues this hook creates. */
        agentId: z.string().regex(/^agt_[0-9a-z]{4,60}$/, "expected an agent id (agt_…)").optional(),
        titleTemplate: z.string().min(1).max(1_000).optional(),
        bodyTemplate: z.string().min(1).max(10_000).optional(),
      })
      .strict()
      .default({}),
  })
  .strict();
export type CreateWebhookBody = z.infer<typeof CreateWebhookBody>;

/** Switches an inbound webhook off (its URL answers 404 and logs nothing) or back on. */
export const UpdateWebhookBody = z.object({ enabled: z.boolean() }).strict();

const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "environment variable names are letters, digits and _");

/** Any subset of an agent's settings; null clears a nullable one. */
export const UpdateAgentBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    instructions: z.string().max(100_000),
    runtimes: z.array(RuntimeKey).min(1).max(20),
    maxConcurrentTasks: z.number().int().min(1).max(100),
    repository: RepositoryRef.nullable(),
    idleTimeoutSeconds: z.number().int().min(1).max(7 * 24 * 3600).nullable(),
    timeoutSeconds: z.number().int().min(1).max(7 * 24 * 3600).nullable(),
    /** An image URL or an emoji. */
    avatar: z.string().trim().min(1).max(2000).nullable(),
    /** The model asked of the runtime (the CLI's --model); null: the runner's setting. */
    model: z.string().trim().min(1).max(200).nullable(),
    extraArgs: z.array(z.string().max(1000)).max(50).nullable(),
    env: z.record(EnvName, z.string().max(10_000)).refine((e) => Object.keys(e).length <= 50, "at most 50 variables").nullable(),
    /** The runners allowed to run the agent; null: any runner with a matching runtime. */
    runnerIds: z.array(RunnerId).min(1).max(100).nullable(),
    /** Whether the agent may set its issue to done. */
    canClose: z.boolean(),
  })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, "send at least one setting to change");

/**
 * What an agent is doing, derived on read: `working` (an attempt is dispatched or running),
 * `offline` (no online runner offers its runtimes, within its runner pool when it has one),
 * `blocked` (its latest attempt failed as bad_config), else `idle`.
 */
export const AgentStatus = z.enum(["working", "offline", "blocked", "idle"]);
export type AgentStatus = z.infer<typeof AgentStatus>;
