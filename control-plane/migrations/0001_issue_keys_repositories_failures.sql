ALTER TABLE `agents` ADD `repository` text;--> statement-breakpoint
ALTER TABLE `agents` ADD `base_ref` text;--> statement-breakpoint
ALTER TABLE `agents` ADD `idle_timeout_seconds` integer;--> statement-breakpoint
ALTER TABLE `agents` ADD `timeout_seconds` integer;--> statement-breakpoint
-- Existing issues are numbered in creation order; SQLite needs a default to add a NOT NULL column.
ALTER TABLE `issues` ADD `number` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `issues` SET `number` = (SELECT count(*) FROM `issues` i2 WHERE i2.`workspace_id` = `issues`.`workspace_id` AND (i2.`created_at` < `issues`.`created_at` OR (i2.`created_at` = `issues`.`created_at` AND i2.`id` <= `issues`.`id`)));--> statement-breakpoint
ALTER TABLE `issues` ADD `repository` text;--> statement-breakpoint
ALTER TABLE `issues` ADD `base_ref` text;--> statement-breakpoint
CREATE UNIQUE INDEX `issues_workspace_number` ON `issues` (`workspace_id`,`number`);--> statement-breakpoint
ALTER TABLE `tasks` ADD `failure_kind` text;--> statement-breakpoint
ALTER TABLE `tasks` ADD `not_before` integer;--> statement-breakpoint
ALTER TABLE `workspaces` ADD `issue_prefix` text DEFAULT 'MUL' NOT NULL;