import { beforeEach, describe, expect, it } from "vitest";
import { oauthErrors } from "../../src/providers/sumsub/errors.js";
import { oidcTokenResponseSchema } from "../../src/providers/sumsub/schemas.js";

import { BASE, basic, form, T0, testSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { authorize, CLIENT_ID, CLIENT_SECRET, pkce, REDIRECT_URI, verifyIdToken } from "../helpers/sumsub.js";
import type * as z from "zod";

const oauthErrorBodySchema = oauthErrors.schema as z.ZodObject;

const ISSUER = `${BASE}/sumsub`;
const AUTHORIZE = "/sumsub/api/snsId/oauth/authorize";
const TOKEN = "/sumsub/api/snsId/oauth/token";
const USERINFO = "/sumsub/api/snsId/oauth/userInfo";
const AUTH = { authorization: basic(CLIENT_ID, CLIENT_SECRET) };

let sandbox: TestSandbox;
beforeEach(async () => {
  sandbox = await testSandbox();
});

const authorizeQuery = (overrides: Record<string, string | undefined> = {}) => {
  const params: Record<string, string | undefined> = {
    client_id: CLIENT_ID,
    response_type: "code",
    redirect_uri: REDIRECT_URI,
    scope: "openid email",
    state: "xyz",
    code_challenge: pkce().challenge,
    code_challenge_method: "S256",
    ...overrides,
  };
  return new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
};

async function codeTokens(
  scope: string,
  fields: Record<string, string> = {},
  headers: Record<string, string> = AUTH,
) {
  const { verifier, challenge } = pkce();
  const code = await authorize(sandbox, { scope, challenge });
  return sandbox.request(
    TOKEN,
    form(
      {
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
        ...fields,
      },
      headers,
    ),
  );
}

async function oauthError(res: Response) {
  return oauthErrorBodySchema.strict().parse(await res.json());
}

describe("Sumsub OIDC discovery", () => {
  it("publishes the real endpoints under the issuer and the JWKS", async () => {
    const res = await sandbox.request("/sumsub/.well-known/openid-configuration");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/api/snsId/oauth/authorize`,
      token_endpoint: `${ISSUER}/api/snsId/oauth/token`,
      userinfo_endpoint: `${ISSUER}/api/snsId/oauth/userInfo`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      response_types_supported: ["code"],
      grant_types_supported: ["authorization_code", "refresh_token"],
      code_challenge_methods_supported: ["S256"],
      id_token_signing_alg_values_supported: ["RS256"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    });
    const jwks = await (await sandbox.request("/sumsub/.well-known/jwks.json")).json();
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual([sandbox.deps.keys.kid("sumsub")]);
  });
});

describe("Sumsub GET /api/snsId/oauth/authorize", () => {
  it("redirects to the registered URI with a code and the state", async () => {
    const res = await sandbox.request(`${AUTHORIZE}?${authorizeQuery()}`);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
    expect([...location.searchParams.keys()]).toEqual(["code", "state"]);
    expect(location.searchParams.get("state")).toBe("xyz");
  });

  it.each([
    ["an unknown client", { client_id: "nobody" }, "invalid_client"],
    ["an unregistered redirect URI", { redirect_uri: "http://localhost:3000/other" }, "invalid_redirect_uri"],
    ["a missing redirect URI", { redirect_uri: undefined }, "invalid_redirect_uri"],
  ])("answers a 400 page, not a redirect, for %s", async (_, overrides, error) => {
    const res = await sandbox.request(`${AUTHORIZE}?${authorizeQuery(overrides)}`);
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await res.text()).toContain(`<p id="error">${error}</p>`);
  });

  it.each([
    ["response_type token", { response_type: "token" }, "unsupported_response_type"],
    ["plain PKCE", { code_challenge_method: "plain" }, "invalid_request"],
    ["no code_challenge", { code_challenge: undefined }, "invalid_request"],
    ["an unknown scope", { scope: "openid admin" }, "invalid_scope"],
    ["an empty scope", { scope: "" }, "invalid_scope"],
    ["an unknown login_hint", { login_hint: "nobody@example.test" }, "login_required"],
  ])("sends %s back to the redirect URI as an error", async (_, overrides, error) => {
    const res = await sandbox.request(`${AUTHORIZE}?${authorizeQuery(overrides)}`);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(location.searchParams.get("error")).toBe(error);
    expect(location.searchParams.get("error_description")).toBeTruthy();
    expect(location.searchParams.get("state")).toBe("xyz");
    expect(location.searchParams.get("code")).toBeNull();
  });

  it("in lenient mode takes any redirect URI and no PKCE", async () => {
    const lenient = await testSandbox({ sumsub: { lenient: true } });
    const query = authorizeQuery({
      redirect_uri: "http://localhost:5173/cb",
      code_challenge: undefined,
      code_challenge_method: undefined,
    });
    const res = await lenient.request(`${AUTHORIZE}?${query}`);
    expect(res.status).toBe(302);
    const code = new URL(res.headers.get("location")!).searchParams.get("code")!;
    const tokens = await lenient.request(
      TOKEN,
      form({ grant_type: "authorization_code", code, redirect_uri: "x" }, AUTH),
    );
    expect(tokens.status).toBe(200);
  });
});

describe("Sumsub POST /api/snsId/oauth/token", () => {
  it("exchanges a code with client_secret_basic: tokens, scope and an id_token verified through the JWKS", async () => {
    const res = await codeTokens("openid email offline_access");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = oidcTokenResponseSchema.strict().parse(await res.json());
    expect(body).toMatchObject({
      token_type: "Bearer",
      expires_in: 86400,
      scope: "openid email offline_access",
    });
    const { payload } = await verifyIdToken(sandbox, body.id_token!);
    expect(payload).toMatchObject({ sub: "sbx-user-0001", email: "jane.doe@example.test", iat: T0 / 1000 });
  });

  it("accepts client_secret_post", async () => {
    const res = await codeTokens("openid", { client_id: CLIENT_ID, client_secret: CLIENT_SECRET }, {});
    expect(res.status).toBe(200);
  });

  it.each([
    ["no client authentication", {}, {}],
    ["a wrong secret", {}, { authorization: basic(CLIENT_ID, "wrong") }],
    ["a wrong posted secret", { client_id: CLIENT_ID, client_secret: "wrong" }, {}],
    ["Basic credentials with a malformed encoding", {}, { authorization: basic("%zz", "%") }],
  ])("401 invalid_client for %s", async (_, fields, headers) => {
    const res = await codeTokens("openid", fields, headers);
    expect(res.status).toBe(401);
    expect((await oauthError(res)).error).toBe("invalid_client");
  });

  it("asks for Basic credentials when Basic ones failed", async () => {
    const res = await codeTokens("openid", {}, { authorization: basic(CLIENT_ID, "wrong") });
    expect(res.headers.get("www-authenticate")).toBe('Basic realm="sumsub"');
  });

  it("400 invalid_request when both authentication methods are used", async () => {
    const res = await codeTokens("openid", { client_secret: CLIENT_SECRET });
    expect(res.status).toBe(400);
    expect((await oauthError(res)).error).toBe("invalid_request");
  });

  it.each([
    ["a wrong code_verifier", { code_verifier: "wrong" }],
    ["a different redirect_uri", { redirect_uri: "http://localhost:3000/other" }],
    ["no code_verifier", { code_verifier: "" }],
  ])("400 invalid_grant for %s", async (_, fields) => {
    const res = await codeTokens("openid", fields);
    expect(res.status).toBe(400);
    expect((await oauthError(res)).error).toBe("invalid_grant");
  });

  it("400 invalid_grant for a reused code; unsupported_grant_type for another grant", async () => {
    const { verifier, challenge } = pkce();
    const code = await authorize(sandbox, { scope: "openid", challenge });
    const fields = {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    };
    expect((await sandbox.request(TOKEN, form(fields, AUTH))).status).toBe(200);
    const again = await sandbox.request(TOKEN, form(fields, AUTH));
    expect(again.status).toBe(400);
    expect((await oauthError(again)).error).toBe("invalid_grant");
    const password = await sandbox.request(TOKEN, form({ grant_type: "password" }, AUTH));
    expect(password.status).toBe(400);
    expect((await oauthError(password)).error).toBe("unsupported_grant_type");
  });

  it("rotates refresh tokens; presenting a used one revokes the whole family", async () => {
    const first = await (await codeTokens("openid email offline_access")).json();
    const refresh = (token: string, scope?: string) =>
      sandbox.request(
        TOKEN,
        form({ grant_type: "refresh_token", refresh_token: token, ...(scope ? { scope } : {}) }, AUTH),
      );

    const second = await refresh(first.refresh_token, "openid email");
    expect(second.status).toBe(200);
    const rotated = oidcTokenResponseSchema.parse(await second.json());
    expect(rotated.refresh_token).not.toBe(first.refresh_token);
    expect(rotated.scope).toBe("openid email");
    expect(rotated.id_token).toBeDefined();

    const reuse = await refresh(first.refresh_token);
    expect(reuse.status).toBe(400);
    expect((await oauthError(reuse)).error).toBe("invalid_grant");
    // The family is revoked: the rotated refresh token and every access token from that code are dead.
    expect((await refresh(rotated.refresh_token!)).status).toBe(400);
    const info = await sandbox.request(USERINFO, {
      headers: { authorization: `Bearer ${rotated.access_token}` },
    });
    expect(info.status).toBe(401);
  });

  it("refuses a refresh that widens the scopes", async () => {
    const first = await (await codeTokens("openid offline_access")).json();
    const res = await sandbox.request(
      TOKEN,
      form({ grant_type: "refresh_token", refresh_token: first.refresh_token, scope: "openid email" }, AUTH),
    );
    expect(res.status).toBe(400);
    expect((await oauthError(res)).error).toBe("invalid_scope");
  });

  it("gives exactly one success among 50 concurrent uses of one refresh token, and revokes the family", async () => {
    const first = await (await codeTokens("openid offline_access")).json();
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        sandbox.request(
          TOKEN,
          form({ grant_type: "refresh_token", refresh_token: first.refresh_token }, AUTH),
        ),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 400)).toHaveLength(49);
    const info = await sandbox.request(USERINFO, {
      headers: { authorization: `Bearer ${first.access_token}` },
    });
    expect(info.status).toBe(401);
  });
});

describe("Sumsub GET /api/snsId/oauth/userInfo", () => {
  it("returns the claims the granted scopes allow, until the token expires on the clock", async () => {
    const { access_token } = await (await codeTokens("openid name profile")).json();
    const ask = () => sandbox.request(USERINFO, { headers: { authorization: `Bearer ${access_token}` } });
    const res = await ask();
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      sub: "sbx-user-0001",
      given_name: "Jane",
      family_name: "Doe",
      name: "Jane Doe",
      created_at: Date.parse("2025-03-14T09:26:53Z") / 1000,
    });
    sandbox.clock.advance(86399);
    expect((await ask()).status).toBe(200);
    sandbox.clock.advance(1);
    const expired = await ask();
    expect(expired.status).toBe(401);
    expect(expired.headers.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    expect((await oauthError(expired)).error).toBe("invalid_token");
  });

  it("401 for an unknown token or none", async () => {
    expect((await sandbox.request(USERINFO, { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    expect((await sandbox.request(USERINFO)).status).toBe(401);
  });
});
