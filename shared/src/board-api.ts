/**
 * Request bodies and queries of the board's issue and comment API: statuses, priorities,
 * assignees (a member or an agent), sub-issues, labels and column positions; list filters with
 * cursor pagination; threaded comments. The control plane validates with these; clients (the
 * `multica` CLI, the dashboard, tests) build requests from the same schemas.
 */
import { z } from "zod";
import { CreateCommentBody, CreateIssueBody } from "./api";
import { AgentId, IssueId, idSchema } from "./ids";
import { RepositoryRef } from "./tasks";

/** The board's columns, in their order on the board (and in `GET /issues`). */
export const ISSUE_STATUSES = ["backlog", "todo", "in_progress", "in_review", "done", "blocked", "cancelled"] as const;
export const IssueStatus = z.enum(ISSUE_STATUSES);
export type IssueStatus = z.infer<typeof IssueStatus>;

export const ISSUE_PRIORITIES = ["urgent", "high", "medium", "low", "none"] as const;
export const IssuePriority = z.enum(ISSUE_PRIORITIES);
export type IssuePriority = z.infer<typeof IssuePriority>;

const UserRef = idSchema("user");
const CommentRef = idSchema("comment");

/** Who works an issue: a member of the workspace, one of its agents, or nobody (null). */
export const IssueAssignee = z.union([z.object({ agentId: AgentId }).strict(), z.object({ userId: UserRef }).strict()]).nullable();
export type IssueAssignee = z.infer<typeof IssueAssignee>;

export const LABEL_LIMITS = { maxLabels: 20, maxChars: 50 } as const;

/**
 * Labels are trimmed and deduplicated ignoring case (the first spelling is kept); at most 20 of
 * 1–50 characters each, counted before duplicates are dropped.
 */
export const IssueLabels = z
  .array(z.string().trim().min(1).max(LABEL_LIMITS.maxChars))
  .max(LABEL_LIMITS.maxLabels)
  .transform((labels) => {
    const seen = new Set<string>();
    return labels.filter((l) => !seen.has(l.toLowerCase()) && seen.add(l.toLowerCase()));
  });

/** Order within a status column; any finite number, so a move between two issues writes one row. */
export const IssuePosition = z.number().finite();

/** A new issue. Everything but the title has a default; `position` defaults to the end of its column. */
export const CreateBoardIssueBody = CreateIssueBody.extend({
  status: IssueStatus.default("todo"),
  priority: IssuePriority.default("none"),
  assignee: IssueAssignee.default(null),
  /** Makes it a sub-issue of another issue of the workspace. */
  parentId: IssueId.nullable().default(null),
  labels: IssueLabels.default([]),
  position: IssuePosition.optional(),
}).strict();
export type CreateBoardIssueBody = z.infer<typeof CreateBoardIssueBody>;

/**
 * `PATCH /issues/:id`: the fields to change (at least one). A status change without `position`
 * puts the issue at the end of its new column.
 */
export const UpdateIssueBody = z
  .object({
    title: z.string().trim().min(1).max(300),
    body: z.string().max(100_000),
    status: IssueStatus,
    priority: IssuePriority,
    assignee: IssueAssignee,
    parentId: IssueId.nullable(),
    labels: IssueLabels,
    position: IssuePosition,
    repository: RepositoryRef.nullable(),
  })
  .partial()
  .strict()
  .refine((b) => Object.keys(b).length > 0, "send at least one field to change");
export type UpdateIssueBody = z.infer<typeof UpdateIssueBody>;

/** A comma-separated query value as a list of one enum's values. */
function commaList<T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string()
    .transform((s) => s.split(",").map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1).max(values.length));
}

/** `agent:<id>`, `user:<id>` or `none`: the assignee filter of `GET /issues`. */
export const AssigneeFilter = z
  .string()
  .max(80)
  .regex(/^(none|agent:agt_[0-9a-z]{4,60}|user:usr_[0-9a-z]{4,60})$/, "expected agent:<agent id>, user:<user id> or none");

export const ISSUE_PAGE = { defaultLimit: 50, maxLimit: 200 } as const;

/**
 * `GET /issues` query. Filters combine with AND; `status` and `priority` take comma lists.
 * Sorted by board column, then position (`sort=board`, the default) or newest first
 * (`sort=created`). Pages of `limit`; pass the answer's `nextCursor` as `cursor` for the next.
 */
export const ListIssuesQuery = z
  .object({
    status: commaList(ISSUE_STATUSES).optional(),
    priority: commaList(ISSUE_PRIORITIES).optional(),
    assignee: AssigneeFilter.optional(),
    /** Issues that carry this label (ignoring case). */
    label: z.string().trim().min(1).max(LABEL_LIMITS.maxChars).optional(),
    /** Sub-issues of this issue, or `none` for top-level issues only. */
    parent: z.union([z.literal("none"), IssueId]).optional(),
    /** Words to find in the title or body (a substring match, ignoring case for ASCII). */
    q: z.string().trim().min(1).max(200).optional(),
    sort: z.enum(["board", "created"]).default("board"),
    limit: z.coerce.number().int().min(1).max(ISSUE_PAGE.maxLimit).default(ISSUE_PAGE.defaultLimit),
    cursor: z.string().min(1).max(500).optional(),
  })
  .strict();
export type ListIssuesQuery = z.infer<typeof ListIssuesQuery>;

/** A comment; `parentId` makes it a reply in the thread of another comment on the same issue. */
export const CreateBoardCommentBody = CreateCommentBody.extend({
  parentId: CommentRef.nullable().default(null),
}).strict();
export type CreateBoardCommentBody = z.infer<typeof CreateBoardCommentBody>;

/** `GET /issues/:id/activity` query: oldest first, in pages. */
export const ListActivityQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(200),
    cursor: z.string().min(1).max(200).optional(),
  })
  .strict();
