/**
 * Where the `multica` CLI finds its control plane, token and workspace, read once per command:
 * flags > environment (MULTICA_URL; MULTICA_TOKEN, else MULTICA_AGENT_TOKEN inside an agent run;
 * MULTICA_WORKSPACE_ID) > the file `multica login` writes ($XDG_CONFIG_HOME/multica/cli.json or
 * ~/.config/multica/cli.json, mode 0600). The workspace is the token's own: asked of /whoami
 * when nothing names it.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { type ApiTarget, ApiCallError } from "../skills/skill-api";
import { UsageError } from "../skills/skills-commands";
import { type BoardTarget, whoami } from "./board-api";

export const CliFile = z.object({ url: z.string(), token: z.string(), workspaceId: z.string().optional() });
export type CliFile = z.infer<typeof CliFile>;

export interface ConfigSources {
  flags: { url?: string | undefined; token?: string | undefined; workspace?: string | undefined };
  env: Record<string, string | undefined>;
  homedir: string;
}

/** The config file's path for this environment. */
export function cliConfigPath(env: Record<string, string | undefined>, homedir: string): string {
  const base = env.XDG_CONFIG_HOME?.trim() || join(homedir, ".config");
  return join(base, "multica", "cli.json");
}

/** The saved login, or null when there is none (a broken file is a usage error, said once). */
export function readCliFile(path: string): CliFile | null {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${path} is not valid JSON; run \`multica login\` again`);
  }
  const parsed = CliFile.safeParse(json);
  if (!parsed.success) throw new UsageError(`${path} is not a multica login file; run \`multica login\` again`);
  return parsed.data;
}

/** Saves a login readable by this user only. */
export function writeCliFile(path: string, file: CliFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  // writeFileSync keeps the mode of an existing file: make sure an older, wider one is narrowed.
  chmodSync(path, 0o600);
}

/** Parses a control plane URL given by a person; a usage error names where it came from. */
export function parseUrl(text: string, from: string): URL {
  try {
    const url = new URL(text);
    if (!["http:", "https:"].includes(url.protocol)) throw new Error("not http");
    return url;
  } catch {
    throw new UsageError(`${from} must be an http(s) URL (got ${JSON.stringify(text)})`);
  }
}

const pick = (...values: (string | undefined)[]) => values.map((v) => v?.trim()).find((v) => v) ?? undefined;

/** The API target without the workspace: enough for `whoami` and `login`. */
export function resolveApi(src: ConfigSources): { api: ApiTarget; file: CliFile | null } {
  const file = readCliFile(cliConfigPath(src.env, src.homedir));
  const url = pick(src.flags.url, src.env.MULTICA_URL, file?.url);
  const token = pick(src.flags.token, src.env.MULTICA_TOKEN, src.env.MULTICA_AGENT_TOKEN, file?.token);
  if (!url || !token) {
    throw new ApiCallError("auth", "not logged in: run `multica login --url <control plane URL>`, or set MULTICA_URL and MULTICA_TOKEN", null, "not_logged_in");
  }
  return { api: { url: parseUrl(url, src.flags.url ? "--url" : src.env.MULTICA_URL ? "MULTICA_URL" : "the login file"), token }, file };
}

/** The full target: the API and the workspace (flag, variable, the login's, else the token's). */
export async function resolveTarget(src: ConfigSources): Promise<BoardTarget> {
  const { api, file } = resolveApi(src);
  const sameLogin = file !== null && file.token === api.token;
  const workspaceId = pick(src.flags.workspace, src.env.MULTICA_WORKSPACE_ID, sameLogin ? file.workspaceId : undefined) ?? (await whoami(api)).workspaceId;
  return { ...api, workspaceId };
}
