import { describe, expect, it } from "vitest";
import {
  BASE,
  basic,
  form,
  json,
  T0,
  testSandbox,
  verifyWithPublishedJwks,
  type TestSandbox,
} from "../helpers/sandbox.js";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  pkce,
  REDIRECT_URI,
  signedPost,
  signedRequest,
  verifyIdToken,
} from "../helpers/sumsub.js";

const ISSUER = `${BASE}/sumsub`;
const AUTHORIZE = "/sumsub/api/snsId/oauth/authorize";
const LOGIN = "/sumsub/api/snsId/oauth/login";
const TOKEN = "/sumsub/api/snsId/oauth/token";
const USERINFO = "/sumsub/api/snsId/oauth/userInfo";
const AUTH = { authorization: basic(CLIENT_ID, CLIENT_SECRET) };
const POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";
const INTERACTIVE = { sumsub: { login: "interactive" } };
const DENIED = "The user denied the request";
const GONE = "This sign-in is unknown, expired or already answered: start again from the application.";
const TYPED = { email: "ada@example.test", given_name: "Ada", family_name: "Lovelace", sub: "ada-1815" };

const authorizeQuery = (overrides: Record<string, string | undefined> = {}) => {
  const params: Record<string, string | undefined> = {
    client_id: CLIENT_ID,
    response_type: "code",
    redirect_uri: REDIRECT_URI,
    scope: "openid profile email name",
    state: "xyz",
    code_challenge: pkce().challenge,
    code_challenge_method: "S256",
    nonce: "n-1",
    ...overrides,
  };
  return new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined));
};

/** The login page for an authorize request, and the pending sign-in id its forms carry. */
async function loginPage(
  sandbox: TestSandbox,
  overrides: Record<string, string | undefined> = {},
  prefix = "",
): Promise<{ res: Response; html: string; login: string }> {
  const res = await sandbox.request(`${prefix}${AUTHORIZE}?${authorizeQuery(overrides)}`);
  expect(res.status).toBe(200);
  const html = await res.text();
  const ids = [...html.matchAll(/<input type="hidden" name="login" value="([^"]+)" \/>/g)].map((m) => m[1]!);
  expect(ids).toHaveLength(2);
  expect(new Set(ids).size).toBe(1);
  return { res, html, login: ids[0]! };
}

const answer = (sandbox: TestSandbox, fields: Record<string, string>, prefix = "") =>
  sandbox.request(`${prefix}${LOGIN}`, form(fields));

/** The redirect's query, after checking that it goes to the registered redirect URI. */
function redirectedTo(res: Response): URLSearchParams {
  expect(res.status).toBe(303);
  const location = new URL(res.headers.get("location")!);
  expect(`${location.origin}${location.pathname}`).toBe(REDIRECT_URI);
  return location.searchParams;
}

async function exchange(sandbox: TestSandbox, code: string, verifier: string) {
  const res = await sandbox.request(
    TOKEN,
    form(
      { grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier },
      AUTH,
    ),
  );
  expect(res.status).toBe(200);
  return (await res.json()) as { access_token: string; id_token: string; refresh_token?: string };
}

async function expectErrorPage(res: Response, status: number, error: string, description: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("location")).toBeNull();
  expect(res.headers.get("content-type")).toBe("text/html; charset=UTF-8");
  expect(res.headers.get("content-security-policy")).toBe(POLICY);
  const html = await res.text();
  expect(html).toMatch(/^<!doctype html>/);
  expect(html).toContain(`<p id="error">${error}</p>`);
  expect(html).toContain(`<p id="error-description">${description}</p>`);
}

