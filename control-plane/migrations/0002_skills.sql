CREATE TABLE `agent_skills` (
	`agent_id` text NOT NULL,
	`skill_id` text NOT NULL,
	`version` integer,
	`enabled` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`agent_id`, `skill_id`),
	FOREIGN KEY (`agent_id`) REFERENCES `agents`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`skill_id`) REFERENCES `skills`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `skill_blobs` (
	`hash` text PRIMARY KEY NOT NULL,
	`size` integer NOT NULL,
	`content` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `skill_proposals` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text NOT NULL,
	`bundle_hash` text NOT NULL,
	`files` text NOT NULL,
	`base_hash` text,
	`task_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`status` text NOT NULL,
	`decided_by` text,
	`accepted_version` integer,
	`created_at` integer NOT NULL,
	`decided_at` integer,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `skill_proposals_workspace` ON `skill_proposals` (`workspace_id`,`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `skill_proposals_run` ON `skill_proposals` (`task_id`,`attempt`,`name`);--> statement-breakpoint
CREATE TABLE `skill_versions` (
	`skill_id` text NOT NULL,
	`version` integer NOT NULL,
	`bundle_hash` text NOT NULL,
	`files` text NOT NULL,
	`description` text NOT NULL,
	`author_kind` text NOT NULL,
	`author_id` text NOT NULL,
	`author_attempt` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`skill_id`, `version`),
	FOREIGN KEY (`skill_id`) REFERENCES `skills`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `skill_versions_bundle` ON `skill_versions` (`bundle_hash`);--> statement-breakpoint
CREATE TABLE `skills` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text NOT NULL,
	`latest_version` integer NOT NULL,
	`archived_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `skills_workspace_name` ON `skills` (`workspace_id`,`name`);--> statement-breakpoint
CREATE TABLE `task_skills` (
	`task_id` text NOT NULL,
	`skill_id` text NOT NULL,
	`version` integer NOT NULL,
	PRIMARY KEY(`task_id`, `skill_id`)
);
--> statement-breakpoint
CREATE INDEX `task_skills_skill` ON `task_skills` (`skill_id`);--> statement-breakpoint
-- Full-text search over skills (name, description, SKILL.md body), ranked with bm25; the API
-- rewrites a skill's row whenever it writes a version.
CREATE VIRTUAL TABLE `skills_fts` USING fts5(`name`, `description`, `body`, `skill_id` UNINDEXED, tokenize = 'porter unicode61');
