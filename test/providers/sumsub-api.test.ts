import { decodeJwt } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { apiErrors } from "../../src/providers/sumsub/errors.js";
import { connectTokenResponseSchema } from "../../src/providers/sumsub/schemas.js";

import { BASE, T0, testSandbox, type TestSandbox } from "../helpers/sandbox.js";
import {
  APP_TOKEN,
  authorize,
  CLIENT_ID,
  pkce,
  signedHeaders,
  signedPost,
  verifyIdToken,
} from "../helpers/sumsub.js";
import type * as z from "zod";

const errorBodySchema = apiErrors.schema as z.ZodObject;

const TOKEN = "/resources/snsId/api/connect/token";
const SHARE = "/resources/accessTokens/sumsubIdShareToken";

let sandbox: TestSandbox;
beforeEach(async () => {
  sandbox = await testSandbox();
});

/** The error body, checked against Sumsub's schema, without its random correlationId. */
async function sumsubError(res: Response): Promise<Record<string, unknown>> {
  const body = errorBodySchema.strict().parse(await res.json());
  return Object.fromEntries(Object.entries(body).filter(([key]) => key !== "correlationId"));
}

async function exchange(scope?: string, options: { nonce?: string; loginHint?: string } = {}) {
  const { verifier, challenge } = pkce();
  const code = await authorize(sandbox, { scope, challenge, ...options });
  const res = await signedPost(sandbox, TOKEN, {
    grant_type: "authorization_code",
    code,
    codeVerifier: verifier,
  });
  return { res, code, verifier };
}