describe("Sumsub authorize: when the login page shows", () => {
  it("auto-consent stays the default: a redirect with a code, prompt=none included", async () => {
    const sandbox = await testSandbox();
    for (const prompt of [undefined, "none"]) {
      const res = await sandbox.request(`${AUTHORIZE}?${authorizeQuery({ prompt })}`);
      expect(res.status).toBe(302);
      const query = new URL(res.headers.get("location")!).searchParams;
      expect([...query.keys()]).toEqual(["code", "state"]);
    }
  });

  it.each(["login", "consent", "select_account", "consent login"])(
    "prompt=%s shows the page with auto-consent configured",
    async (prompt) => {
      const sandbox = await testSandbox();
      const { html } = await loginPage(sandbox, { prompt });
      expect(html).toContain("<h1>Sign in with Sumsub ID</h1>");
    },
  );

  it("sumsub.login interactive shows the page without prompt; an unknown prompt value is ignored", async () => {
    const sandbox = await testSandbox(INTERACTIVE);
    await loginPage(sandbox);
    await loginPage(sandbox, { prompt: "create" });
  });

  it.each([
    ["prompt=none with an interactive login", INTERACTIVE, "none", "login_required"],
    ["prompt=none with another value", {}, "none login", "invalid_request"],
    ["prompt=none with another value, interactive", INTERACTIVE, "login none", "invalid_request"],
  ])("%s goes back to the redirect URI as an error", async (_, config, prompt, error) => {
    const sandbox = await testSandbox(config);
    const res = await sandbox.request(`${AUTHORIZE}?${authorizeQuery({ prompt })}`);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect([...location.searchParams.keys()]).toEqual(["error", "error_description", "state"]);
    expect(location.searchParams.get("error")).toBe(error);
    expect(location.searchParams.get("state")).toBe("xyz");
  });

  it.each([
    ["an unknown client", { client_id: "nobody" }, "invalid_client", "Unknown client_id"],
    [
      "an unregistered redirect URI",
      { redirect_uri: "http://localhost:3000/other" },
      "invalid_redirect_uri",
      "redirect_uri does not match the registered one",
    ],
  ])("keeps the 400 page before it for %s", async (_, overrides, error, description) => {
    const sandbox = await testSandbox(INTERACTIVE);
    const res = await sandbox.request(`${AUTHORIZE}?${authorizeQuery({ ...overrides, prompt: "login" })}`);
    await expectErrorPage(res, 400, error, description);
  });

  it.each([
    ["response_type token", { response_type: "token" }, "unsupported_response_type"],
    ["an unknown scope", { scope: "openid admin" }, "invalid_scope"],
    ["no code_challenge", { code_challenge: undefined }, "invalid_request"],
    ["plain PKCE", { code_challenge_method: "plain" }, "invalid_request"],
  ])("keeps the error redirect before it for %s", async (_, overrides, error) => {
    const sandbox = await testSandbox(INTERACTIVE);
    const res = await sandbox.request(`${AUTHORIZE}?${authorizeQuery(overrides)}`);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(location.searchParams.get("error")).toBe(error);
    expect(location.searchParams.get("state")).toBe("xyz");
    expect((await sandbox.deps.namespaces.default.store.list()).map((e) => e.kind)).toEqual([]);
  });
});

