import type { Context } from "hono";
import * as z from "zod";
import type { AppEnv } from "../../core/context.js";
import { parseBasicAuth, sameSecret } from "../../core/http.js";
import { jwksSchema } from "../../core/openapi.js";
import type { ProviderDeps } from "../../core/provider.js";
import { defineRoute, type RouteDeclaration } from "../../core/route.js";
import { kind } from "../../core/store.js";
import { fail } from "./errors.js";
import {
  au10tixTokenResponseSchema,
  incodeTokenResponseSchema,
  tokenRequestSchema,
  type Au10tixClaims,
  type SardineFixtures,
  type TokenRequest,
} from "./schemas.js";

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
export const issuedTokens = kind<IssuedToken>("sardine.token", { list: "tokens" });

export const securitySchemes = {
  sardineBasic: { type: "http", scheme: "basic", description: "client id : client secret" },
};

const authServer = z.object({ authServerId: z.string() });

export function sardineRoutes(deps: ProviderDeps<SardineFixtures, unknown>): RouteDeclaration[] {
  const { fixtures, keys, ids } = deps;
  const { authServerId } = fixtures.au10tix;
  const ttl = fixtures.tokenTtlSeconds;
  const issuer = (c: Context<AppEnv>) => `${c.get("baseUrl")}/sardine/au10tix/oauth2/${authServerId}`;
  /** Only the fixtures' authorization server exists. */
  const requireAuthServer = (id: string) => {
    if (id !== authServerId) throw fail("not_found", `no authorization server ${id}`);
  };

  return [
    defineRoute({
      method: "post",
      path: "/v1/identity-documents/tokens",
      summary: "Issue a document-verification SDK token",
      description:
        "provider au10tix (default): an RS256 JWT verifiable at the issuer's /v1/keys; provider incode: an opaque token.",
      security: ["sardineBasic"],
      authorize: (c) => {
        const credentials = parseBasicAuth(c.req.header("authorization"));
        const client = fixtures.clients.find((candidate) => candidate.clientId === credentials?.user);
        if (!credentials || !client || !sameSecret(credentials.password, client.clientSecret))
          throw fail("unauthorized");
        return client;
      },
      request: { json: { schema: tokenRequestSchema, required: true } },
      responses: {
        200: {
          description: "The token",
          schema: z.union([au10tixTokenResponseSchema, incodeTokenResponseSchema]),
        },
      },
      errors: {
        400: "Malformed JSON or an invalid field (the message names it)",
        401: "Missing or wrong Basic credentials",
      },
      handler: async (c, { auth: client, json: body }) => {
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
          await store.put(issuedTokens, accessToken, { ...record, verificationId }, ttl);
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
        await store.put(issuedTokens, claims.jti, record, ttl);
        return c.json({
          token_type: "Bearer",
          expires_in: ttl,
          access_token: accessToken,
          scope: "mobilesdk",
        });
      },
    }),
    defineRoute({
      method: "get",
      path: "/au10tix/oauth2/{authServerId}/v1/keys",
      summary: "The au10tix-like issuer's JWKS",
      request: { params: authServer },
      responses: { 200: { description: "Public signing keys", schema: jwksSchema } },
      errors: { 404: "Not the sandbox's authorization server" },
      handler: (c, { params }) => {
        requireAuthServer(params.authServerId);
        return c.json(keys.jwks(KEY_SET));
      },
    }),
    // Okta-style metadata, so a client that discovers keys from the issuer finds them too.
    defineRoute({
      method: "get",
      path: "/au10tix/oauth2/{authServerId}/.well-known/oauth-authorization-server",
      summary: "The au10tix-like issuer's metadata (Okta style)",
      request: { params: authServer },
      responses: {
        200: {
          description: "Issuer metadata",
          schema: z.looseObject({ issuer: z.string(), jwks_uri: z.string() }),
        },
      },
      errors: { 404: "Not the sandbox's authorization server" },
      handler: (c, { params }) => {
        requireAuthServer(params.authServerId);
        return c.json({
          issuer: issuer(c),
          jwks_uri: `${issuer(c)}/v1/keys`,
          token_endpoint: `${c.get("baseUrl")}/sardine/v1/identity-documents/tokens`,
          scopes_supported: ["mobilesdk"],
          id_token_signing_alg_values_supported: ["RS256"],
        });
      },
    }),
  ];
}
