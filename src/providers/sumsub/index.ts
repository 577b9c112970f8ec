import { parseBasicAuth } from "../../core/http.js";
import { defineProvider } from "../../core/provider.js";
import { apiErrors, oauthErrors } from "./errors.js";
import { applicants, applicantsByUser, createApplicants, sdkTokens } from "./applicants.js";
import { KEY_SET, sumsubKinds } from "./grants.js";
import { pendingLogins } from "./login.js";
import { securitySchemes, sumsubRoutes } from "./routes.js";
import { configSchema, fixtureSchema } from "./schemas.js";
import { sumsubWebhooks } from "./webhooks.js";

export { signRequest } from "./signature.js";

/**
 * Sumsub: ID Connect (the HMAC-signed token and share-token routes, the standard OIDC route around them) and what
 * follows the token: applicants with their review and webhooks, WebSDK access tokens, ID Connect reuse.
 */
export const sumsub = defineProvider({
  name: "sumsub",
  title: "Sumsub ID Connect and applicants",
  fixtureSchema,
  configSchema,
  keySets: [KEY_SET],
  errors: apiErrors,
  errorsUnder: [["/api/snsId/oauth/", oauthErrors]],
  kinds: [...sumsubKinds, pendingLogins, applicants, applicantsByUser, sdkTokens],
  secretFields: ["code_verifier", "codeVerifier", "shareToken"],
  // An app token is half of an API key pair: a credential too.
  secretValues: (f) => [
    ...f.apps.flatMap((a) => [a.appToken, a.secretKey]),
    ...f.clients.map((c) => c.clientSecret),
  ],
  securitySchemes,
  credentials: (f) => [
    ...f.apps.map((a): [string, string] => [
      a.idConnectEnabled ? "app token / secret" : "app token / secret (ID Connect off)",
      `${a.appToken} / ${a.secretKey}`,
    ]),
    ...f.clients.map((c): [string, string] => [
      "OIDC client / secret",
      `${c.clientId} / ${c.clientSecret} → ${c.redirectUris.join(", ")}`,
    ]),
  ],
  /** Documented: POST 50 per 5 s, GET 300 per 5 s, per app token. */
  rateLimits: { POST: { limit: 50, windowSeconds: 5 }, GET: { limit: 300, windowSeconds: 5 } },
  credentialOf: (c) =>
    c.req.header("x-app-token") ??
    parseBasicAuth(c.req.header("authorization"))?.user ??
    c.req.query("client_id"),
  routes: sumsubRoutes,
  webhooks: sumsubWebhooks,
  // Its own instance of the applicant logic: what the routes and the subject share lives in the store.
  subjects: (deps) => [createApplicants(deps).subject],
});
