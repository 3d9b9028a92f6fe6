// Builds the dashboard (control-plane/ui/src: Preact + plain CSS) into control-plane/ui/dist,
// which wrangler.toml's [assets] serves from the Worker's own origin. Run by `npm start`,
// `npm run build` (so by `npm test` and `prepare`, i.e. every fresh `npm install`). One bundle:
// app.js and app.css, referenced from index.html with a content hash so browsers never mix an
// old script with a new page.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ui = fileURLToPath(new URL("../control-plane/ui/", import.meta.url));
const dist = `${ui}dist`;

/**
 * The dashboard validates the control plane's frames with shared/'s zod schemas. zod re-exports
 * every translation of its error messages (`z.locales`), which no bundler can drop from a
 * namespace import; English, the default, is imported on its own, so the rest is left out here.
 * That halves the bundle.
 */
const withoutZodLocales = {
  name: "without-zod-locales",
  setup(b) {
    b.onResolve({ filter: /locales\/index\.js$/ }, (a) => (a.importer.includes("/zod/") ? { path: "zod-locales", namespace: "empty" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export {}", loader: "js" }));
  },
};

/** Builds the dashboard into control-plane/ui/dist; returns the output directory. */
export async function buildUi({ minify = true } = {}) {
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  await build({
    entryPoints: [
      { in: `${ui}src/main.tsx`, out: "app" },
      { in: `${ui}src/styles/app.css`, out: "app" },
    ],
    outdir: dist,
    bundle: true,
    format: "esm",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    minify,
    sourcemap: "linked",
    legalComments: "none",
    plugins: [withoutZodLocales],
    logLevel: "warning",
  });
  const hash = (file) => createHash("sha256").update(readFileSync(`${dist}/${file}`)).digest("hex").slice(0, 10);
  const html = readFileSync(`${ui}src/index.html`, "utf8").replace("{{js}}", `/app.js?v=${hash("app.js")}`).replace("{{css}}", `/app.css?v=${hash("app.css")}`);
  writeFileSync(`${dist}/index.html`, html);
  cpSync(`${ui}public`, dist, { recursive: true });
  return dist;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildUi();
