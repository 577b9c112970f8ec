import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.js";

export interface CorsOptions {
  /** `"*"` (any origin) or exact origins. */
  origins: "*" | readonly string[];
  exposeHeaders: readonly string[];
  maxAgeSeconds: number;
}

/** Whether `cors.origins` lets a page on `origin` call the sandbox: `"*"` lets every origin. */
export function originAllowed(origins: CorsOptions["origins"]): (origin: string) => boolean {
  if (origins === "*") return () => true;
  const allowed = new Set(origins);
  return (origin) => allowed.has(origin);
}

/**
 * CORS for browser clients on other origins. Only a request with an `Origin` header gets CORS headers (others are not
 * browsers' cross-origin calls), and they go into the context's prepared headers before the handler runs, so the
 * handler's response is built once (Hono's own middleware rewrites every response to add them).
 */
export function cors(options: CorsOptions): MiddlewareHandler<AppEnv> {
  const allowedOrigin = originAllowed(options.origins);
  const expose = options.exposeHeaders.join(",");
  const methods = "GET,HEAD,PUT,POST,DELETE,PATCH,OPTIONS";
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin === undefined) return next();
    const allow = allowedOrigin(origin);
    if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined) {
      const headers: Record<string, string> = { Vary: "Origin, Access-Control-Request-Headers" };
      if (allow) {
        headers["Access-Control-Allow-Origin"] = origin;
        headers["Access-Control-Allow-Methods"] = methods;
        headers["Access-Control-Max-Age"] = String(options.maxAgeSeconds);
        const requested = c.req.header("access-control-request-headers");
        if (requested) headers["Access-Control-Allow-Headers"] = requested;
      }
      return c.body(null, 204, headers);
    }
    c.header("Vary", "Origin", { append: true });
    if (allow) {
      c.header("Access-Control-Allow-Origin", origin);
      c.header("Access-Control-Expose-Headers", expose);
    }
    return next();
  };
}
