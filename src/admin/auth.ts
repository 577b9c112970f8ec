import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../core/context.js";
import { originAllowed } from "../core/cors.js";
import { SandboxError } from "../core/errors.js";
import { parseAuthScheme, sameSecret } from "../core/http.js";
import type { Route } from "../core/route.js";

/** Methods that only read: a page on another site may send them without asking (a "simple" request) and learns nothing. */
const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The paths any caller may GET: those of the admin routes declared `public` (health, the dashboard's shell). */
export function publicPaths(admin: readonly Route[]): ReadonlySet<string> {
  return new Set(
    admin
      .filter((r) => r.definition.public && r.definition.method === "get")
      .flatMap((r) => [r.definition.path, ...(r.definition.alsoAt ?? [])])
      .map((path) => `/__admin${path}`),
  );
}

/**
 * With an admin token set, every admin call but a GET of an `open` path (`publicPaths`: `GET /__admin/health` and the
 * dashboard's shell) needs `Authorization: Bearer <token>`.
 *
 * Changes are refused from what a web page on another site can send without CORS asking first: a body that is not
 * `application/json` (415: `text/plain` and forms need no preflight), or an `Origin` that `cors.origins` does not list
 * (403). Otherwise any page a developer visits could queue an answer of its choosing on the sandbox's own origin.
 */
export function adminAuth(
  token: string | undefined,
  open: ReadonlySet<string>,
  origins: "*" | readonly string[] = "*",
): MiddlewareHandler<AppEnv> {
  const allowed = originAllowed(origins);
  return async (c, next) => {
    if (!READS.has(c.req.method)) {
      const origin = c.req.header("origin");
      if (origin !== undefined && !allowed(origin) && origin !== new URL(c.req.url).origin)
        throw new SandboxError(
          "forbidden",
          403,
          `the admin API takes no changes from origin ${origin} (cors.origins)`,
        );
      const type = c.req.header("content-type");
      const sized =
        (c.req.header("content-length") ?? "0") !== "0" || c.req.header("transfer-encoding") !== undefined;
      // A type that is not JSON, or a body without a type (a Blob), is what a page elsewhere may send unasked.
      if (type !== undefined ? !/^application\/json\s*(;|$)/i.test(type) : sized)
        throw new SandboxError(
          "unsupported_media_type",
          415,
          `the admin API takes JSON bodies: Content-Type: application/json (got ${type ?? "none"})`,
        );
    }
    const isOpen = c.req.method === "GET" && open.has(c.req.path);
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
