import { Hono, type Context, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { matchedRoutes } from "hono/route";
import { getPath } from "hono/utils/url";
import { adminRoutes } from "./admin/routes.js";
import { bodyLimit } from "./core/body-limit.js";
import { cors } from "./core/cors.js";
import { contractRoutes } from "./contract.js";
import type { SandboxConfig } from "./config.js";
import type { AppEnv, ErrorRenderer } from "./core/context.js";
import { coreError, CoreErrorCode, SandboxError, type VendorCatalogue } from "./core/errors.js";
import { isoAt } from "./core/clock.js";
import type { IdGenerator } from "./core/ids.js";
import { redactPathAndQuery } from "./core/journal.js";
import type { KeyStore } from "./core/keys.js";
import type { Logger } from "./core/log.js";
import { DEFAULT_NAMESPACE, type Namespaces } from "./core/namespaces.js";
import type { Provider } from "./core/provider.js";
import { limitFor, overLimit } from "./core/ratelimit.js";
import { applyOutcome, chooseRule, magicScenarios, viewRequest, type Scenario } from "./core/scenarios.js";
import { parseAuthScheme, readText, sameSecret } from "./core/http.js";
import { dqe } from "./providers/dqe/index.js";
import { regula } from "./providers/regula/index.js";
import { sardine } from "./providers/sardine/index.js";
import { sumsub } from "./providers/sumsub/index.js";

/** Every vendor the sandbox serves, each under `/<name>`. */
export const providers: readonly Provider[] = [sardine, sumsub, dqe, regula];

/** Each vendor's error catalogue, by name: what scenario rules are checked against. */
export const catalogues: Readonly<Record<string, VendorCatalogue>> = Object.fromEntries(
  providers.map((p) => [p.name, p.errors]),
);

/** What createApp is built from; `createDeps` (src/sandbox.ts) makes them from a config. */
export interface SandboxDeps {
  config: SandboxConfig;
  keys: KeyStore;
  ids: IdGenerator;
  namespaces: Namespaces;
  /** Parsed `fixtures/<vendor>.json`, by vendor name. */
  fixtures: Readonly<Record<string, unknown>>;
  /** Scenarios loaded from `scenariosDir`, by name. */
  scenarios: ReadonlyMap<string, Scenario>;
  /** Scenarios active in every namespace (config, `--scenario`, admin calls without a namespace). */
  globalScenarios: string[];
  /** The public base URL, without a trailing slash. */
  readonly publicUrl: () => string;
  logger: Logger;
}

/** The admin API's and unknown paths' error body. */
const renderPlainError: ErrorRenderer = (error, c) =>
  c.json({ error: error.code, message: error.message }, error.status);

function toSandboxError(err: unknown): SandboxError {
  if (err instanceof SandboxError) return err;
  if (err instanceof HTTPException) {
    return new SandboxError(
      err.status === 413 ? CoreErrorCode.payloadTooLarge : CoreErrorCode.invalidRequest,
      err.status, // Hono's own status, which may be any 4xx
      err.message || "request refused",
    );
  }
  return coreError(CoreErrorCode.internal, "internal sandbox error", {}, { cause: err });
}

/** The route pattern whose handler answered (middleware is registered as ALL). */
function answeringRoute(c: Context): string | null {
  return (
    matchedRoutes(c)
      .filter((r) => r.method !== "ALL")
      .at(-1)?.path ?? null
  );
}

/** `/ns/<id>/…`: the namespace a path names, for clients that cannot set headers (SDKs, browsers). */
const NS_PREFIX = /^\/ns\/([^/]+)(?=\/|$)/;

function namespacePrefix(rawPath: string): string | undefined {
  return NS_PREFIX.exec(rawPath)?.[1];
}

/**
 * Builds the sandbox as a Hono app. It never listens: use `app.request()` in tests, or `createSandbox()`
 * for a real server.
 *
 * @example
 * const app = createApp(await createDeps(parseConfig({})));
 * const res = await app.request("/__admin/health");
 */
export function createApp(deps: SandboxDeps): Hono<AppEnv> {
  const { config, namespaces } = deps;
  // Routing ignores a leading `/ns/<id>`; the middleware below reads it.
  const app = new Hono<AppEnv>({
    getPath: (req) => {
      const path = getPath(req);
      const id = path.startsWith("/ns/") ? namespacePrefix(path) : undefined;
      return id === undefined ? path : path.slice(4 + id.length) || "/";
    },
  });
  const byName = new Map(providers.map((p) => [p.name, p]));

  /** The one door every error leaves through, in the format of the vendor whose route it came from. */
  const respondWithError = (err: unknown, c: Context<AppEnv>): Response | Promise<Response> => {
    const error = toSandboxError(err);
    if (error.code === CoreErrorCode.internal) {
      const cause =
        error.cause instanceof Error ? (error.cause.stack ?? error.cause.message) : String(error.cause);
      deps.logger.error("unexpected_error", { path: c.req.path, cause });
    }
    return (c.get("renderError") ?? renderPlainError)(error, c, deps.ids);
  };

  // Who is asking, in which namespace, and a journal line once answered.
  const context: MiddlewareHandler<AppEnv> = async (c, next) => {
    const started = performance.now();
    const path = c.req.path;
    const end = path.indexOf("/", 1);
    const segment = end < 0 ? path.slice(1) : path.slice(1, end);
    const provider = byName.get(segment);
    if (provider) c.set("renderError", provider.renderError);
    const fromPath = c.req.url.includes("/ns/") ? namespacePrefix(getPath(c.req.raw)) : undefined;
    const id =
      fromPath ??
      c.req.header("x-sandbox-namespace") ??
      (segment === "__admin" ? c.req.query("namespace") : undefined) ??
      DEFAULT_NAMESPACE;
    const ns = namespaces.get(id);
    c.set("ns", ns);
    c.set("baseUrl", ns.id === DEFAULT_NAMESPACE ? deps.publicUrl() : `${deps.publicUrl()}/ns/${ns.id}`);
    await next();
    const query = c.req.url.indexOf("?");
    const entry = {
      at: ns.clock.now(),
      namespace: ns.id,
      method: c.req.method,
      // Redacted when read (admin API, logs), not on every request.
      path: query < 0 ? path : path + c.req.url.slice(query),
      vendor: provider?.name ?? null,
      route: answeringRoute(c),
      status: c.res.status,
      scenario: c.get("scenario") ?? null,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    };
    ns.journal.record(entry);
    if (deps.logger.enabled("info")) {
      const { at, path, ...fields } = entry;
      deps.logger.info("request", { time: isoAt(at), path: redactPathAndQuery(path), ...fields });
    }
  };
  app.use("*", context);

  app.use(
    "*",
    cors({
      origins: config.cors.origins,
      exposeHeaders: ["Retry-After", "Location", "X-Sandbox-Scenario"],
      maxAgeSeconds: 600,
    }),
  );
  app.use("*", bodyLimit(config.bodyLimit));

  app.get("/", (c) =>
    c.json({
      name: "idv-sandbox",
      warning: "Test-only sandbox. Never send real personal data or real credentials here.",
      vendors: Object.fromEntries(providers.map((p) => [p.name, `${c.get("baseUrl")}/${p.name}`])),
      admin: `${c.get("baseUrl")}/__admin`,
      openapi: `${c.get("baseUrl")}/openapi.json`,
      docs: `${c.get("baseUrl")}/docs/`,
    }),
  );

  app.use("/__admin/*", async (c, next) => {
    const token = config.adminToken;
    const isHealth = c.req.path === "/__admin/health" && c.req.method === "GET";
    if (token !== undefined && !isHealth) {
      const given = parseAuthScheme(c.req.header("authorization"), "Bearer");
      if (given === undefined || !sameSecret(given, token)) {
        c.header("WWW-Authenticate", 'Bearer realm="idv-sandbox admin"');
        throw new SandboxError(
          "unauthorized",
          401,
          "the admin API needs Authorization: Bearer <admin token>",
        );
      }
    }
    await next();
  });
  app.route("/__admin", adminRoutes(deps));
  app.route("/", contractRoutes(deps, providers));

  for (const provider of providers) {
    app.use(`/${provider.name}/*`, vendorGate(deps, provider));
    app.route(
      `/${provider.name}`,
      provider.routes({ config, keys: deps.keys, ids: deps.ids, fixtures: deps.fixtures[provider.name] }),
    );
  }

  app.notFound((c) =>
    respondWithError(coreError(CoreErrorCode.notFound, `no route for ${c.req.method} ${c.req.path}`), c),
  );
  app.onError(respondWithError);
  return app;
}

/** Whether text may carry a magic `scenario:<name>` value (plain or URL-encoded): only then is it parsed for one. */
const mayNameScenario = (text: string) => text.includes("scenario:") || text.includes("scenario%3A");

/**
 * Before a vendor's routes: the scenarios this request selects (header, magic input, namespace, global) and
 * the rate limit. Does nothing costly unless a scenario or limit could apply.
 */
function vendorGate(deps: SandboxDeps, provider: Provider): MiddlewareHandler<AppEnv> {
  const { config } = deps;
  const limits = { ...provider.rateLimits, ...config.rateLimits.limits[provider.name] };
  return async (c, next) => {
    const ns = c.get("ns");
    const header = c.req.header("x-sandbox-scenario");
    const fromHeader = header
      ? header
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : [];
    for (const name of fromHeader) {
      if (!deps.scenarios.has(name)) {
        throw coreError(CoreErrorCode.invalidRequest, `unknown scenario in X-Sandbox-Scenario: ${name}`);
      }
    }
    const mayHaveMagic =
      mayNameScenario(c.req.url) || (c.req.method !== "GET" && mayNameScenario(await readText(c)));
    const anything =
      mayHaveMagic ||
      fromHeader.length + ns.scenarios.active.length + deps.globalScenarios.length > 0 ||
      ns.scenarios.queue.length > 0;

    if (anything) {
      const names = [...fromHeader, ...ns.scenarios.active, ...deps.globalScenarios];
      const needBody = mayHaveMagic || names.some((n) => deps.scenarios.get(n)?.readsBody);
      const view = await viewRequest(c, provider.name, needBody);
      const magic = mayHaveMagic ? magicScenarios(view).filter((n) => deps.scenarios.has(n)) : [];
      const all = [...fromHeader, ...magic, ...ns.scenarios.active, ...deps.globalScenarios];
      const rateLimited = config.rateLimits.enabled || all.some((n) => deps.scenarios.get(n)?.rateLimits);
      if (rateLimited) await enforceLimit(c, provider, limits);
      const chosen = chooseRule(ns.scenarios, deps.scenarios, all, view);
      if (chosen) {
        const response = await applyOutcome(c, chosen, provider.errors);
        if (response) return response;
      }
    } else if (config.rateLimits.enabled) {
      await enforceLimit(c, provider, limits);
    }
    await next();
  };
}

async function enforceLimit(
  c: Context<AppEnv>,
  provider: Provider,
  limits: Provider["rateLimits"],
): Promise<void> {
  const found = limitFor(limits, c.req.method);
  if (!found) return;
  const [selector, limit] = found;
  const who = (await provider.credentialOf(c)) ?? "anonymous";
  const retryAfter = overLimit(c.get("ns"), `${provider.name}:${selector}:${who}`, limit);
  if (retryAfter !== undefined) {
    c.header("Retry-After", String(retryAfter));
    throw coreError(
      CoreErrorCode.rateLimited,
      `rate limit of ${limit.limit} per ${limit.windowSeconds} s exceeded`,
    );
  }
}
