import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "./core/context.js";
import { plainFormat } from "./core/error-door.js";
import { openApiDocument, type DocGroup, type OpenApiDocument } from "./core/openapi.js";
import type { Route } from "./core/route.js";
import type { Vendor } from "./deps.js";

const require = createRequire(import.meta.url);
/** The package's version, in every document and `idv-sandbox --version`. */
export const VERSION = (require("../package.json") as { version: string }).version;

/** Every vendor's contract and the admin API's, from the routes' declarations. */
export function docGroups(vendors: readonly Vendor[], admin: readonly Route[]): DocGroup[] {
  return [
    ...vendors.map(({ provider, routes }) => ({
      name: provider.name,
      title: provider.title,
      routes,
      errors: provider.errors,
      errorsUnder: provider.errorsUnder,
      securitySchemes: provider.securitySchemes,
      webhooks: provider.webhooks,
    })),
    { name: "__admin", title: "Sandbox admin API", routes: admin, errors: plainFormat },
  ];
}

/**
 * Every vendor's routes as a Markdown table (vendor, route name, what it does), straight from the declarations: the
 * README's route list is this table (`npm run docs:routes` writes it; a test checks it is current).
 */
export function routesMarkdown(vendors: readonly Vendor[]): string {
  const rows = vendors.flatMap(({ provider, routes }) =>
    routes.map((r) => [
      provider.name,
      `\`${r.name}\``,
      r.definition.alsoAt?.length
        ? `${r.definition.summary}; also at ${r.definition.alsoAt.map((p) => `\`${p}\``).join(", ")}`
        : r.definition.summary,
    ]),
  );
  const table = [["vendor", "route name", "what"], ...rows];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(table[0]!), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join(
    "\n",
  );
}

/** The combined document (`vendor` undefined) or one vendor's, with servers under `baseUrl`. */
export async function contractDocument(
  groups: readonly DocGroup[],
  baseUrl: string,
  vendor?: string,
): Promise<OpenApiDocument> {
  const chosen = vendor === undefined ? groups : groups.filter((s) => s.name === vendor);
  if (chosen.length === 0)
    throw new Error(`unknown vendor ${vendor ?? ""}: one of ${groups.map((s) => s.name).join(", ")}`);
  return openApiDocument(chosen, baseUrl, VERSION);
}

const SWAGGER_UI = dirname(require.resolve("swagger-ui-dist/package.json"));
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

/**
 * `/openapi.json`, `/<vendor>/openapi.json` and `/docs`. Each document is built once, when first asked for (not at
 * start-up, which it would slow for every run that never reads it), and only its server URL follows the caller. The
 * docs page's assets come from the swagger-ui-dist package, served here, so it works offline.
 */
export function contractRoutes(deps: { vendors: readonly Vendor[] }, admin: readonly Route[]): Hono<AppEnv> {
  const PLACEHOLDER = "http://sandbox.invalid";
  let groups: DocGroup[] | undefined;
  const documents = new Map<string, Promise<OpenApiDocument>>();
  const serve = async (key: string, base: string) => {
    let doc = documents.get(key);
    if (!doc) {
      groups ??= docGroups(deps.vendors, admin);
      doc = contractDocument(groups, PLACEHOLDER, key === "" ? undefined : key);
      documents.set(key, doc);
    }
    return { ...(await doc), servers: [{ url: key === "" ? base : `${base}/${key}` }] };
  };
  const assetCache = new Map<string, Promise<string>>();
  const app = new Hono<AppEnv>();

  app.get("/openapi.json", async (c) => c.json(await serve("", c.get("baseUrl"))));
  for (const { provider } of deps.vendors)
    app.get(`/${provider.name}/openapi.json`, async (c) =>
      c.json(await serve(provider.name, c.get("baseUrl"))),
    );

  app.get("/docs", (c) => c.redirect("docs/", 302));
  app.get("/docs/", (c) => {
    // What swagger-ui needs and no more: its own script and styles, its inline start-up, the document from here.
    c.header(
      "Content-Security-Policy",
      "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'",
    );
    return c.html(
      html`<!doctype html>
        <html lang="en">
          <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>idv-sandbox API</title>
            <link rel="stylesheet" href="assets/swagger-ui.css" />
          </head>
          <body>
            <div id="docs"></div>
            <script src="assets/swagger-ui-bundle.js"></script>
            <script>
              // The combined document: every vendor is a tag; each vendor's own is at /<vendor>/openapi.json.
              window.ui = SwaggerUIBundle({
                dom_id: "#docs",
                url: "../openapi.json",
                deepLinking: true,
                validatorUrl: null,
              });
            </script>
          </body>
        </html>`,
    );
  });
  app.get("/docs/assets/:file", async (c) => {
    const file = c.req.param("file");
    const type = ASSETS[file];
    if (!type) return c.notFound();
    let text = assetCache.get(file);
    if (!text) {
      text = readFile(join(SWAGGER_UI, file), "utf8");
      assetCache.set(file, text);
    }
    return c.body(await text, 200, { "content-type": type, "cache-control": "public, max-age=3600" });
  });
  return app;
}
