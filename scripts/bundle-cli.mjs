// Bundles the command line (src/cli.ts with hono, zod, jose and yaml) into one ES module, dist/cli.js, written over
// what tsc emitted for it. Loading ~300 small modules through Node's ESM loader was most of the start-up time
// (spawn to first answer 350 → 245 ms here); the library entry (dist/index.js) stays unbundled for importers.
// Usage: node scripts/bundle-cli.mjs [outdir]   (default: dist)
import { build } from "esbuild";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const outdir = resolve(process.argv[2] ?? join(root, "dist"));

await build({
  entryPoints: [join(root, "src/cli.ts")],
  outfile: join(outdir, "cli.js"),
  allowOverwrite: true,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  // Only its files are served (/docs); resolved at run time from node_modules, never imported.
  external: ["swagger-ui-dist"],
  // CommonJS dependencies (yaml) call require() for Node built-ins, which an ES module must be given.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);',
  },
  logLevel: "warning",
});
