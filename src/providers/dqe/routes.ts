import type { Context } from "hono";
import * as z from "zod";
import type { AppEnv } from "../../core/context.js";
import { sameSecret } from "../../core/http.js";
import type { ProviderDeps } from "../../core/provider.js";
import type { RouteDeclaration } from "../../core/route.js";
import { putAllListed, putItem, takeListed } from "../../core/store.js";
import { fail } from "./errors.js";
import { getAndPost } from "./fields.js";
import { idmobileRoutes } from "./idmobile.js";
import { tokenResponseSchema, type DqeFixtures } from "./schemas.js";
import { accessTokens, refreshTokens } from "./tokens.js";

/** The vendor's fields; any other name is its "parameter typo", which it answers with a 500 (see `getAndPost`). */
const tokenFields = z.strictObject({
  licence: z.string().min(1).describe("Your licence code"),
  client_secret: z.string().min(1).describe("Your client secret"),
  grant_type: z.literal("client_idmobile"),
});
const refreshFields = z.strictObject({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  scope: z.literal("refresh_token"),
});

export function dqeRoutes(deps: ProviderDeps<DqeFixtures, unknown>): RouteDeclaration[] {
  const { fixtures, ids } = deps;

  const issuePair = async (c: Context<AppEnv>, licence: string) => {
    const accessToken = `TK${ids.hex(20)}${ids.alnum(24)}`;
    const refreshToken = `*TK${ids.hex(21)}${ids.alnum(26)}`;
    const { store } = c.get("ns");
    await putAllListed(store, [
      putItem(accessTokens, accessToken, { licence, refreshToken }, fixtures.accessTokenTtlSeconds),
      putItem(refreshTokens, refreshToken, { licence, accessToken }, fixtures.refreshTokenTtlSeconds),
    ]);
    return c.json({
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: String(fixtures.accessTokenTtlSeconds),
      refresh_token: refreshToken,
    });
  };

  return [
    ...getAndPost(
      {
        path: "/ACCESS_TOKEN/",
        summary: "Issue an IDMobile access token",
        responses: {
          200: { description: "The token pair; expires_in is a string", schema: tokenResponseSchema },
        },
        errors: {
          400: "A missing or empty field, a wrong grant_type (01), an unknown licence (22), a wrong secret (03), no credits (98)",
          500: "A misspelled or unknown parameter name, as the vendor answers it",
        },
      },
      tokenFields,
      // After the fields, the vendor's table goes on with the credentials.
      async (c, { licence, client_secret: secret }) => {
        const known = fixtures.licences.find((l) => l.licence === licence);
        if (!known) throw fail("invalid_client");
        if (!sameSecret(secret, known.clientSecret)) throw fail("invalid_client_secret");
        if (known.creditsExhausted) throw fail("credits_exhausted");
        return issuePair(c, licence);
      },
    ),
    ...getAndPost(
      {
        path: "/oauth/ACCESS_TOKEN/",
        summary: "Refresh an access token",
        responses: {
          200: { description: "A new pair; the old one is retired", schema: tokenResponseSchema },
        },
        errors: {
          400: "A missing field or scope other than refresh_token (01)",
          401: "An unknown, used or expired refresh token, or one presented with another access token (30)",
          500: "A misspelled or unknown parameter name",
        },
      },
      refreshFields,
      async (c, { access_token: access, refresh_token: refreshToken }) => {
        const { store, clock } = c.get("ns");
        const entry = await store.get(refreshTokens, refreshToken);
        if (!entry || entry.value.accessToken !== access) throw fail("invalid_token");
        // Single use: exactly one concurrent refresh takes the token; the old pair is gone before the new one exists.
        if (!(await takeListed(store, refreshTokens, refreshToken, clock.now()))) throw fail("invalid_token");
        await takeListed(store, accessTokens, access, clock.now(), "revoked");
        return issuePair(c, entry.value.licence);
      },
    ),
    ...idmobileRoutes(deps),
  ];
}
