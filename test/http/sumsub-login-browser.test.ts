import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRemoteJWKSet, jwtVerify } from "jose";
import * as client from "openid-client";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../src/index.js";
import { launchChromium } from "../helpers/browser.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { CLIENT_ID, CLIENT_SECRET } from "../helpers/sumsub.js";

/**
 * The client's callback is a real server (the receiver), registered as the client's redirect URI in a copy of the
 * fixtures: the browser lands on it as it would on an application's, and the test reads what it received.
 */
let callback: Receiver;
let redirectUri: string;
let fixturesDir: string;
let sandbox: Sandbox;
let browser: Browser;

beforeAll(async () => {
  callback = await startReceiver({ answer: () => ({ status: 200, body: "signed in" }) });
  redirectUri = callback.url.replace(/\/hook$/, "/callback");
  fixturesDir = await mkdtemp(join(tmpdir(), "sumsub-login-fixtures-"));
  await cp(join(import.meta.dirname, "../../fixtures"), fixturesDir, { recursive: true });
  const file = join(fixturesDir, "sumsub.json");
  const fixtures = JSON.parse(await readFile(file, "utf8")) as { clients: { redirectUris: string[] }[] };
  fixtures.clients[0]!.redirectUris = [redirectUri];
  await writeFile(file, JSON.stringify(fixtures));
  sandbox = await createSandbox({ port: 0, fixturesDir, sumsub: { login: "interactive" } });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser.close();
  await sandbox.close();
  await callback.close();
  await rm(fixturesDir, { recursive: true, force: true });
});

/** An unmodified openid-client, configured by discovery, and an authorization URL with PKCE, state and nonce. */
async function startFlow() {
  const issuer = new URL(`${sandbox.url}/sumsub`);
  const config = await client.discovery(
    issuer,
    CLIENT_ID,
    undefined,
    client.ClientSecretBasic(CLIENT_SECRET),
    {
      // The sandbox speaks plain HTTP on loopback; this is the option openid-client provides for that.
      // eslint-disable-next-line @typescript-eslint/no-deprecated
      execute: [client.allowInsecureRequests],
    },
  );
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: "openid email name",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  return { issuer, config, verifier, state, nonce, url };
}

/**
 * Opens the authorization URL in Chromium, lets `act` answer the login page, and returns the URL the browser landed
 * on at the client's callback, checking that nothing else was loaded and nothing went wrong in the page.
 */
async function throughThePage(url: URL, act: (page: Page) => Promise<void>): Promise<URL> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("request", (request) => requests.push(request.url()));
  try {
    const response = await page.goto(url.href);
    expect(response?.status()).toBe(200);
    // The shared page policy, unchanged: it sets no form-action, so the POST and the redirect after it both pass.
    expect(response?.headers()["content-security-policy"]).toBe(
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
    );
    expect(await page.locator("h1").textContent()).toBe("Sign in with Sumsub ID");
    expect(await page.locator("#client-id").textContent()).toBe(CLIENT_ID);
    expect(
      await page.locator("#scopes li").evaluateAll((items) => items.map((li) => li.dataset.scope)),
    ).toEqual(["openid", "email", "name"]);
    await act(page);
    await page.waitForURL((landed) => landed.href.startsWith(redirectUri));
    expect(await page.locator("body").textContent()).toBe("signed in");
    const landed = new URL(page.url());
    // The client's server answered that very request (the browser shows a page only once it has).
    expect(callback.received.map((r) => new URL(r.path, redirectUri).href)).toContain(landed.href);
    // The page and its form's POST: nothing else, and the form-action check let the redirect through.
    const origins = new Set([new URL(sandbox.url).origin, new URL(redirectUri).origin]);
    expect(requests.filter((r) => !origins.has(new URL(r).origin))).toEqual([]);
    expect(problems).toEqual([]);
    return landed;
  } finally {
    await page.close();
  }
}

async function verifiedIdToken(issuer: URL, idToken: string) {
  const jwks = createRemoteJWKSet(new URL(`${issuer.href}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(idToken, jwks, {
    issuer: issuer.href,
    audience: CLIENT_ID,
    algorithms: ["RS256"],
  });
  return payload;
}

describe("Sumsub's interactive login in headless Chromium, with an unmodified openid-client", () => {
  it("Allow as a picked fixture user: the client gets tokens, and the ID token verified through the JWKS names that user", async () => {
    const flow = await startFlow();
    const landed = await throughThePage(flow.url, async (page) => {
      await page.getByLabel("Max Mustermann").check();
      await page.getByRole("button", { name: "Allow", exact: true }).click();
    });
    expect([...landed.searchParams.keys()]).toEqual(["code", "state"]);

    const tokens = await client.authorizationCodeGrant(flow.config, landed, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    expect(await verifiedIdToken(flow.issuer, tokens.id_token!)).toMatchObject({
      iss: flow.issuer.href,
      aud: CLIENT_ID,
      sub: "sbx-user-0002",
      nonce: flow.nonce,
      email: "max.mustermann@example.test",
      name: "Max Mustermann",
    });
    expect(await client.fetchUserInfo(flow.config, tokens.access_token, "sbx-user-0002")).toEqual({
      sub: "sbx-user-0002",
      email: "max.mustermann@example.test",
      given_name: "Max",
      family_name: "Mustermann",
      name: "Max Mustermann",
    });
  });

  it("Deny: the client sees access_denied", async () => {
    const flow = await startFlow();
    const landed = await throughThePage(flow.url, async (page) => {
      await page.getByRole("button", { name: "Deny" }).click();
    });
    const refused = client.authorizationCodeGrant(flow.config, landed, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
    });
    await expect(refused).rejects.toBeInstanceOf(client.AuthorizationResponseError);
    await expect(refused).rejects.toMatchObject({
      error: "access_denied",
      error_description: "The user denied the request",
    });
  });

  it("Allow as a typed identity: the ID token and userinfo name it", async () => {
    const flow = await startFlow();
    const landed = await throughThePage(flow.url, async (page) => {
      await page.getByLabel("Email").fill("grace@example.test");
      await page.getByLabel("Given name").fill("Grace");
      await page.getByLabel("Family name").fill("Hopper");
      await page.getByLabel("Subject (sub)").fill("grace-1906");
      await page.getByRole("button", { name: "Allow as this identity" }).click();
    });
    const tokens = await client.authorizationCodeGrant(flow.config, landed, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    const claims = {
      sub: "grace-1906",
      email: "grace@example.test",
      given_name: "Grace",
      family_name: "Hopper",
      name: "Grace Hopper",
    };
    expect(await verifiedIdToken(flow.issuer, tokens.id_token!)).toMatchObject({
      ...claims,
      nonce: flow.nonce,
    });
    expect(await client.fetchUserInfo(flow.config, tokens.access_token, "grace-1906")).toEqual(claims);
  });
});
