import type { Context } from "hono";
import * as z from "zod";
import type { AppEnv } from "../../core/context.js";
import { parseAuthScheme, parseBasicAuth, sameSecret } from "../../core/http.js";
import { jwksSchema } from "../../core/openapi.js";
import type { ProviderDeps } from "../../core/provider.js";
import { defineRoute, requiredByVendor, type RouteDeclaration } from "../../core/route.js";
import { putListed } from "../../core/store.js";
import { applicantRoutes } from "./applicant-routes.js";
import { createApplicants } from "./applicants.js";
import { authorizeErrors, authorizeFail, fail, oauthErrors, oauthFail, redirectBack } from "./errors.js";
import { createGrants, KEY_SET, shareTokens } from "./grants.js";
import { createLogin, showsLoginPage } from "./login.js";
import {
  connectTokenRequestSchema,
  connectTokenResponseSchema,
  oidcTokenResponseSchema,
  SCOPES,
  scopeString,
  shareTokenRequestSchema,
  shareTokenResponseSchema,
  type Scope,
  type SumsubConfig,
  type SumsubFixtures,
} from "./schemas.js";
import { signedErrors, signedHeaders, verifySignedRequest } from "./signature.js";

const PREFIX = "/sumsub";

export const securitySchemes = {
  sumsubAppToken: {
    type: "apiKey",
    in: "header",
    name: "X-App-Token",
    description: "With X-App-Access-Ts and X-App-Access-Sig",
  },
  sumsubClientBasic: { type: "http", scheme: "basic", description: "client_secret_basic" },
  sumsubBearer: { type: "http", scheme: "bearer", description: "ID Connect access token" },
};

/**
 * The authorize query. Its checks answer as RFC 6749 §4.1.2.1 orders them (a page until the client and redirect URI
 * are known good, then a redirect back with the error), so the required fields are checked by the handler.
 */
const authorizeQuery = z.object({
  client_id: requiredByVendor(z.string().optional()),
  response_type: requiredByVendor(z.string().optional().describe("code")),
  redirect_uri: requiredByVendor(z.string().optional().describe("A registered redirect URI")),
  scope: requiredByVendor(
    z
      .string()
      .optional()
      .describe(`Space-separated, of ${SCOPES.join(" ")}`),
  ),
  state: z.string().optional(),
  code_challenge: requiredByVendor(z.string().optional().describe("PKCE: base64url(SHA-256(verifier))")),
  code_challenge_method: requiredByVendor(z.string().optional().describe("S256")),
  nonce: z.string().optional(),
  login_hint: z.string().optional().describe("A sandbox user's email or sub; the first user without one"),
  prompt: z
    .string()
    .optional()
    .describe(
      "Space-separated: login, consent or select_account show the login page; none never does (login_required " +
        "with sumsub.login interactive); other values are ignored",
    ),
});

/** The token form; which fields a grant needs is checked by the handler, answering RFC 6749's errors. */
const tokenForm = z.object({
  grant_type: z.string().optional().describe("authorization_code or refresh_token"),
  code: z.string().optional(),
  redirect_uri: z.string().optional(),
  code_verifier: z.string().optional(),
  refresh_token: z.string().optional(),
  scope: z.string().optional(),
  client_id: z.string().optional().describe("client_secret_post"),
  client_secret: z.string().optional().describe("client_secret_post"),
});

