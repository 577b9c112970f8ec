import { Hono, type Context } from "hono";
import type { AppEnv } from "../../core/context.js";
import { parseBasicAuth, parseWith, readJson, sameSecret } from "../../core/http.js";
import type { ProviderDeps } from "../../core/provider.js";
import { kind } from "../../core/store.js";
import { fail } from "./errors.js";
import type { Au10tixClaims, SardineFixtures, TokenRequest } from "./schemas.js";
import { tokenRequestSchema } from "./schemas.js";

export const KEY_SET = "sardine";

/** What the state remembers of each issued token (by `jti` for au10tix, by token for incode). */
export interface IssuedToken {
  provider: TokenRequest["provider"];
  clientId: string;
  sessionKey: string;
  customerId?: string;
  platform?: TokenRequest["platform"];
  verificationId?: string;
}
export const issuedTokens = kind<IssuedToken>("sardine.token");

export function sardineRoutes(deps: ProviderDeps<SardineFixtures>): Hono<AppEnv> {
  const { fixtures, keys, ids } = deps;
  const { authServerId } = fixtures.au10tix;
  const ttl = fixtures.tokenTtlSeconds;
  const issuerPath = `/au10tix/oauth2/${authServerId}`;
  const issuer = (c: Context<AppEnv>) => `${c.get("baseUrl")}/sardine${issuerPath}`;
  const app = new Hono<AppEnv>();

  app.post("/v1/identity-documents/tokens", async (c) => {
    const credentials = parseBasicAuth(c.req.header("authorization"));
    const client = fixtures.clients.find((candidate) => candidate.clientId === credentials?.user);
    if (!credentials || !client || !sameSecret(credentials.password, client.clientSecret)) {
      throw fail("unauthorized");
    }
    const body = parseWith(tokenRequestSchema, await readJson(c));
    const { clock, store } = c.get("ns");
    const record: IssuedToken = {
      provider: body.provider,
      clientId: client.clientId,
      sessionKey: body.sessionKey,
      customerId: body.customerId,
      platform: body.platform,
    };

    if (body.provider === "incode") {
      const verificationId = ids.uuid();
      const accessToken = ids.token(64);
      store.put(issuedTokens, accessToken, { ...record, verificationId }, ttl);
      return c.json({
        access_token: accessToken,
        verification_id: verificationId,
        incode_sdk_base_url: `${c.get("baseUrl")}/sardine/incode/0`,
        token_type: "Bearer",
        expires_in: ttl,
      });
    }

    const iat = clock.nowSeconds();
    const claims: Au10tixClaims = {
      ver: 1,
      jti: `AT.${ids.token(43)}`,
      iss: issuer(c),
      aud: "au10tix",
      iat,
      exp: iat + ttl,
      cid: client.au10tixClientId,
      scp: ["mobilesdk"],
      sub: client.au10tixClientId,
      apiUrl: `${c.get("baseUrl")}/sardine/au10tix/api`,
      bosUrl: `${c.get("baseUrl")}/sardine/au10tix/bos`,
      clientOrganizationName: client.organizationName,
      clientOrganizationId: client.organizationId,
    };
    const accessToken = await keys.sign(KEY_SET, claims);
    store.put(issuedTokens, claims.jti, record, ttl);
    return c.json({ token_type: "Bearer", expires_in: ttl, access_token: accessToken, scope: "mobilesdk" });
  });

  app.get(`${issuerPath}/v1/keys`, (c) => c.json(keys.jwks(KEY_SET)));

  // Okta-style metadata, so a client that discovers keys from the issuer finds them too.
  app.get(`${issuerPath}/.well-known/oauth-authorization-server`, (c) =>
    c.json({
      issuer: issuer(c),
      jwks_uri: `${issuer(c)}/v1/keys`,
      token_endpoint: `${c.get("baseUrl")}/sardine/v1/identity-documents/tokens`,
      scopes_supported: ["mobilesdk"],
      id_token_signing_alg_values_supported: ["RS256"],
    }),
  );

  return app;
}
