export interface ControlPlaneProcess {
  url: string;
  port: number;
  /** Chrome DevTools protocol port of the Worker (for profiling). */
  inspectorPort: number;
  pid: number;
  /** SIGTERM the wrangler process group and wait for it. */
  stop(): Promise<void>;
  /** SIGKILL the wrangler process group and wait for it. */
  kill(): Promise<void>;
  output(): string;
}
export function freePort(): Promise<number>;
export function applyMigrations(persistTo: string): Promise<void>;
export function launchControlPlane(opts: {
  persistTo: string;
  port?: number;
  vars?: Record<string, string>;
  logLevel?: "debug" | "info" | "log" | "warn" | "error" | "none";
  log?: (line: string) => void;
}): Promise<ControlPlaneProcess>;
export function bootstrap(
  url: string,
  secret: string,
): Promise<{ workspace: { id: string }; user: { id: string }; token: { id: string; secret: string } } | null>;
