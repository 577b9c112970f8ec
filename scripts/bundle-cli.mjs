// Bundles the command line (src/cli.ts with hono, zod, jose and js-yaml) into one CommonJS file, dist/cli.cjs: the
// `idv-sandbox` bin and the image's CMD. The library entry (dist/index.js, from tsc) stays unbundled for importers.
// Why: loading ~300 small ES modules was most of the start-up time (spawn to first answer ~350 → ~170 ms here),
// and the ESM loader reads files through libuv's thread pool, which starts the pool before the CLI can size it
// (src/cli.ts sets UV_THREADPOOL_SIZE); CommonJS loads synchronously.
// Usage: node scripts/bundle-cli.mjs [outdir]   (default: dist)
import { build } from "esbuild";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const outdir = resolve(process.argv[2] ?? join(root, "dist"));

await build({
  entryPoints: [join(root, "src/cli.ts")],
  outfile: join(outdir, "cli.cjs"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: "linked",
  // Only its files are served (/docs); resolved at run time from node_modules, never imported. The certificate
  // library is loaded only when an HTTPS certificate is made: bundled, it cost every start ~15 ms of compiling.
  external: ["swagger-ui-dist", "@peculiar/x509", "reflect-metadata"],
  // The sources locate the package (fixtures, scenarios, package.json) from import.meta.url.
  define: { "import.meta.url": "__import_meta_url" },
  banner: { js: 'const __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  // The OpenAPI generator is loaded on the first document (a dynamic import, kept lazy in the bundle); its `zod`
  // import takes only what it uses, so zod's locales stay out (see scripts/zod-for-openapi.mjs).
  plugins: [
    {
      name: "zod-for-openapi",
      setup(on) {
        on.onResolve({ filter: /^zod$/ }, (args) =>
          /[\\/]@hono[\\/]zod-openapi[\\/]/.test(args.importer)
            ? { path: join(root, "scripts/zod-for-openapi.mjs") }
            : undefined,
        );
      },
    },
  ],
  logLevel: "warning",
});
