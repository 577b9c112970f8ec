import { Hono } from "hono";
import { adminAuth, publicPaths } from "./admin/auth.js";
import { adminApi } from "./admin/routes.js";
import { contractRoutes } from "./contract.js";
import { bodyLimit } from "./core/body-limit.js";
import type { AppEnv } from "./core/context.js";
import { cors } from "./core/cors.js";
import { errorDoor } from "./core/error-door.js";
import { coreError, CoreErrorCode } from "./core/errors.js";
import { scenarioGate } from "./core/gate.js";
import { requestContext, routedPath } from "./core/request.js";
import { unmatchedFormat } from "./core/provider.js";
import { htmlHeaders } from "./core/page.js";
import { mountRoutes, routeOf } from "./core/route.js";
import type { SandboxDeps } from "./deps.js";

/**
 * Builds the sandbox as a Hono app: every vendor's declared routes under `/<vendor>`, the admin API, the OpenAPI
 * documents, and one error door. It never listens: use `app.request()` in tests, or `createSandbox()` for a server.
 *
 * @example
 * const app = createApp(await createDeps(parseConfig({})));
 * const res = await app.request("/__admin/health");
 */
export function createApp(deps: SandboxDeps): Hono<AppEnv> {
  const { config } = deps;
  // Routing ignores a leading `/ns/<id>`; the request context reads it.
  const app = new Hono<AppEnv>({ getPath: routedPath });
  const byName = new Map(deps.vendors.map((v) => [v.provider.name, v]));
  const vendorOf = (path: string) => {
    const end = path.indexOf("/", 1);
    const name = end < 0 ? path.slice(1) : path.slice(1, end);
    return byName.has(name) ? name : undefined;
  };

  app.use("*", requestContext({ ...deps, vendorOf }));
  app.use(
    "*",
    cors({
      origins: config.cors.origins,
      exposeHeaders: ["Retry-After", "Location", "X-Sandbox-Scenario", "X-Sandbox-Outcome"],
      maxAgeSeconds: 600,
    }),
  );
  app.use("*", bodyLimit(config.bodyLimit));
  app.use("*", htmlHeaders());

  app.get("/", (c) =>
    c.json({
      name: "idv-sandbox",
      warning: "Test-only sandbox. Never send real personal data or real credentials here.",
      vendors: Object.fromEntries(
        deps.vendors.map((v) => [v.provider.name, `${c.get("baseUrl")}/${v.provider.name}`]),
      ),
      admin: `${c.get("baseUrl")}/__admin`,
      openapi: `${c.get("baseUrl")}/openapi.json`,
      docs: `${c.get("baseUrl")}/docs/`,
    }),
  );

  const admin = adminApi(deps);
  app.use("/__admin/*", adminAuth(config.adminToken, publicPaths(admin), config.cors.origins));
  mountRoutes(app, "/__admin", admin);
  app.route("/", contractRoutes(deps, admin));

  for (const { provider, routes } of deps.vendors) {
    const gate = scenarioGate({
      scenarios: deps.scenarios,
      globalScenarios: deps.globalScenarios,
      rateLimits: config.rateLimits.enabled,
      // A vendor's entry in the config replaces its limits (a `*` there then covers every method).
      limits: config.rateLimits.limits[provider.name] ?? provider.rateLimits,
      credentialOf: provider.credentialOf,
      scenarioFields: provider.scenarioFields,
    });
    mountRoutes(app, `/${provider.name}`, routes, gate);
  }

  const door = errorDoor({
    formatOf: (c) => {
      const route = routeOf(c);
      if (route) return route.format;
      const vendor = vendorOf(c.req.path);
      if (vendor === undefined) return undefined;
      return unmatchedFormat(byName.get(vendor)!.provider, c.req.path.slice(vendor.length + 1));
    },
    ids: deps.ids,
    logger: deps.logger,
  });
  app.notFound((c) =>
    door(coreError(CoreErrorCode.notFound, `no route for ${c.req.method} ${c.req.path}`), c),
  );
  app.onError(door);
  return app;
}
