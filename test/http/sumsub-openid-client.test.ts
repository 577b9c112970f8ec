import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../src/index.js";
import { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI } from "../helpers/sumsub.js";

let sandbox: Sandbox | undefined;
beforeAll(async () => {
  sandbox = await createSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox?.close();
});

describe("Sumsub OIDC with an unmodified standard client (openid-client)", () => {
  it.each([
    ["client_secret_basic", client.ClientSecretBasic(CLIENT_SECRET)],
    ["client_secret_post", client.ClientSecretPost(CLIENT_SECRET)],
  ])("runs discovery → authorize → token → userinfo → refresh with %s", async (_, auth) => {
    const issuer = new URL(`${sandbox!.url}/sumsub`);
    const config = await client.discovery(issuer, CLIENT_ID, undefined, auth, {
      // The sandbox speaks plain HTTP on loopback; this is the option openid-client provides for that.
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      execute: [client.allowInsecureRequests],
    });
    expect(config.serverMetadata().issuer).toBe(issuer.href);

    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const authorizationUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: "openid email name offline_access",
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
    const consent = await fetch(authorizationUrl, { redirect: "manual" });
    expect(consent.status).toBe(302);
    const callback = new URL(consent.headers.get("location")!);

    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({ iss: issuer.href, aud: CLIENT_ID, sub: "sbx-user-0001", nonce });
    expect(tokens.expiresIn()).toBeGreaterThanOrEqual(86399); // counted down from receipt
    expect(tokens.expires_in).toBe(86400);

    const userInfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(userInfo).toEqual({
      sub: "sbx-user-0001",
      email: "jane.doe@example.test",
      given_name: "Jane",
      family_name: "Doe",
      name: "Jane Doe",
    });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.claims()?.sub).toBe("sbx-user-0001");
  });
});
