import { createHmac } from "node:crypto";
import type { Context } from "hono";
import type { AppEnv } from "../../core/context.js";
import { readText, sameSecret } from "../../core/http.js";
import { fail } from "./errors.js";
import type { SumsubFixtures } from "./schemas.js";

export type SumsubApp = SumsubFixtures["apps"][number];

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
  if (!(Math.abs(c.get("ns").clock.nowSeconds() - seconds) <= options.windowSeconds)) {
    throw fail("timestamp_out_of_range");
  }

  // c.req.path is the routed path: any /ns/<id> prefix is already gone.
  const full = c.req.path + new URL(c.req.url).search;
  const candidates = [full];
  if (c.req.path.startsWith(`${options.prefix}/`)) candidates.push(full.slice(options.prefix.length));
  const body = await readText(c);
  const given = (c.req.header("x-app-access-sig") ?? "").toLowerCase();
  const matches = candidates.some((path) =>
    sameSecret(given, signRequest(app.secretKey, ts, c.req.method, path, body)),
  );
  if (!matches) throw fail("signature_mismatch");
  return app;
}