describe("Sumsub login page", () => {
  it("answers the page: its headers, the client, the scopes, the users, and forms carrying only the pending id", async () => {
    const sandbox = await testSandbox(INTERACTIVE);
    const { res, html, login } = await loginPage(sandbox, { scope: "openid email offline_access" });
    expect(res.headers.get("content-type")).toBe("text/html; charset=UTF-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toBe(POLICY);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");

    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("<title>Sign in with Sumsub ID · Sumsub ID Connect sandbox</title>");
    expect(html).not.toMatch(/<script|<iframe|<img|<link/);
    expect(html).toContain(`<dd id="client-id">${CLIENT_ID}</dd>`);
    expect(html).toContain(`<dd id="redirect-uri">${REDIRECT_URI}</dd>`);
    expect([...html.matchAll(/data-scope="([^"]+)"/g)].map((m) => m[1])).toEqual([
      "openid",
      "email",
      "offline_access",
    ]);
    expect(html).toContain("<code>email</code>: your email address</li>");
    // The fixture users, the first chosen; then the identity form.
    const radios = [...html.matchAll(/<input type="radio" name="user" value="([^"]+)"( checked)? \/>/g)];
    expect(radios.map((m) => [m[1], m[2]])).toEqual([
      ["sbx-user-0001", " checked"],
      ["sbx-user-0002", undefined],
    ]);
    expect(html).toContain("Max Mustermann · max.mustermann@example.test");
    for (const field of ["email", "given_name", "family_name", "sub"])
      expect(html).toMatch(new RegExp(`<input [^>]*name="${field}" required`));
    // Both forms post to the sandbox route, with nothing of the request but the pending id.
    const forms = [...html.matchAll(/<form id="(\w+)" method="post" action="([^"]+)">/g)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(forms).toEqual([
      ["pick", `${BASE}${LOGIN}`],
      ["typed", `${BASE}${LOGIN}`],
    ]);
    expect([...html.matchAll(/type="hidden" name="(\w+)"/g)].map((m) => m[1])).toEqual(["login", "login"]);
    expect(html).not.toContain("xyz");
    expect(html).not.toContain("n-1");
    expect(login).toMatch(/^[\w-]{43}$/);
    // Kept server-side, under that id.
    const stored = await sandbox.deps.namespaces.default.store.list();
    expect(stored.map((e) => [e.kind, e.id])).toEqual([["sumsub.login", login]]);
    expect(stored[0]!.expiresAt).toBe(T0 + 600_000);
  });

  it("preselects the user login_hint names; a hint naming nobody is no error, the first is preselected", async () => {
    const sandbox = await testSandbox(INTERACTIVE);
    const { html } = await loginPage(sandbox, { login_hint: "max.mustermann@example.test" });
    expect(html).toContain('<input type="radio" name="user" value="sbx-user-0002" checked />');
    expect(html).toContain('<input type="radio" name="user" value="sbx-user-0001" />');
    const nobody = await loginPage(sandbox, { login_hint: "nobody@example.test" });
    expect(nobody.html).toContain('<input type="radio" name="user" value="sbx-user-0001" checked />');
  });

  it("escapes what it shows", async () => {
    const sandbox = await testSandbox({ sumsub: { login: "interactive", lenient: true } });
    const { html } = await loginPage(sandbox, {
      redirect_uri: 'http://localhost:5173/cb?x="><script>alert(1)</script>',
    });
    expect(html).not.toContain("<script>");
    expect(html).toContain(
      '<dd id="redirect-uri">http://localhost:5173/cb?x=&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</dd>',
    );
  });

  it("keeps the namespace in the form's action, and the pending sign-in in that namespace", async () => {
    const sandbox = await testSandbox(INTERACTIVE);
    const { html, login } = await loginPage(sandbox, {}, "/ns/team-a");
    expect(html).toContain(`<form id="pick" method="post" action="${BASE}/ns/team-a${LOGIN}">`);
    const elsewhere = await answer(sandbox, { login, decision: "allow", user: "sbx-user-0001" });
    await expectErrorPage(elsewhere, 404, "login_not_found", GONE);
    const res = await answer(sandbox, { login, decision: "allow", user: "sbx-user-0001" }, "/ns/team-a");
    expect([...redirectedTo(res).keys()]).toEqual(["code", "state"]);
  });
});