describe("Sumsub signed requests", () => {
  it("accepts a signature over the path without the /sumsub prefix, and with it", async () => {
    const { verifier, challenge } = pkce();
    const code = await authorize(sandbox, { challenge, scope: "share" });
    const body = { grant_type: "authorization_code", code, codeVerifier: verifier };
    const res = await signedPost(sandbox, TOKEN, body, { signedPath: `/sumsub${TOKEN}` });
    expect(res.status).toBe(200);
    const again = await exchange("share");
    expect(again.res.status).toBe(200);
  });

  it("refuses a bad signature with the vendor's exact body", async () => {
    const res = await signedPost(
      sandbox,
      TOKEN,
      { grant_type: "authorization_code", code: "x", codeVerifier: "y" },
      {
        secret: "wrong-secret",
      },
    );
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body).toEqual({
      description: "Request signature mismatch",
      code: 401,
      correlationId: expect.stringMatching(/^[0-9a-f]{32}$/),
      errorCode: 4003,
      errorName: "app-token-signature mismatch",
    });
  });

  it("refuses a body changed after signing", async () => {
    const headers = signedHeaders(sandbox, "POST", TOKEN, '{"grant_type":"authorization_code"}');
    const res = await sandbox.request(`/sumsub${TOKEN}`, {
      method: "POST",
      headers,
      body: '{"grant_type":"refresh_token"}',
    });
    expect(res.status).toBe(401);
    expect((await res.json()).errorCode).toBe(4003);
  });

  it.each([
    ["61 s behind", -61],
    ["61 s ahead", 61],
  ])("refuses a timestamp %s the sandbox clock with 401", async (_, delta) => {
    const res = await signedPost(sandbox, TOKEN, {}, { ts: T0 / 1000 + delta });
    expect(res.status).toBe(401);
    expect(await sumsubError(res)).toEqual({
      code: 401,
      description: `Request timestamp is missing or more than 60 s from the sandbox clock, which reads ${String(T0 / 1000)} (GET /__admin/clock)`,
    });
  });

  it("accepts a timestamp 60 s off, and follows the sandbox clock, not the wall clock", async () => {
    const { verifier, challenge } = pkce();
    const code = await authorize(sandbox, { challenge, scope: "share" });
    const res = await signedPost(
      sandbox,
      TOKEN,
      { grant_type: "authorization_code", code, codeVerifier: verifier },
      {
        ts: T0 / 1000 - 60,
      },
    );
    expect(res.status).toBe(200);
  });

  it("refuses an unknown or missing app token with 401", async () => {
    const res = await signedPost(sandbox, TOKEN, {}, { appToken: "sbx:nobody" });
    expect(res.status).toBe(401);
    expect(await sumsubError(res)).toEqual({ code: 401, description: "App token is missing or unknown" });
    const bare = await sandbox.request(`/sumsub${TOKEN}`, { method: "POST", body: "{}" });
    expect(bare.status).toBe(401);
  });

  it("skips signature checks when the config turns them off", async () => {
    const loose = await testSandbox({ sumsub: { verifySignature: false } });
    const { verifier, challenge } = pkce();
    const code = await authorize(loose, { challenge, scope: "share" });
    const res = await loose.request(`/sumsub${TOKEN}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ grant_type: "authorization_code", code, codeVerifier: verifier }),
    });
    expect(res.status).toBe(200);
  });
});

describe("Sumsub POST /resources/snsId/api/connect/token, authorization_code", () => {
  it("answers the vendor's fields with openid and offline_access: refresh_token and a verifiable id_token", async () => {
    const { res } = await exchange("openid profile email name share offline_access", { nonce: "n-1" });
    expect(res.status).toBe(200);
    const body = connectTokenResponseSchema.strict().parse(await res.json());
    expect(Object.keys(body)).toEqual([
      "access_token",
      "refresh_token",
      "token_type",
      "expires_in",
      "id_token",
    ]);
    expect(body.access_token).toMatch(/^snd-id-con-a-[A-Za-z0-9_-]{64}$/);
    expect(body.refresh_token).toMatch(/^snd-id-con-r-[A-Za-z0-9_-]{64}$/);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 86400 });

    const { payload, protectedHeader } = await verifyIdToken(sandbox, body.id_token!);
    expect(protectedHeader).toEqual({ kid: sandbox.deps.keys.kid("sumsub"), alg: "RS256" });
    expect(payload).toEqual({
      iss: `${BASE}/sumsub`,
      sub: "sbx-user-0001",
      aud: CLIENT_ID,
      exp: T0 / 1000 + 86400,
      iat: T0 / 1000,
      nonce: "n-1",
      email: "jane.doe@example.test",
      given_name: "Jane",
      family_name: "Doe",
      name: "Jane Doe",
      created_at: Date.parse("2025-03-14T09:26:53Z") / 1000,
    });
  });

  it.each([
    ["openid", { iss: `${BASE}/sumsub`, sub: "sbx-user-0001" }, ["email", "name", "created_at"]],
    ["openid email", { email: "jane.doe@example.test" }, ["given_name", "created_at"]],
    ["openid name", { given_name: "Jane", family_name: "Doe", name: "Jane Doe" }, ["email", "created_at"]],
    ["openid profile", { created_at: Date.parse("2025-03-14T09:26:53Z") / 1000 }, ["email", "name"]],
  ])("id_token for scope %s carries only the claims it allows", async (scope, present, absent) => {
    const body = await (await exchange(scope)).res.json();
    const claims = decodeJwt(body.id_token);
    expect(claims).toMatchObject(present);
    for (const claim of absent) expect(claims).not.toHaveProperty(claim);
    expect(claims).not.toHaveProperty("nonce");
  });

  it("omits refresh_token without offline_access and id_token without openid", async () => {
    const body = await (await exchange("share email")).res.json();
    expect(Object.keys(body)).toEqual(["access_token", "token_type", "expires_in"]);
  });

  it("picks the fixture user named by login_hint", async () => {
    const body = await (
      await exchange("openid email", { loginHint: "max.mustermann@example.test" })
    ).res.json();
    expect(decodeJwt(body.id_token)).toMatchObject({
      sub: "sbx-user-0002",
      email: "max.mustermann@example.test",
    });
  });

  const invalidCode = { code: 401, description: "Invalid code" };

  it("refuses a used code with 401 Invalid code, and revokes what the first exchange gave", async () => {
    const { res, code, verifier } = await exchange("share offline_access");
    const first = await res.json();
    const again = await signedPost(sandbox, TOKEN, {
      grant_type: "authorization_code",
      code,
      codeVerifier: verifier,
    });
    expect(again.status).toBe(401);
    expect(await sumsubError(again)).toEqual(invalidCode);
    const share = await signedPost(sandbox, SHARE, {
      sumsubIdConnectToken: first.access_token,
      forClientId: "partner",
    });
    expect(share.status).toBe(401);
  });

  it("refuses an unknown code, a PKCE mismatch and an expired code with 401 Invalid code", async () => {
    const unknown = await signedPost(sandbox, TOKEN, {
      grant_type: "authorization_code",
      code: "nope",
      codeVerifier: "v",
    });
    expect(await sumsubError(unknown)).toEqual(invalidCode);

    const code = await authorize(sandbox, { scope: "share" });
    const mismatch = await signedPost(sandbox, TOKEN, {
      grant_type: "authorization_code",
      code,
      codeVerifier: "not-it",
    });
    expect(mismatch.status).toBe(401);
    expect(await sumsubError(mismatch)).toEqual(invalidCode);

    const { verifier, challenge } = pkce();
    const late = await authorize(sandbox, { challenge, scope: "share" });
    sandbox.clock.advance(300);
    const expired = await signedPost(sandbox, TOKEN, {
      grant_type: "authorization_code",
      code: late,
      codeVerifier: verifier,
    });
    expect(expired.status).toBe(401);
    expect(await sumsubError(expired)).toEqual(invalidCode);
  });

  it("answers 404 Invalid clientId for an app whose client has ID Connect disabled", async () => {
    const res = await signedPost(
      sandbox,
      TOKEN,
      { grant_type: "authorization_code", code: "c", codeVerifier: "v" },
      {
        appToken: "sbx:disabled-app-token",
      },
    );
    expect(res.status).toBe(404);
    expect(await sumsubError(res)).toEqual({
      code: 404,
      description: "Invalid clientId: no-idconnect-client",
    });
  });

  it("exchanges one code exactly once among 50 concurrent requests", async () => {
    const { verifier, challenge } = pkce();
    const code = await authorize(sandbox, { challenge, scope: "openid share" });
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        signedPost(sandbox, TOKEN, { grant_type: "authorization_code", code, codeVerifier: verifier }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(49);
  });

  it("exchanges a code exactly once, and treats every other exchange as a reuse, behind a store whose calls take a turn of the event loop", async () => {
    // As a network store's would: each call resolves after other requests have run.
    const store = sandbox.deps.namespaces.default.store;
    for (const op of ["get", "put", "take", "replace", "delete"] as const) {
      const real = store[op].bind(store) as (...args: unknown[]) => Promise<unknown>;
      Object.assign(store, {
        [op]: async (...args: unknown[]) => {
          await new Promise((next) => setImmediate(next));
          return real(...args);
        },
      });
    }
    const { verifier, challenge } = pkce();
    const code = await authorize(sandbox, { challenge, scope: "openid share" });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        signedPost(sandbox, TOKEN, { grant_type: "authorization_code", code, codeVerifier: verifier }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(19);
    // The reuses revoked what the one exchange gave.
    const { access_token } = await ok[0]!.json();
    const share = await signedPost(sandbox, SHARE, { sumsubIdConnectToken: access_token, forClientId: "p" });
    expect(share.status).toBe(401);
  });

  it.each([
    ["malformed JSON", "{", "body is not valid JSON"],
    ["no grant_type", { code: "c" }, "grant_type must be authorization_code or refresh_token"],
    [
      "an unknown grant_type",
      { grant_type: "password" },
      "grant_type must be authorization_code or refresh_token",
    ],
    ["no code", { grant_type: "authorization_code", codeVerifier: "v" }, "code is required"],
    ["no codeVerifier", { grant_type: "authorization_code", code: "c" }, "codeVerifier is required"],
    [
      "an unknown scope",
      { grant_type: "refresh_token", refresh_token: "r", codeVerifier: "v", scope: "admin" },
      "scope.0 must be one of openid, profile, email, name, share, offline_access",
    ],
  ])("400 in Sumsub's shape for %s", async (_, body, description) => {
    const res = await signedPost(sandbox, TOKEN, body);
    expect(res.status).toBe(400);
    expect(await sumsubError(res)).toEqual({ code: 400, description });
  });
});

describe("Sumsub POST /resources/snsId/api/connect/token, refresh_token", () => {
  async function withRefresh(scope = "openid share name offline_access") {
    const { res, verifier } = await exchange(scope);
    const body = await res.json();
    return { refreshToken: body.refresh_token as string, verifier };
  }

  it("answers access_token, token_type and expires_in only, and the refresh token stays usable", async () => {
    const { refreshToken, verifier } = await withRefresh();
    for (let i = 0; i < 2; i++) {
      const res = await signedPost(sandbox, TOKEN, {
        grant_type: "refresh_token",
        refresh_token: refreshToken,
        codeVerifier: verifier,
        scope: "share name",
      });
      expect(res.status).toBe(200);
      const body = connectTokenResponseSchema.strict().parse(await res.json());
      expect(Object.keys(body)).toEqual(["access_token", "token_type", "expires_in"]);
    }
  });

  it("refuses a refresh that widens the granted scopes", async () => {
    const { refreshToken, verifier } = await withRefresh("share offline_access");
    const res = await signedPost(sandbox, TOKEN, {
      grant_type: "refresh_token",
      refresh_token: refreshToken,
      codeVerifier: verifier,
      scope: "share email",
    });
    expect(res.status).toBe(400);
    expect(await sumsubError(res)).toEqual({
      code: 400,
      description: "Requested scope exceeds the granted scope: email",
    });
  });

  it("refuses an unknown refresh token and a wrong codeVerifier with 401", async () => {
    const { refreshToken } = await withRefresh();
    for (const body of [
      { refresh_token: "snd-id-con-r-unknown", codeVerifier: "v" },
      { refresh_token: refreshToken, codeVerifier: "wrong" },
    ]) {
      const res = await signedPost(sandbox, TOKEN, { grant_type: "refresh_token", scope: "share", ...body });
      expect(res.status).toBe(401);
      expect(await sumsubError(res)).toEqual({ code: 401, description: "Invalid refresh token" });
    }
  });
});

describe("Sumsub POST /resources/accessTokens/sumsubIdShareToken", () => {
  async function connectToken(scope = "share", loginHint?: string) {
    return ((await (await exchange(scope, { loginHint })).res.json()) as { access_token: string })
      .access_token;
  }

  it("issues a share token for a connect token holding the share scope", async () => {
    const token = await connectToken();
    const res = await signedPost(sandbox, SHARE, {
      sumsubIdConnectToken: token,
      forClientId: "partner-client",
      ttlInSecs: 600,
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body)).toEqual(["token", "forClientId", "sharingAllowed"]);
    expect(body).toMatchObject({ forClientId: "partner-client", sharingAllowed: true });
    const entry = (await sandbox.deps.namespaces.default.store.list()).find((e) => e.id === body.token);
    expect(entry).toMatchObject({ kind: "sumsub.share", expiresAt: T0 + 600_000 });
  });

  it("defaults ttlInSecs to 1800 and reports the user's sharing consent", async () => {
    const token = await connectToken("share", "sbx-user-0002");
    const body = await (
      await signedPost(sandbox, SHARE, { sumsubIdConnectToken: token, forClientId: "p" })
    ).json();
    expect(body.sharingAllowed).toBe(false);
    const entry = (await sandbox.deps.namespaces.default.store.list()).find((e) => e.id === body.token);
    expect(entry?.expiresAt).toBe(T0 + 1_800_000);
  });

  it.each([
    [{ forClientId: "p" }, "sumsubIdConnectToken is required"],
    [{ sumsubIdConnectToken: "t" }, "forClientId is required"],
    [{ sumsubIdConnectToken: "t", forClientId: "p", ttlInSecs: 0 }, "ttlInSecs must be at least 1"],
  ])("400 for %j", async (body, description) => {
    const res = await signedPost(sandbox, SHARE, body);
    expect(res.status).toBe(400);
    expect(await sumsubError(res)).toEqual({ code: 400, description });
  });

  it("401 for an unknown or expired connect token; 403 without the share scope", async () => {
    const unknown = await signedPost(sandbox, SHARE, {
      sumsubIdConnectToken: "snd-id-con-a-x",
      forClientId: "p",
    });
    expect(unknown.status).toBe(401);
    expect(await sumsubError(unknown)).toEqual({ code: 401, description: "Invalid or expired token" });

    const noShare = await signedPost(sandbox, SHARE, {
      sumsubIdConnectToken: await connectToken("email"),
      forClientId: "p",
    });
    expect(noShare.status).toBe(403);

    const token = await connectToken();
    sandbox.clock.advance(86400);
    const expired = await signedPost(sandbox, SHARE, { sumsubIdConnectToken: token, forClientId: "p" });
    expect(expired.status).toBe(401);
  });

  it("signs with the app token's client regardless of header case", async () => {
    const token = await connectToken();
    const text = JSON.stringify({ sumsubIdConnectToken: token, forClientId: "p" });
    const headers = signedHeaders(sandbox, "POST", SHARE, text);
    const res = await sandbox.request(`/sumsub${SHARE}`, {
      method: "POST",
      headers: {
        "X-App-Token": APP_TOKEN,
        "X-App-Access-Ts": headers["x-app-access-ts"]!,
        "X-App-Access-Sig": headers["x-app-access-sig"]!.toUpperCase(),
      },
      body: text,
    });
    expect(res.status).toBe(200);
  });
});
