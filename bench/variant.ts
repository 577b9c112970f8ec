/**
 * One variant of the sandbox for a same-run A/B (`bench/ab.ts`), served on a free loopback port:
 *
 * - `shipped`: `createApp` as shipped (ids from nanoid, inputs read by `src/core/route.ts`);
 * - `pooled-ids`: the same app with the hand-written pooled id generator nanoid replaced (`bench/pooled-ids.ts`);
 * - `library-validators`: the vendors' routes mounted with `@hono/zod-openapi`'s own `app.openapi()` and its
 *   validators instead of the sandbox's input reading (same declarations, same handlers, same error door).
 */
import { serve } from "@hono/node-server";
import { OpenAPIHono } from "@hono/zod-openapi";
import { createApp } from "../src/app.js";
import { parseConfig } from "../src/config.js";
import type { AppEnv } from "../src/core/context.js";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "../src/core/body-limit.js";
import { cors } from "../src/core/cors.js";
import { errorDoor } from "../src/core/error-door.js";
import { scenarioGate } from "../src/core/gate.js";
import { invalidRequest } from "../src/core/http.js";
import { requestContext, routedPath } from "../src/core/request.js";
import { openApiRoute } from "../src/core/route.js";
import { createDeps, type SandboxDeps } from "../src/deps.js";
import { createIdGenerator as pooledIds } from "./pooled-ids.js";

function libraryApp(deps: SandboxDeps) {
  const app = new OpenAPIHono<AppEnv>({
    getPath: routedPath,
    defaultHook: (result) => {
      if (!result.success) throw invalidRequest(result.error.issues[0]?.message ?? "invalid request");
    },
  });
  // The same middleware as createApp, and the same gate in front of each route, so only the validators differ.
  app.use("*", requestContext({ ...deps, vendorOf: () => undefined }));
  app.use("*", cors({ origins: deps.config.cors.origins, exposeHeaders: [], maxAgeSeconds: 600 }));
  app.use("*", bodyLimit(deps.config.bodyLimit));
  for (const { provider, routes } of deps.vendors) {
    const gate = scenarioGate({
      scenarios: deps.scenarios,
      globalScenarios: deps.globalScenarios,
      rateLimits: deps.config.rateLimits.enabled,
      limits: provider.rateLimits,
      credentialOf: provider.credentialOf,
      scenarioFields: provider.scenarioFields,
    });
    for (const route of routes) {
      const { definition: d } = route;
      const before: MiddlewareHandler<AppEnv> = async (c, next) => (await gate(c, route)) ?? next();
      for (const config of [openApiRoute(route, `/${provider.name}`)]) {
        app.openapi({ ...config, middleware: [before] }, async (c) => {
          const valid = (target: string) => (c.req.valid as (t: string) => unknown)(target);
          const input = {
            auth: d.authorize ? await d.authorize(c) : undefined,
            query: d.request?.query ? valid("query") : undefined,
            params: d.request?.params ? valid("param") : undefined,
            headers: d.request?.headers ? valid("header") : undefined,
            json: d.request?.json ? valid("json") : undefined,
            form: d.request?.form ? valid("form") : undefined,
            // Fields are documented as the query of a GET and the form body of a POST: validated as such.
            fields: d.request?.fields ? valid(c.req.method === "GET" ? "query" : "form") : undefined,
          };
          return d.handler(c, input as never);
        });
      }
    }
  }
  app.onError(
    errorDoor({
      formatOf: (c) =>
        deps.vendors.find((v) => c.req.path.startsWith(`/${v.provider.name}/`))?.provider.errors,
      ids: deps.ids,
      logger: deps.logger,
    }),
  );
  return app;
}

const variant = process.argv[2];
const config = parseConfig({ port: 0, logLevel: "warn" });
const deps = await createDeps(config, variant === "pooled-ids" ? { ids: pooledIds() } : {});
const app =
  variant === "library-validators"
    ? libraryApp(deps)
    : variant === "shipped" || variant === "pooled-ids"
      ? createApp(deps)
      : undefined;
if (!app) throw new Error(`unknown variant ${String(variant)}: shipped, pooled-ids or library-validators`);
serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => {
  console.log(`${variant} listening on http://127.0.0.1:${String(info.port)}`);
});
process.on("SIGTERM", () => process.exit(0));