export function sumsubRoutes(deps: ProviderDeps<SumsubFixtures, SumsubConfig>): RouteDeclaration[] {
  const { fixtures, keys, ids, config } = deps;
  const issuer = (c: Context<AppEnv>) => `${c.get("baseUrl")}${PREFIX}`;
  const grants = createGrants(deps);
  const login = createLogin(deps, grants);
  const { lenient } = config;

  /** The HMAC-signed API routes' caller. */
  const signedApp = (c: Context<AppEnv>) =>
    verifySignedRequest(c, {
      apps: fixtures.apps,
      verify: config.verifySignature,
      windowSeconds: fixtures.signatureWindowSeconds,
      prefix: PREFIX,
    });

  /** The registered client a request's `client_id` names, and its redirect URI if it is one it may use. */
  const clientOf = (clientId: string | undefined, redirectUri: string | undefined) => {
    const client = fixtures.clients.find((cl) => cl.clientId === clientId);
    const usable =
      client !== undefined &&
      redirectUri !== undefined &&
      URL.canParse(redirectUri) &&
      (lenient || client.redirectUris.includes(redirectUri));
    return { client, redirectUri: usable ? redirectUri : undefined };
  };
  const authorizeFormat = authorizeErrors(
    (c) => clientOf(c.req.query("client_id"), c.req.query("redirect_uri")).redirectUri,
  );

  /** `client_secret_basic` or `client_secret_post`, never both. */
  const authenticateClient = (c: Context<AppEnv>, form: z.output<typeof tokenForm>) => {
    const basic = parseBasicAuth(c.req.header("authorization"));
    if (basic && form.client_secret !== undefined)
      throw oauthFail("invalid_request", "use one client authentication method");
    // RFC 6749 §2.3.1: Basic credentials are form-encoded first; a malformed encoding authenticates no one.
    const decode = (text: string) => {
      try {
        return decodeURIComponent(text);
      } catch {
        throw oauthFail("invalid_client");
      }
    };
    const id = basic ? decode(basic.user) : form.client_id;
    const secret = basic ? decode(basic.password) : form.client_secret;
    const client = fixtures.clients.find((cl) => cl.clientId === id);
    if (!client || secret === undefined || !sameSecret(secret, client.clientSecret))
      throw oauthFail("invalid_client");
    return client;
  };

  const userInfo = (method: "get" | "post") =>
    defineRoute({
      method,
      path: "/api/snsId/oauth/userInfo",
      summary: "The claims the granted scopes allow",
      security: ["sumsubBearer"],
      format: oauthErrors,
      responses: { 200: { description: "Claims", schema: z.looseObject({ sub: z.string() }) } },
      errors: { 401: "invalid_token" },
      handler: async (c) => {
        const grant = await grants.accessGrant(
          c.get("ns"),
          parseAuthScheme(c.req.header("authorization"), "Bearer"),
        );
        return c.json({ sub: grant.sub, ...grants.userClaims(grants.userOf(grant), grant.scopes) });
      },
    });

  return [
    // ---- The HMAC-signed API routes -----------------------------------------------------------------------------
    defineRoute({
      method: "post",
      path: "/resources/snsId/api/connect/token",
      summary: "Exchange a code, or refresh, for an ID Connect access token",
      security: ["sumsubAppToken"],
      authorize: async (c) => {
        const caller = await signedApp(c);
        if (!caller.idConnectEnabled) throw fail("invalid_client_id", `Invalid clientId: ${caller.clientId}`);
        return caller;
      },
      request: { headers: signedHeaders, json: { schema: connectTokenRequestSchema, required: true } },
      responses: {
        200: {
          description: "refresh_token only with offline_access on a code exchange; id_token only with openid",
          schema: connectTokenResponseSchema,
        },
      },
      errors: {
        400: "Malformed body, or a refresh widening the scopes",
        401: `${signedErrors}; Invalid code; Invalid refresh token`,
        404: "Invalid clientId: ID Connect is not enabled for the app's client",
      },
      handler: async (c, { auth: caller, json: body }) => {
        const ns = c.get("ns");
        if (body.grant_type === "authorization_code") {
          const grant = await grants.redeemCode(ns, {
            code: body.code,
            clientId: caller.clientId,
            verifier: body.codeVerifier,
          });
          return c.json(
            await grants.issueTokens(ns, issuer(c), grant, {
              refresh: grant.scopes.includes("offline_access"),
              idToken: grant.scopes.includes("openid"),
            }),
          );
        }
        // The vendor's refresh answer carries no new refresh token, so the one presented stays valid.
        const record = await grants.useRefreshToken(ns, {
          token: body.refresh_token,
          clientId: caller.clientId,
          verifier: body.codeVerifier,
          scopes: body.scope,
          rotate: false,
        });
        const { access_token, token_type, expires_in } = await grants.issueTokens(
          ns,
          issuer(c),
          { ...record, scopes: body.scope },
          { refresh: false, idToken: false },
        );
        return c.json({ access_token, token_type, expires_in });
      },
    }),
    defineRoute({
      method: "post",
      path: "/resources/accessTokens/sumsubIdShareToken",
      summary: "Issue a Sumsub ID share token",
      security: ["sumsubAppToken"],
      authorize: signedApp,
      request: { headers: signedHeaders, json: { schema: shareTokenRequestSchema, required: true } },
      responses: { 200: { description: "The share token", schema: shareTokenResponseSchema } },
      errors: {
        400: "A missing field",
        401: `${signedErrors}; unknown or expired connect token`,
        403: "The connect token lacks the share scope",
      },
      handler: async (c, { json: body }) => {
        const ns = c.get("ns");
        const grant = await grants.accessGrant(ns, body.sumsubIdConnectToken);
        if (!grant.scopes.includes("share")) throw fail("sharing_not_allowed");
        const token = `snd-id-share-${ids.token(64)}`;
        await putListed(
          ns.store,
          shareTokens,
          token,
          {
            forClientId: body.forClientId,
            sub: grant.sub,
            ...(grant.identity === undefined ? {} : { identity: grant.identity }),
          },
          body.ttlInSecs,
        );
        return c.json({
          token,
          forClientId: body.forClientId,
          sharingAllowed: grants.userOf(grant).sharingAllowed,
        });
      },
    }),

    // ---- After the token: applicants, their review, WebSDK access tokens, ID Connect reuse -------------------------
    ...applicantRoutes(deps, createApplicants(deps), signedApp),

    // ---- The standard OIDC routes -------------------------------------------------------------------------------
    defineRoute({
      method: "get",
      path: "/.well-known/openid-configuration",
      summary: "OIDC discovery",
      responses: {
        200: {
          description: "Provider metadata",
          schema: z.looseObject({ issuer: z.string(), jwks_uri: z.string() }),
        },
      },
      handler: (c) => {
        const base = issuer(c);
        return c.json({
          issuer: base,
          authorization_endpoint: `${base}/api/snsId/oauth/authorize`,
          token_endpoint: `${base}/api/snsId/oauth/token`,
          userinfo_endpoint: `${base}/api/snsId/oauth/userInfo`,
          jwks_uri: `${base}/.well-known/jwks.json`,
          scopes_supported: SCOPES,
          response_types_supported: ["code"],
          response_modes_supported: ["query"],
          grant_types_supported: ["authorization_code", "refresh_token"],
          code_challenge_methods_supported: ["S256"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
          token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
          claims_supported: [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "nonce",
            "email",
            "given_name",
            "family_name",
            "name",
            "created_at",
          ],
        });
      },
    }),
    defineRoute({
      method: "get",
      path: "/.well-known/jwks.json",
      summary: "id_token signing keys",
      responses: { 200: { description: "JWKS", schema: jwksSchema } },
      handler: (c) => c.json(keys.jwks(KEY_SET)),
    }),
    defineRoute({
      method: "get",
      path: "/api/snsId/oauth/authorize",
      summary:
        "Authorize: auto-consent, or the login page (sumsub.login interactive, prompt=login or consent)",
      // Until the redirect URI is known good, errors are a page; after, they go back to the client.
      format: authorizeFormat,
      request: { query: authorizeQuery },
      responses: {
        200: {
          description:
            "The login page: fixture users to pick, an identity to type, the scopes, Allow and Deny",
          schema: z.string(),
          contentType: "text/html",
        },
        302: {
          description: "To redirect_uri with code and state, or with error, error_description and state",
          headers: { Location: "The redirect URI with its answer" },
        },
      },
      errors: { 400: "Unknown client or redirect URI (a page)" },
      handler: async (c, { query: q }) => {
        const { client, redirectUri } = clientOf(q.client_id, q.redirect_uri);
        if (!client) throw authorizeFail("invalid_client");
        if (!q.redirect_uri || !URL.canParse(q.redirect_uri))
          throw authorizeFail("invalid_redirect_uri", "redirect_uri is missing or not a URL");
        if (redirectUri === undefined) throw authorizeFail("invalid_redirect_uri");
        // From here on, errors go back to the redirect URI (the format knows it is good).
        if (q.response_type !== "code") throw authorizeFail("unsupported_response_type");
        const scopes = scopeString.safeParse(q.scope ?? "");
        if (!scopes.success)
          throw authorizeFail(
            "invalid_scope",
            `scope must be a space-separated subset of: ${SCOPES.join(" ")}`,
          );
        const challenge = q.code_challenge;
        if (!lenient || challenge !== undefined) {
          if (!challenge) throw authorizeFail("invalid_request", "code_challenge is required (PKCE, S256)");
          if (q.code_challenge_method !== "S256")
            throw authorizeFail(
              "invalid_request",
              "code_challenge_method must be S256; plain is not supported",
            );
        }
        if (showsLoginPage(config, q.prompt))
          return login.show(
            c,
            {
              clientId: client.clientId,
              redirectUri,
              scopes: scopes.data,
              state: q.state,
              nonce: q.nonce,
              codeChallenge: challenge,
            },
            q.login_hint,
          );
        const user = grants.userForHint(q.login_hint);
        if (!user) throw authorizeFail("login_required", "login_hint names no sandbox user");
        const code = await grants.issueCode(c.get("ns"), {
          clientId: client.clientId,
          redirectUri,
          codeChallenge: challenge,
          scopes: scopes.data,
          sub: user.sub,
          nonce: q.nonce,
        });
        return redirectBack(c, redirectUri, { code });
      },
    }),
    defineRoute({
      method: "post",
      path: "/api/snsId/oauth/token",
      summary: "Token endpoint (client_secret_basic or client_secret_post)",
      security: ["sumsubClientBasic"],
      format: oauthErrors,
      request: { form: { schema: tokenForm, required: true } },
      responses: { 200: { description: "Tokens; refresh tokens rotate", schema: oidcTokenResponseSchema } },
      errors: {
        400: "invalid_grant, invalid_request, invalid_scope or unsupported_grant_type",
        401: "invalid_client",
      },
      handler: async (c, { form }) => {
        const client = authenticateClient(c, form);
        const ns = c.get("ns");
        c.header("Cache-Control", "no-store");

        if (form.grant_type === "authorization_code") {
          if (!form.code) throw oauthFail("invalid_request", "code is required");
          const grant = await grants.redeemCode(ns, {
            code: form.code,
            clientId: client.clientId,
            verifier: form.code_verifier,
            redirectUri: form.redirect_uri ?? "",
          });
          const tokens = await grants.issueTokens(ns, issuer(c), grant, {
            refresh: grant.scopes.includes("offline_access"),
            idToken: grant.scopes.includes("openid"),
          });
          return c.json({ ...tokens, scope: grant.scopes.join(" ") });
        }
        if (form.grant_type === "refresh_token") {
          if (!form.refresh_token) throw oauthFail("invalid_request", "refresh_token is required");
          let scopes: Scope[] | undefined;
          if (form.scope !== undefined) {
            const parsed = scopeString.safeParse(form.scope);
            if (!parsed.success) throw oauthFail("invalid_scope", "scope holds an unknown scope");
            scopes = parsed.data;
          }
          const record = await grants.useRefreshToken(ns, {
            token: form.refresh_token,
            clientId: client.clientId,
            scopes,
            rotate: true,
          });
          const granted = scopes ?? record.scopes;
          const tokens = await grants.issueTokens(
            ns,
            issuer(c),
            { ...record, scopes: granted },
            { refresh: true, idToken: granted.includes("openid") },
          );
          return c.json({ ...tokens, scope: granted.join(" ") });
        }
        throw oauthFail("unsupported_grant_type");
      },
    }),
    login.route,
    userInfo("get"),
    userInfo("post"),
  ];
}
