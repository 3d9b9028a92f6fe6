/** Worker entry: the Hono app handles HTTP; WorkspaceDO is the per-workspace Durable Object. */
import { app } from "./app";
import type { Env } from "./env";

export { WorkspaceDO } from "./workspace/workspace-do";

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
