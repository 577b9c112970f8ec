import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../core/context.js";
import { SandboxError } from "../core/errors.js";
import { parseAuthScheme, sameSecret } from "../core/http.js";

/** With an admin token set, every admin call but `GET /__admin/health` needs `Authorization: Bearer <token>`. */
export function adminAuth(token: string | undefined): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
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
  };
}
