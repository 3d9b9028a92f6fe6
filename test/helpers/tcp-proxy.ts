/**
 * A TCP proxy on 127.0.0.1 in front of the control plane, so a test can cut a runner's
 * connection mid-stream (`cut()`) without touching either end — the way a flaky network does.
 */
import { createServer, connect, type Socket } from "node:net";

export interface TcpProxy {
  url: string;
  /** Destroys every open connection; new ones are accepted again at once. */
  cut(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    for (const s of [client, upstream]) {
      open.add(s);
      s.on("close", () => open.delete(s));
      s.on("error", () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      const n = open.size;
      for (const s of open) s.destroy();
      return n;
    },
    close: () => new Promise((resolve) => {
      for (const s of open) s.destroy();
      server.close(() => resolve());
    }),
  };
}
