import { Hono, type Context } from "hono";
import { errorsAs, type AppEnv } from "../../core/context.js";
import {
  parseAuthScheme,
  parseBasicAuth,
  parseWith,
  readForm,
  readJson,
  sameSecret,
} from "../../core/http.js";
import type { ProviderDeps } from "../../core/provider.js";
import { fail, oauthFail, renderAuthorizePage, renderOAuthError } from "./errors.js";
import { createGrants, KEY_SET, shareTokens } from "./grants.js";
import {
  connectTokenRequestSchema,
  SCOPES,
  scopeString,
  shareTokenRequestSchema,
  type Scope,
  type SumsubFixtures,
} from "./schemas.js";
import { verifySignedRequest } from "./signature.js";

const PREFIX = "/sumsub";

export function sumsubRoutes(deps: ProviderDeps<SumsubFixtures>): Hono<AppEnv> {
  const { fixtures, keys, ids, config } = deps;
  const issuer = (c: Context<AppEnv>) => `${c.get("baseUrl")}${PREFIX}`;
  const grants = createGrants(deps);
  const lenient = config.sumsub.lenient;
  const app = new Hono<AppEnv>();

  // ---- The HMAC-signed API routes -------------------------------------------------------------------------------
  const signedApp = (c: Context<AppEnv>) =>
    verifySignedRequest(c, {
      apps: fixtures.apps,
      verify: config.sumsub.verifySignature,
      windowSeconds: fixtures.signatureWindowSeconds,
      prefix: PREFIX,
    });

  app.post("/resources/snsId/api/connect/token", async (c) => {
    const caller = await signedApp(c);
    if (!caller.idConnectEnabled) throw fail("invalid_client_id", `Invalid clientId: ${caller.clientId}`);
    const body = parseWith(connectTokenRequestSchema, await readJson(c));
    const ns = c.get("ns");

    if (body.grant_type === "authorization_code") {
      const grant = grants.redeemCode(ns, {
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
    const record = grants.useRefreshToken(ns, {
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
  });

  app.post("/resources/accessTokens/sumsubIdShareToken", async (c) => {
    await signedApp(c);
    const body = parseWith(shareTokenRequestSchema, await readJson(c));
    const ns = c.get("ns");
    const grant = grants.accessGrant(ns, body.sumsubIdConnectToken);
    if (!grant.scopes.includes("share")) throw fail("sharing_not_allowed");
    const token = `snd-id-share-${ids.token(64)}`;
    ns.store.put(shareTokens, token, { forClientId: body.forClientId, sub: grant.sub }, body.ttlInSecs);
    return c.json({
      token,
      forClientId: body.forClientId,
      sharingAllowed: grants.userOf(grant.sub).sharingAllowed,
    });
  });

  // ---- The standard OIDC route ----------------------------------------------------------------------------------
  app.get("/.well-known/openid-configuration", (c) => {
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
  });
  app.get("/.well-known/jwks.json", (c) => c.json(keys.jwks(KEY_SET)));

  app.use("/api/snsId/oauth/*", errorsAs(renderOAuthError));

  app.get("/api/snsId/oauth/authorize", (c) => {
    const q = (name: string) => c.req.query(name);
    const client = fixtures.clients.find((cl) => cl.clientId === q("client_id"));
    const redirectUri = q("redirect_uri");
    // Until the redirect URI is known good, errors are a page; after, they go back to the client.
    c.set("renderError", renderAuthorizePage);
    if (!client) throw oauthFail("invalid_client", "Unknown client_id");
    if (!redirectUri || !URL.canParse(redirectUri))
      throw oauthFail("invalid_redirect_uri", "redirect_uri is missing or not a URL");
    if (!lenient && !client.redirectUris.includes(redirectUri)) throw oauthFail("invalid_redirect_uri");

    const back = (params: Record<string, string | undefined>) => {
      const url = new URL(redirectUri);
      for (const [k, v] of Object.entries({ ...params, state: q("state") }))
        if (v !== undefined) url.searchParams.set(k, v);
      return c.redirect(url.toString(), 302);
    };
    const refuse = (error: string, description: string) => back({ error, error_description: description });

    if (q("response_type") !== "code")
      return refuse("unsupported_response_type", "response_type must be code");
    const scopes = scopeString.safeParse(q("scope") ?? "");
    if (!scopes.success)
      return refuse("invalid_scope", `scope must be a space-separated subset of: ${SCOPES.join(" ")}`);
    const challenge = q("code_challenge");
    const method = q("code_challenge_method");
    if (!lenient || challenge !== undefined) {
      if (!challenge) return refuse("invalid_request", "code_challenge is required (PKCE, S256)");
      if (method !== "S256")
        return refuse("invalid_request", "code_challenge_method must be S256; plain is not supported");
    }
    const user = grants.userForHint(q("login_hint"));
    if (!user) return refuse("login_required", "login_hint names no sandbox user");
    const code = grants.issueCode(c.get("ns"), {
      clientId: client.clientId,
      redirectUri,
      codeChallenge: challenge,
      scopes: scopes.data,
      sub: user.sub,
      nonce: q("nonce"),
    });
    return back({ code });
  });

  /** `client_secret_basic` or `client_secret_post`, never both. */
  const authenticateClient = (c: Context<AppEnv>, form: Map<string, string[]>) => {
    const basic = parseBasicAuth(c.req.header("authorization"));
    const postId = form.get("client_id")?.at(-1);
    const postSecret = form.get("client_secret")?.at(-1);
    if (basic && postSecret !== undefined)
      throw oauthFail("invalid_request", "use one client authentication method");
    const id = basic ? decodeURIComponent(basic.user) : postId;
    const secret = basic ? decodeURIComponent(basic.password) : postSecret;
    const client = fixtures.clients.find((cl) => cl.clientId === id);
    if (!client || secret === undefined || !sameSecret(secret, client.clientSecret))
      throw oauthFail("invalid_client");
    return client;
  };

  app.post("/api/snsId/oauth/token", async (c) => {
    const form = await readForm(c);
    const field = (name: string) => form.get(name)?.at(-1);
    const client = authenticateClient(c, form);
    const ns = c.get("ns");
    c.header("Cache-Control", "no-store");
    const grantType = field("grant_type");

    if (grantType === "authorization_code") {
      const code = field("code");
      if (!code) throw oauthFail("invalid_request", "code is required");
      const grant = grants.redeemCode(ns, {
        code,
        clientId: client.clientId,
        verifier: field("code_verifier"),
        redirectUri: field("redirect_uri") ?? "",
      });
      const tokens = await grants.issueTokens(ns, issuer(c), grant, {
        refresh: grant.scopes.includes("offline_access"),
        idToken: grant.scopes.includes("openid"),
      });
      return c.json({ ...tokens, scope: grant.scopes.join(" ") });
    }
    if (grantType === "refresh_token") {
      const token = field("refresh_token");
      if (!token) throw oauthFail("invalid_request", "refresh_token is required");
      const requested = field("scope");
      let scopes: Scope[] | undefined;
      if (requested !== undefined) {
        const parsed = scopeString.safeParse(requested);
        if (!parsed.success) throw oauthFail("invalid_scope", "scope holds an unknown scope");
        scopes = parsed.data;
      }
      const record = grants.useRefreshToken(ns, { token, clientId: client.clientId, scopes, rotate: true });
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
  });

  const userInfo = (c: Context<AppEnv>) => {
    const grant = grants.accessGrant(c.get("ns"), parseAuthScheme(c.req.header("authorization"), "Bearer"));
    return c.json({ sub: grant.sub, ...grants.userClaims(grants.userOf(grant.sub), grant.scopes) });
  };
  app.get("/api/snsId/oauth/userInfo", userInfo);
  app.post("/api/snsId/oauth/userInfo", userInfo);

  return app;
}
