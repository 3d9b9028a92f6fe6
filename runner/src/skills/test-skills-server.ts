/**
 * Test helper for the skills tests: a tiny control plane over real HTTP on 127.0.0.1 with just
 * the skills endpoints (runner bundles, proposals and push; the workspace library routes;
 * whoami). It checks bearer tokens, keeps everything in memory and records every request.
 * Not used by the runner itself.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SkillBundleView, SkillFileInput } from "@multica/shared";
import { bundleHash, decodeFile } from "./skill-files";

export const RUNNER_TOKEN = "runner-tok";
export const MEMBER_TOKEN = "member-tok";
export const WORKSPACE = "ws_test";

type Version = { version: number; hash: string; files: SkillFileInput[]; createdAt: number };

export class FakeSkillsServer {
  readonly requests: { method: string; path: string; body: unknown }[] = [];
  /** Bundles served by hash; `tampered` ones are served with changed content. */
  readonly bundles = new Map<string, SkillBundleView>();
  readonly tampered = new Set<string>();
  readonly library = new Map<string, { versions: Version[]; archived: boolean }>();
  readonly attachments = new Map<string, { version: number | null; enabled: boolean }>();
  readonly zips: Uint8Array[] = [];
  private proposals = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeSkillsServer> {
    const server = createServer();
    const fake = new FakeSkillsServer(server);
    server.on("request", (req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return fake;
  }

  get url(): URL {
    return new URL(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}`);
  }

  /** Adds a bundle to serve (and, with `version`, to the library); returns its hash. */
  async addBundle(name: string, files: Record<string, string>, version?: number): Promise<string> {
    const list = Object.entries(files).map(([path, content]) => ({ path, content, encoding: "utf8" as const }));
    const hash = await bundleHash(list.map((f) => ({ path: f.path, bytes: decodeFile(f) })));
    this.bundles.set(hash, { name, hash, files: list });
    if (version !== undefined) await this.store(name, list);
    return hash;
  }

  /** Requests to a path (query left out). */
  calls(method: string, path: string): number {
    return this.requests.filter((r) => r.method === method && r.path.split("?")[0] === path).length;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async store(name: string, files: SkillFileInput[]): Promise<{ version: Version; created: boolean }> {
    const hash = await bundleHash(files.map((f) => ({ path: f.path, bytes: decodeFile(f) })));
    const skill = this.library.get(name) ?? { versions: [], archived: false };
    this.library.set(name, skill);
    const latest = skill.versions.at(-1);
    if (latest?.hash === hash) return { version: latest, created: false };
    const version = { version: (latest?.version ?? 0) + 1, hash, files, createdAt: Date.now() };
    skill.versions.push(version);
    this.bundles.set(hash, { name, hash, files: files.map((f) => ({ ...f, encoding: f.encoding ?? "utf8" })) });
    return { version, created: true };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const path = req.url ?? "/";
    const isJson = (req.headers["content-type"] ?? "").startsWith("application/json");
    const body: unknown = isJson && raw.length > 0 ? JSON.parse(raw.toString("utf8")) : null;
    const method = req.method ?? "GET";
    this.requests.push({ method, path, body });
    const send = (status: number, json: unknown): void => {
      res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(json));
    };
    const error = (status: number, code: string, message: string): void => send(status, { error: { code, message } });
    const auth = req.headers.authorization;
    const kind = auth === `Bearer ${RUNNER_TOKEN}` ? "runner" : auth === `Bearer ${MEMBER_TOKEN}` ? "member" : null;
    if (kind === null) return error(401, "unauthorized", "invalid token");
    const url = new URL(path, "http://x");
    const p = url.pathname;
    let m: RegExpMatchArray | null;

    if (method === "GET" && p === "/api/v1/whoami") return send(200, { workspaceId: WORKSPACE, kind, userId: kind === "member" ? "usr_1" : null });
    if (p.startsWith("/api/v1/runner/") && kind !== "runner") return error(403, "forbidden", "runner token required");
    if (method === "GET" && (m = p.match(/^\/api\/v1\/runner\/skill-bundles\/([0-9a-f]{64})$/))) {
      const bundle = this.bundles.get(m[1] ?? "");
      if (!bundle) return error(404, "not_found", `skill bundle ${m[1]} not found`);
      if (!this.tampered.has(bundle.hash)) return send(200, bundle);
      return send(200, { ...bundle, files: bundle.files.map((f, i) => (i === 0 ? { ...f, content: `${f.content}tampered` } : f)) });
    }
    if (method === "POST" && p === "/api/v1/runner/skill-proposals") {
      const b = body as { taskId: string; attempt: number; files: SkillFileInput[]; baseHash: string | null };
      const skillMd = b.files.find((f) => f.path === "SKILL.md");
      const name = skillMd ? /^name:\s*(\S+)/m.exec(decodeFile(skillMd).toString("utf8"))?.[1] : undefined;
      if (!name) return error(400, "bad_request", "invalid skill: SKILL.md has no name");
      const hash = await bundleHash(b.files.map((f) => ({ path: f.path, bytes: decodeFile(f) })));
      if (hash === b.baseHash || hash === this.library.get(name)?.versions.at(-1)?.hash) return send(200, { proposal: null, reason: "unchanged" });
      return send(201, { proposal: { id: `prop_${++this.proposals}`, name, status: "pending" } });
    }
    const createFrom = async (files: SkillFileInput[]) => {
      const skillMd = files.find((f) => f.path === "SKILL.md");
      const name = skillMd ? /^name:\s*(\S+)/m.exec(decodeFile(skillMd).toString("utf8"))?.[1] : undefined;
      if (!name) return error(400, "bad_request", "invalid skill: SKILL.md has no name");
      const r = await this.store(name, files);
      return send(r.created ? 201 : 200, { skill: { name, latestVersion: this.library.get(name)?.versions.at(-1)?.version }, version: { version: r.version.version, hash: r.version.hash }, created: r.created });
    };
    if (method === "POST" && p === "/api/v1/runner/skills") return createFrom((body as { files: SkillFileInput[] }).files);

    const ws = `/api/v1/workspaces/${WORKSPACE}`;
    if (!p.startsWith(`${ws}/`)) return error(404, "not_found", `no route for ${method} ${p}`);
    if (kind !== "member") return error(403, "forbidden", "member token required");
    const rest = p.slice(ws.length);
    if (method === "POST" && rest === "/skills") {
      if ((req.headers["content-type"] ?? "") === "application/zip") {
        this.zips.push(raw);
        return createFrom([{ path: "SKILL.md", content: "---\nname: from-zip\ndescription: zipped\n---\n", encoding: "utf8" }]);
      }
      return createFrom((body as { files: SkillFileInput[] }).files);
    }
    if (method === "GET" && rest === "/skills") {
      const q = url.searchParams.get("q") ?? "";
      const skills = [...this.library].filter(([name]) => name.includes(q)).map(([name, s]) => ({ name, description: `about ${name}`, latestVersion: s.versions.at(-1)?.version ?? 0, archived: s.archived, runs: 4, successRate: 0.75 }));
      return send(200, { skills });
    }
    const skill = (m = rest.match(/^\/skills\/([a-z0-9-]+)/)) ? this.library.get(m[1] ?? "") : undefined;
    const sname = m?.[1] ?? "";
    if (m && !skill) return error(404, "not_found", `skill ${sname} not found`);
    if (skill && method === "GET" && rest === `/skills/${sname}`) {
      const versions = skill.versions.map((v) => ({ version: v.version, hash: v.hash, author: { kind: "user", id: "usr_1", attempt: null }, createdAt: v.createdAt, files: v.files.map((f) => ({ path: f.path, size: decodeFile(f).length, hash: "h" })) }));
      return send(200, { skill: { name: sname, description: `about ${sname}`, latestVersion: skill.versions.length, archived: skill.archived, runs: 4, successRate: 0.75 }, versions });
    }
    if (skill && method === "GET" && (m = rest.match(/^\/skills\/[a-z0-9-]+\/versions\/(\d+)$/))) {
      const v = skill.versions.find((x) => x.version === Number(m?.[1]));
      if (!v) return error(404, "not_found", `version ${m[1]} of skill ${sname} not found`);
      return send(200, { version: v.version, hash: v.hash, files: v.files.map((f) => ({ path: f.path, size: decodeFile(f).length, hash: "h", content: f.content, encoding: f.encoding })) });
    }
    if (skill && method === "GET" && rest === `/skills/${sname}/diff`) {
      return send(200, { diff: [{ path: "SKILL.md", status: "modified", binary: false, patch: "--- a/SKILL.md\n+++ b/SKILL.md\n-old\n+new\n" }] });
    }
    if (skill && method === "POST" && rest === `/skills/${sname}/archive`) {
      skill.archived = true;
      return send(200, { skill: { name: sname, archived: true } });
    }
    if ((m = rest.match(/^\/agents\/([^/]+)\/skills\/([a-z0-9-]+)$/))) {
      const key = `${m[1]}/${m[2]}`;
      if (!this.library.has(m[2] ?? "")) return error(404, "not_found", `skill ${m[2]} not found`);
      if (method === "PUT") {
        const b = body as { version: number | null; enabled: boolean };
        this.attachments.set(key, b);
        return send(200, { attached: { name: m[2], ...b } });
      }
      if (method === "DELETE") {
        if (!this.attachments.delete(key)) return error(404, "not_found", `skill ${m[2]} is not attached to agent ${m[1]}`);
        return send(200, { detached: m[2] });
      }
    }
    return error(404, "not_found", `no route for ${method} ${p}`);
  }
}
