import { Hono, type Context } from "hono";
import type { AppEnv } from "../../core/context.js";
import { readForm, readQuery, sameSecret } from "../../core/http.js";
import type { ProviderDeps } from "../../core/provider.js";
import { fail } from "./errors.js";
import { accessTokenFields, refreshFields, type DqeFixtures } from "./schemas.js";
import { accessTokens, refreshTokens } from "./tokens.js";

/**
 * The request's fields: the query, and for POST the form body on top of it. A repeated field takes its last
 * value; a name outside `allowed` is the vendor's "parameter typo", which it answers with a 500.
 */
async function readFields<N extends string>(
  c: Context<AppEnv>,
  allowed: readonly N[],
): Promise<Partial<Record<N, string>>> {
  const given = readQuery(c);
  if (c.req.method === "POST") for (const [name, values] of await readForm(c)) given.set(name, values);
  const fields: Partial<Record<N, string>> = {};
  for (const [name, values] of given) {
    if (!(allowed as readonly string[]).includes(name)) throw fail("unknown_parameter");
    fields[name as N] = values.at(-1);
  }
  return fields;
}

export function dqeRoutes(deps: ProviderDeps<DqeFixtures>): Hono<AppEnv> {
  const { fixtures, ids } = deps;
  const app = new Hono<AppEnv>();

  const issuePair = (c: Context<AppEnv>, licence: string) => {
    const accessToken = `TK${ids.hex(20)}${ids.alnum(24)}`;
    const refreshToken = `*TK${ids.hex(21)}${ids.alnum(26)}`;
    const { store } = c.get("ns");
    store.put(accessTokens, accessToken, { licence, refreshToken }, fixtures.accessTokenTtlSeconds);
    store.put(refreshTokens, refreshToken, { licence, accessToken }, fixtures.refreshTokenTtlSeconds);
    return c.json({
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: String(fixtures.accessTokenTtlSeconds),
      refresh_token: refreshToken,
    });
  };

  // The vendor's error table, checked in its order: presence of each field, then the grant type, then credentials.
  const accessToken = async (c: Context<AppEnv>) => {
    const { licence, client_secret: secret, grant_type: grantType } = await readFields(c, accessTokenFields);
    if (!licence) throw fail("invalid_request", "licence is missing or empty");
    if (!secret) throw fail("invalid_request", "client_secret is missing or empty");
    if (grantType !== "client_idmobile") throw fail("invalid_request", "grant_type must be client_idmobile");
    const known = fixtures.licences.find((l) => l.licence === licence);
    if (!known) throw fail("unauthorized_client");
    if (!sameSecret(secret, known.clientSecret)) throw fail("invalid_client_secret");
    if (known.creditsExhausted) throw fail("credits_exhausted");
    return issuePair(c, licence);
  };

  const refresh = async (c: Context<AppEnv>) => {
    const { access_token: access, refresh_token: refreshToken, scope } = await readFields(c, refreshFields);
    if (!access || !refreshToken || scope !== "refresh_token") {
      throw fail("invalid_request", "access_token, refresh_token and scope=refresh_token are required");
    }
    const { store } = c.get("ns");
    const entry = store.get(refreshTokens, refreshToken);
    if (!entry || entry.value.accessToken !== access) throw fail("invalid_token");
    // Single use: the old pair is gone before the new one exists.
    store.delete(refreshTokens, refreshToken);
    store.delete(accessTokens, access);
    return issuePair(c, entry.value.licence);
  };

  for (const path of ["/ACCESS_TOKEN/", "/ACCESS_TOKEN"]) app.on(["GET", "POST"], path, accessToken);
  for (const path of ["/oauth/ACCESS_TOKEN/", "/oauth/ACCESS_TOKEN"]) app.on(["GET", "POST"], path, refresh);
  return app;
}
