import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { adminRoutes } from "./admin/routes.js";
import type { SandboxConfig } from "./config.js";
import type { AppEnv, ErrorRenderer } from "./core/context.js";
import { CoreErrorCode, SandboxError } from "./core/errors.js";
import type { IdGenerator } from "./core/ids.js";
import type { KeyStore } from "./core/keys.js";
import type { Namespaces } from "./core/namespaces.js";
import type { Provider } from "./core/provider.js";
import { dqe } from "./providers/dqe/index.js";
import { regula } from "./providers/regula/index.js";
import { sardine } from "./providers/sardine/index.js";
import { sumsub } from "./providers/sumsub/index.js";

/** Every vendor the sandbox serves, each under `/<name>`. */
export const providers: readonly Provider[] = [sardine, sumsub, dqe, regula];

/** What createApp is built from; `createDeps` (src/sandbox.ts) makes them from a config. */
export interface SandboxDeps {
  config: SandboxConfig;
  keys: KeyStore;
  ids: IdGenerator;
  namespaces: Namespaces;
  /** Parsed `fixtures/<vendor>.json`, by vendor name. */
  fixtures: Readonly<Record<string, unknown>>;
  /** The public base URL, without a trailing slash. */
  readonly publicUrl: () => string;
}

/** The admin API's and unknown paths' error body. */
const renderPlainError: ErrorRenderer = (error, c) =>
  c.json({ error: error.code, message: error.message }, error.status);

function toSandboxError(err: unknown): SandboxError {
  if (err instanceof SandboxError) return err;
  if (err instanceof HTTPException) {
    return new SandboxError(
      err.status === 413 ? CoreErrorCode.payloadTooLarge : CoreErrorCode.invalidRequest,
      err.status,
      err.message || "request refused",
    );
  }
  return new SandboxError(CoreErrorCode.internal, 500, "internal sandbox error", {}, { cause: err });
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
  const app = new Hono<AppEnv>();
  const origins = deps.config.cors.origins;

  /** The one door every error leaves through, in the format of the vendor whose route it came from. */
  const respondWithError = (err: unknown, c: Context<AppEnv>): Response | Promise<Response> => {
    const error = toSandboxError(err);
    if (error.code === CoreErrorCode.internal) console.error("idv-sandbox: unexpected error", error.cause);
    return (c.get("renderError") ?? renderPlainError)(error, c, deps.ids);
  };

  const renderers = new Map(providers.map((p) => [p.name, p.renderError]));
  // Errors on a vendor's path leave in that vendor's format, whichever middleware raised them.
  app.use("*", async (c, next) => {
    const renderer = renderers.get(c.req.path.split("/", 2)[1] ?? "");
    if (renderer) c.set("renderError", renderer);
    c.set("ns", deps.namespaces.default);
    await next();
  });
  app.use(
    "*",
    cors({
      origin: origins === "*" ? (origin) => origin || "*" : [...origins],
      exposeHeaders: ["Retry-After", "Location", "X-Sandbox-Scenario"],
      maxAge: 600,
    }),
  );
  app.use(
    "*",
    bodyLimit({
      maxSize: deps.config.bodyLimit,
      onError: () => {
        throw new SandboxError(
          CoreErrorCode.payloadTooLarge,
          413,
          `request body is larger than ${deps.config.bodyLimit} bytes`,
        );
      },
    }),
  );
  app.get("/", (c) =>
    c.json({
      name: "idv-sandbox",
      warning: "Test-only sandbox. Never send real personal data or real credentials here.",
      vendors: Object.fromEntries(providers.map((p) => [p.name, `${deps.publicUrl()}/${p.name}`])),
      admin: `${deps.publicUrl()}/__admin`,
    }),
  );
  app.route("/__admin", adminRoutes());
  for (const provider of providers) {
    const routes = provider.routes({
      config: deps.config,
      keys: deps.keys,
      ids: deps.ids,
      publicUrl: deps.publicUrl,
      fixtures: deps.fixtures[provider.name],
    });
    app.route(`/${provider.name}`, routes);
  }

  app.notFound((c) =>
    respondWithError(
      new SandboxError(CoreErrorCode.notFound, 404, `no route for ${c.req.method} ${c.req.path}`),
      c,
    ),
  );
  app.onError(respondWithError);
  return app;
}
