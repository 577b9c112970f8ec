import { createHmac } from "node:crypto";
import type { Context } from "hono";
import type { AppEnv } from "../../core/context.js";
import * as z from "zod";
import { readText, sameSecret } from "../../core/http.js";
import { requiredByVendor } from "../../core/route.js";
import { fail } from "./errors.js";
import type { SumsubFixtures } from "./schemas.js";

export type SumsubApp = SumsubFixtures["apps"][number];

/** Required, and checked by the signature step first (401 when missing; not needed with `verifySignature: false`). */
export const signedHeaders = z.object({
  "X-App-Token": requiredByVendor(z.string().optional()),
  "X-App-Access-Ts": requiredByVendor(
    z.string().optional().describe("Unix seconds, within 60 s of the sandbox clock"),
  ),
  "X-App-Access-Sig": requiredByVendor(
    z.string().optional().describe("hex HMAC-SHA256(secret, ts + METHOD + path-with-query + body)"),
  ),
});
export const signedErrors = "Bad signature (errorCode 4003), unknown app token, or timestamp out of range";

/** Lowercase hex HMAC-SHA256 of `ts + METHOD + path-with-query + body`, as Sumsub signs requests. */
export function signRequest(
  secretKey: string,
  ts: string,
  method: string,
  pathWithQuery: string,
  body: string,
): string {
  return createHmac("sha256", secretKey)
    .update(ts + method.toUpperCase() + pathWithQuery + body)
    .digest("hex");
}

/** A path without the `/ns/<id>` that names a namespace (routing ignores it, and so does a signature). */
function withoutNamespace(path: string): string {
  const prefix = /^\/ns\/[^/]+(?=\/|$)/.exec(path)?.[0];
  return prefix === undefined ? path : path.slice(prefix.length) || "/";
}

/**
 * Checks `X-App-Token`, `X-App-Access-Ts` and `X-App-Access-Sig` and returns the calling app. A client signs the
 * path it knows, so the signature may cover the path with or without the sandbox's `/sumsub` prefix.
 */
export async function verifySignedRequest(
  c: Context<AppEnv>,
  options: { apps: SumsubApp[]; verify: boolean; windowSeconds: number; prefix: string },
): Promise<SumsubApp> {
  const token = c.req.header("x-app-token");
  const app = options.apps.find((a) => a.appToken === token);
  if (!options.verify) return app ?? options.apps[0]!;
  if (!app) throw fail("invalid_app_token");

  const ts = c.req.header("x-app-access-ts") ?? "";
  const seconds = /^\d{1,12}$/.test(ts) ? Number(ts) : Number.NaN;
  const now = c.get("ns").clock.nowSeconds();
  if (!(Math.abs(now - seconds) <= options.windowSeconds)) {
    // Said plainly: after a clock move, `date +%s` is no longer what the sandbox reads.
    throw fail(
      "timestamp_out_of_range",
      `Request timestamp is missing or more than ${String(options.windowSeconds)} s from the sandbox clock, which reads ${String(now)} (GET /__admin/clock)`,
    );
  }

  // A client signs the path as it sent it, percent-encoding and all (`-;externalUserId=a%40b.test`); c.req.path is
  // the routed one, partly decoded, so both are tried. Neither holds any /ns/<id> prefix.
  const url = new URL(c.req.url);
  const candidates: string[] = [];
  for (const path of new Set([withoutNamespace(url.pathname), c.req.path])) {
    candidates.push(path + url.search);
    if (path.startsWith(`${options.prefix}/`))
      candidates.push(path.slice(options.prefix.length) + url.search);
  }
  const body = await readText(c);
  const given = (c.req.header("x-app-access-sig") ?? "").toLowerCase();
  const matches = candidates.some((path) =>
    sameSecret(given, signRequest(app.secretKey, ts, c.req.method, path, body)),
  );
  if (!matches) throw fail("signature_mismatch");
  return app;
}
