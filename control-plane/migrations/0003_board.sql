CREATE TABLE `activities` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`issue_id` text NOT NULL,
	`actor` text NOT NULL,
	`kind` text NOT NULL,
	`data` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `activities_issue` ON `activities` (`issue_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `agents` ADD `avatar` text;--> statement-breakpoint
ALTER TABLE `agents` ADD `model` text;--> statement-breakpoint
ALTER TABLE `agents` ADD `extra_args` text;--> statement-breakpoint
ALTER TABLE `agents` ADD `env` text;--> statement-breakpoint
ALTER TABLE `agents` ADD `runner_ids` text;--> statement-breakpoint
ALTER TABLE `agents` ADD `can_close` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `expires_at` integer;--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `task_id` text;--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `attempt` integer;--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `issue_id` text;--> statement-breakpoint
ALTER TABLE `comments` ADD `parent_id` text;--> statement-breakpoint
ALTER TABLE `issues` ADD `priority` text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE `issues` ADD `assignee_user_id` text;--> statement-breakpoint
ALTER TABLE `issues` ADD `parent_id` text;--> statement-breakpoint
ALTER TABLE `issues` ADD `labels` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `issues` ADD `position` real DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `issues_board` ON `issues` (`workspace_id`,`status`,`position`);--> statement-breakpoint
CREATE INDEX `issues_parent` ON `issues` (`parent_id`);--> statement-breakpoint
ALTER TABLE `workspaces` ADD `slug` text;--> statement-breakpoint
CREATE UNIQUE INDEX `workspaces_slug_unique` ON `workspaces` (`slug`);--> statement-breakpoint
-- The board's statuses replace "open": an issue nobody has started is "todo".
UPDATE `issues` SET `status` = 'todo' WHERE `status` = 'open';