describe("Sumsub login page: the answer", () => {
  it("Allow for a picked user redirects as auto-consent does; the tokens and userinfo name that user", async () => {
    const sandbox = await testSandbox(INTERACTIVE);
    const { verifier, challenge } = pkce();
    const { login } = await loginPage(sandbox, { code_challenge: challenge });
    const res = await answer(sandbox, { login, decision: "allow", user: "sbx-user-0002" });
    expect(res.headers.get("location")).toMatch(
      new RegExp(`^${REDIRECT_URI.replaceAll("/", "\\/")}\\?code=[\\w-]{43}%3D&state=xyz$`),
    );
    const query = redirectedTo(res);
    const tokens = await exchange(sandbox, query.get("code")!, verifier);
    const { payload } = await verifyIdToken(sandbox, tokens.id_token);
    expect(payload).toEqual({
      iss: ISSUER,
      sub: "sbx-user-0002",
      aud: CLIENT_ID,
      iat: T0 / 1000,
      exp: T0 / 1000 + 86_400,
      nonce: "n-1",
      email: "max.mustermann@example.test",
      given_name: "Max",
      family_name: "Mustermann",
      name: "Max Mustermann",
      created_at: Date.parse("2025-08-01T17:00:00Z") / 1000,
    });
    const info = await sandbox.request(USERINFO, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(await info.json()).toEqual({
      sub: "sbx-user-0002",
      email: "max.mustermann@example.test",
      given_name: "Max",
      family_name: "Mustermann",
      name: "Max Mustermann",
      created_at: Date.parse("2025-08-01T17:00:00Z") / 1000,
    });
  });

  it("Deny redirects with error=access_denied and the state, and issues nothing", async () => {
    const sandbox = await testSandbox(INTERACTIVE);
    const { login } = await loginPage(sandbox);
    const res = await answer(sandbox, { login, decision: "deny", user: "sbx-user-0001" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(
      `${REDIRECT_URI}?${new URLSearchParams({ error: "access_denied", error_description: DENIED, state: "xyz" })}`,
    );
    expect(await sandbox.deps.namespaces.default.store.list()).toEqual([]);
  });

  it("without state, the redirect has none", async () => {
    const sandbox = await testSandbox(INTERACTIVE);
    const { login } = await loginPage(sandbox, { state: undefined });
    const res = await answer(sandbox, { login, decision: "allow", user: "sbx-user-0001" });
    expect([...redirectedTo(res).keys()]).toEqual(["code"]);
  });

  it("Allow for a typed identity: the ID token, userinfo, a refresh and an ID Connect reuse name it", async () => {
    const sandbox = await testSandbox(INTERACTIVE);
    const { verifier, challenge } = pkce();
    const { login } = await loginPage(sandbox, {
      code_challenge: challenge,
      scope: "openid profile email name share offline_access",
    });
    sandbox.clock.advance(30);
    const res = await answer(sandbox, { login, decision: "allow", ...TYPED });
    const tokens = await exchange(sandbox, redirectedTo(res).get("code")!, verifier);
    const claims = {
      sub: "ada-1815",
      email: "ada@example.test",
      given_name: "Ada",
      family_name: "Lovelace",
      name: "Ada Lovelace",
      created_at: T0 / 1000 + 30,
    };
    const { payload } = await verifyIdToken(sandbox, tokens.id_token);
    expect(payload).toMatchObject({ ...claims, nonce: "n-1" });
    const info = await sandbox.request(USERINFO, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(info.status).toBe(200);
    expect(await info.json()).toEqual(claims);

    const refreshed = await sandbox.request(
      TOKEN,
      form({ grant_type: "refresh_token", refresh_token: tokens.refresh_token! }, AUTH),
    );
    expect(refreshed.status).toBe(200);
    const again = (await refreshed.json()) as { access_token: string; id_token: string };
    const after = await verifyWithPublishedJwks(sandbox, "/sumsub/.well-known/jwks.json", again.id_token);
    expect(after.payload).toMatchObject(claims);

    const share = await signedPost(sandbox, "/resources/accessTokens/sumsubIdShareToken", {
      sumsubIdConnectToken: again.access_token,
      forClientId: CLIENT_ID,
    });
    expect(share.status).toBe(200);
    const { token, sharingAllowed } = (await share.json()) as { token: string; sharingAllowed: boolean };
    expect(sharingAllowed).toBe(true);
    const preview = await signedRequest(
      sandbox,
      "GET",
      `/resources/api/reusableIdentity/reuse/preview?shareToken=${encodeURIComponent(token)}&levelName=basic&userId=ada`,
    );
    expect(preview.status).toBe(200);
    expect(await preview.json()).toMatchObject({
      externalUserId: "ada",
      email: "ada@example.test",
      info: { firstName: "Ada", lastName: "Lovelace" },
    });
  });

  it.each([
    ["a missing email", { email: undefined }, "email is required"],
    ["an email that is not one", { email: "ada" }, "email: Invalid email address"],
    ["a blank given name", { given_name: "   " }, "given_name must not be empty"],
    ["a missing family name", { family_name: undefined }, "family_name is required"],
    ["a sub with a space", { sub: "ada 1815" }, "sub must be ASCII letters, digits or signs, without spaces"],
    ["a sub over 255 characters", { sub: "a".repeat(256) }, "sub must be at most 255 characters"],
  ])(
    "answers a 400 page naming the field for %s, and the sign-in stays pending",
    async (_, change, message) => {
      const sandbox = await testSandbox(INTERACTIVE);
      const { login } = await loginPage(sandbox);
      const fields = Object.fromEntries(
        Object.entries({ ...TYPED, ...change }).filter((e): e is [string, string] => e[1] !== undefined),
      );
      await expectErrorPage(
        await answer(sandbox, { login, decision: "allow", ...fields }),
        400,
        "invalid_request",
        message,
      );
      const res = await answer(sandbox, { login, decision: "allow", ...TYPED });
      expect([...redirectedTo(res).keys()]).toEqual(["code", "state"]);
    },
  );

  it.each([
    [
      "a user who is not a fixture user",
      { user: "sbx-user-9999" },
      "user must be one of sbx-user-0001, sbx-user-0002",
    ],
    ["no decision", { decision: undefined }, "decision must be one of allow, deny"],
    ["another decision", { decision: "maybe" }, "decision must be one of allow, deny"],
  ])("answers a 400 page for %s", async (_, change, message) => {
    const sandbox = await testSandbox(INTERACTIVE);
    const { login } = await loginPage(sandbox);
    const fields = Object.fromEntries(
      Object.entries({ login, decision: "allow", ...change }).filter(
        (e): e is [string, string] => e[1] !== undefined,
      ),
    );
    await expectErrorPage(await answer(sandbox, fields), 400, "invalid_request", message);
  });
});

describe("Sumsub login page: the pending sign-in", () => {
  it("is answered once: a second answer, Allow or Deny, is the 404 page", async () => {
    const sandbox = await testSandbox(INTERACTIVE);
    const { login } = await loginPage(sandbox);
    expect((await answer(sandbox, { login, decision: "allow", user: "sbx-user-0001" })).status).toBe(303);
    await expectErrorPage(
      await answer(sandbox, { login, decision: "allow", user: "sbx-user-0001" }),
      404,
      "login_not_found",
      GONE,
    );
    await expectErrorPage(await answer(sandbox, { login, decision: "deny" }), 404, "login_not_found", GONE);
  });

  it("is answered exactly once when two answers race", async () => {
    const sandbox = await testSandbox(INTERACTIVE);
    const { login } = await loginPage(sandbox);
    const answers = await Promise.all([
      answer(sandbox, { login, decision: "allow", user: "sbx-user-0001" }),
      answer(sandbox, { login, decision: "deny" }),
      answer(sandbox, { login, decision: "allow", ...TYPED }),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([303, 404, 404]);
  });

  it("a missing or unknown id is the 404 page", async () => {
    const sandbox = await testSandbox(INTERACTIVE);
    await expectErrorPage(await answer(sandbox, { decision: "deny" }), 404, "login_not_found", GONE);
    await expectErrorPage(
      await answer(sandbox, { login: "x".repeat(43), decision: "deny" }),
      404,
      "login_not_found",
      GONE,
    );
  });

  it("expires after loginTtlSeconds on its namespace's clock, not another's", async () => {
    const sandbox = await testSandbox(INTERACTIVE);
    const early = await loginPage(sandbox, {}, "/ns/team-a");
    const late = await loginPage(sandbox, {}, "/ns/team-a");
    const elsewhere = await loginPage(sandbox);
    const advance = async (seconds: number) =>
      expect(
        (await sandbox.request("/__admin/clock?namespace=team-a", json({ advance: seconds }))).status,
      ).toBe(200);
    await advance(599);
    expect((await answer(sandbox, { login: early.login, decision: "deny" }, "/ns/team-a")).status).toBe(303);
    await advance(1);
    await expectErrorPage(
      await answer(sandbox, { login: late.login, decision: "deny" }, "/ns/team-a"),
      404,
      "login_not_found",
      GONE,
    );
    // The default namespace's clock did not move.
    expect((await answer(sandbox, { login: elsewhere.login, decision: "deny" })).status).toBe(303);
  });
});
