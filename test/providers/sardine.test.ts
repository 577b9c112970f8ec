import { decodeProtectedHeader } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import { au10tixClaimsSchema } from "../../src/providers/sardine/schemas.js";
import {
  BASE,
  basic,
  json,
  T0,
  testSandbox,
  verifyWithPublishedJwks,
  type TestSandbox,
} from "../helpers/sandbox.js";

const TOKENS = "/sardine/v1/identity-documents/tokens";
const AUTH = { authorization: basic("sandbox-client", "sandbox-secret") };
const ISSUER = `${BASE}/sardine/au10tix/oauth2/aus3sandbox5sbe9WD8V357`;
const JWKS = "/sardine/au10tix/oauth2/aus3sandbox5sbe9WD8V357/v1/keys";

let sandbox: TestSandbox;
beforeEach(async () => {
  sandbox = await testSandbox();
});

const issue = (body: unknown, headers: Record<string, string> = AUTH) =>
  sandbox.request(TOKENS, json(body, headers));

describe("Sardine POST /v1/identity-documents/tokens, au10tix", () => {
  it("returns the vendor's response shape with an RS256 JWT verifiable through the published JWKS", async () => {
    const res = await issue({ sessionKey: "session-1", customerId: "customer-1", platform: "ios" });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body)).toEqual(["token_type", "expires_in", "access_token", "scope"]);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 600, scope: "mobilesdk" });

    const { payload, protectedHeader } = await verifyWithPublishedJwks(sandbox, JWKS, body.access_token, {
      issuer: ISSUER,
      audience: "au10tix",
    });
    expect(Object.keys(protectedHeader)).toEqual(["kid", "alg"]);
    expect(protectedHeader.kid).toBe(sandbox.deps.keys.kid("sardine"));
    expect(au10tixClaimsSchema.parse(payload)).toEqual({
      ver: 1,
      jti: expect.stringMatching(/^AT\.[A-Za-z0-9_-]{43}$/),
      iss: ISSUER,
      aud: "au10tix",
      iat: T0 / 1000,
      exp: T0 / 1000 + 600,
      cid: "0oaSandboxCl1ent00357",
      scp: ["mobilesdk"],
      sub: "0oaSandboxCl1ent00357",
      apiUrl: `${BASE}/sardine/au10tix/api`,
      bosUrl: `${BASE}/sardine/au10tix/bos`,
      clientOrganizationName: "Sandbox Organization",
      clientOrganizationId: 433,
    });
    expect(Object.keys(payload)).toEqual(Object.keys(au10tixClaimsSchema.shape));
  });

  it("defaults to au10tix and records the token in the state until it expires on the clock", async () => {
    const body = await (await issue({ sessionKey: "s", customerId: "c" })).json();
    const { payload } = await verifyWithPublishedJwks(sandbox, JWKS, body.access_token);
    const tokens = async () =>
      (await sandbox.deps.namespaces.default.store.list()).filter((e) => e.kind === "sardine.token");
    const entries = await tokens();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      kind: "sardine.token",
      id: payload.jti,
      expiresAt: T0 + 600_000,
      value: { provider: "au10tix", clientId: "sandbox-client", sessionKey: "s", customerId: "c" },
    });
    sandbox.clock.advance(600);
    expect(await tokens()).toHaveLength(0);
  });

  it("issues tokens a client rejects once the clock passes exp", async () => {
    const body = await (await issue({ sessionKey: "s" })).json();
    sandbox.clock.advance(601);
    await expect(verifyWithPublishedJwks(sandbox, JWKS, body.access_token)).rejects.toMatchObject({
      code: "ERR_JWT_EXPIRED",
    });
  });

  it("publishes Okta-style metadata under the issuer", async () => {
    const res = await sandbox.request(`${ISSUER}/.well-known/oauth-authorization-server`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ issuer: ISSUER, jwks_uri: `${ISSUER}/v1/keys` });
    const jwks = await (await sandbox.request(JWKS)).json();
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual([sandbox.deps.keys.kid("sardine")]);
  });
});

describe("Sardine POST /v1/identity-documents/tokens, incode", () => {
  it("answers the incode shape with an SDK base URL ending in /0", async () => {
    const res = await issue({ sessionKey: "s", provider: "incode", platform: "android" });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body)).toEqual([
      "access_token",
      "verification_id",
      "incode_sdk_base_url",
      "token_type",
      "expires_in",
    ]);
    expect(body).toMatchObject({
      verification_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      incode_sdk_base_url: `${BASE}/sardine/incode/0`,
      token_type: "Bearer",
      expires_in: 600,
    });
    expect(() => decodeProtectedHeader(body.access_token)).toThrow();
    const [entry] = await sandbox.deps.namespaces.default.store.list();
    expect(entry).toMatchObject({
      id: body.access_token,
      value: { provider: "incode", platform: "android", verificationId: body.verification_id },
    });
  });
});

describe("Sardine errors", () => {
  it.each([
    ["no Authorization header", {}],
    ["a wrong secret", { authorization: basic("sandbox-client", "wrong") }],
    ["an unknown client", { authorization: basic("someone", "sandbox-secret") }],
    ["another scheme", { authorization: "Bearer sandbox-secret" }],
    ["garbage", { authorization: "Basic %%%" }],
  ])("401 {message} for %s", async (_, headers) => {
    const res = await issue({ sessionKey: "s" }, headers);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: "Unauthorized: missing or invalid Basic credentials" });
  });

  it.each([
    ["malformed JSON", '{"sessionKey": ', "body is not valid JSON"],
    ["no body", "", "sessionKey is required"],
    ["a missing sessionKey", { customerId: "c" }, "sessionKey is required"],
    ["an empty sessionKey", { sessionKey: "" }, "sessionKey must not be empty"],
    [
      "a sessionKey over 100 characters",
      { sessionKey: "x".repeat(101) },
      "sessionKey must be at most 100 characters",
    ],
    ["a sessionKey of the wrong type", { sessionKey: 42 }, "sessionKey must be of type string"],
    ["an unknown platform", { sessionKey: "s", platform: "windows" }, "platform must be one of android, ios"],
    [
      "an unknown provider",
      { sessionKey: "s", provider: "onfido" },
      "provider must be one of au10tix, incode",
    ],
    ["a JSON array", [1, 2], "body must be of type object"],
  ])("400 naming the field for %s", async (_, body, message) => {
    const res = await issue(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message });
    expect((await sandbox.deps.namespaces.default.store.stats()).size).toBe(0);
  });

  it("accepts a sessionKey of exactly 100 characters", async () => {
    expect((await issue({ sessionKey: "x".repeat(100) })).status).toBe(200);
  });

  it("answers unknown Sardine paths with 404 in Sardine's format", async () => {
    const res = await sandbox.request("/sardine/v1/nothing");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: "no route for GET /sardine/v1/nothing" });
  });

  it("refuses a body over the limit with 413", async () => {
    const small = await testSandbox({ bodyLimit: 64 });
    const res = await small.request(TOKENS, json({ sessionKey: "x".repeat(100) }, AUTH));
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: "request body is larger than 64 bytes" });
  });
});
