import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../core/context.js";
import { SandboxError } from "../core/errors.js";
import { parseAuthScheme, sameSecret } from "../core/http.js";
import { DASHBOARD_SHELL } from "./ui/index.js";

/** What any caller may GET: health, and the dashboard's shell, script and stylesheet (they hold no data). */
const OPEN = new Set(["/__admin/health", ...DASHBOARD_SHELL]);

/**
 * With an admin token set, every admin call but `GET /__admin/health` and the dashboard's shell needs
 * `Authorization: Bearer <token>`.
 */
export function adminAuth(token: string | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const isOpen = c.req.method === "GET" && OPEN.has(c.req.path);
    if (token !== undefined && !isOpen) {
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
  };
}
