import { mkdtemp, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { createDeps, parseConfig } from "../../src/index.js";
import { basic, form, json, testSandbox, type TestSandbox } from "../helpers/sandbox.js";

const SARDINE = "/sardine/v1/identity-documents/tokens";
const SARDINE_AUTH = { authorization: basic("sandbox-client", "sandbox-secret") };
const SUMSUB_TOKEN = "/sumsub/resources/snsId/api/connect/token";
const DQE_OK =
  "/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE";
const DEEPLINK = "/regula/api/v1/deeplink?workflowId=wf-document";
const REGULA_AUTH = { authorization: "ApiKey sandbox-api-key" };

let sandbox: TestSandbox;
beforeEach(async () => {
  sandbox = await testSandbox();
});

const withScenario = (name: string, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), "x-sandbox-scenario": name },
});
const SUMSUB_OAUTH_TOKEN = "/sumsub/api/snsId/oauth/token";
const dqeError = (id: string, type: string) => ({ status: "error", error_id: id, error_type: type });

// Each shipped vendor-error scenario, a request that would otherwise succeed, and the exact vendor body it gives.
const shipped: [string, string, RequestInit, number, unknown][] = [
  [
    "sardine-unauthorized",
    SARDINE,
    json({ sessionKey: "s" }, SARDINE_AUTH),
    401,
    { message: "Unauthorized: missing or invalid Basic credentials" },
  ],
  [
    "sardine-invalid-request",
    SARDINE,
    json({ sessionKey: "s" }, SARDINE_AUTH),
    400,
    { message: "sessionKey is required" },
  ],
  [
    "sardine-rate-limited",
    SARDINE,
    json({ sessionKey: "s" }, SARDINE_AUTH),
    429,
    { message: "Too Many Requests" },
  ],
  [
    "sumsub-invalid-code",
    SUMSUB_TOKEN,
    json({}),
    401,
    { code: 401, correlationId: expect.stringMatching(/^[0-9a-f]{32}$/), description: "Invalid code" },
  ],
  [
    "sumsub-invalid-client-id",
    SUMSUB_TOKEN,
    json({}),
    404,
    { code: 404, correlationId: expect.any(String), description: "Invalid clientId: sandbox-client" },
  ],
  [
    "sumsub-signature-mismatch",
    SUMSUB_TOKEN,
    json({}),
    401,
    {
      code: 401,
      correlationId: expect.any(String),
      description: "Request signature mismatch",
      errorCode: 4003,
      errorName: "app-token-signature mismatch",
    },
  ],
  [
    "sumsub-timestamp-out-of-range",
    SUMSUB_TOKEN,
    json({}),
    401,
    {
      code: 401,
      correlationId: expect.any(String),
      description: "Request timestamp is missing or too far from the current time",
    },
  ],
  [
    "sumsub-invalid-token",
    "/sumsub/resources/accessTokens/sumsubIdShareToken",
    json({}),
    401,
    { code: 401, correlationId: expect.any(String), description: "Invalid or expired token" },
  ],
  [
    "sumsub-rate-limited",
    "/sumsub/.well-known/openid-configuration",
    {},
    429,
    { code: 429, correlationId: expect.any(String), description: "Too many requests" },
  ],
  ["dqe-invalid-request", DQE_OK, {}, 400, dqeError("01", "invalid request")],
  ["dqe-invalid-client", DQE_OK, {}, 400, dqeError("22", "invalid client")],
  ["dqe-invalid-client-secret", DQE_OK, {}, 400, dqeError("03", "invalid client secret")],
  ["dqe-invalid-token", "/dqe/oauth/ACCESS_TOKEN/", {}, 401, dqeError("30", "invalid or expired token")],
  ["dqe-unsupported-grant-type", DQE_OK, {}, 400, dqeError("31", "unsupported grant type")],
  ["dqe-credits-exhausted", DQE_OK, {}, 400, dqeError("98", "credits exhausted")],
  ["dqe-typo-500", DQE_OK, {}, 500, { status: "error", error_type: "internal server error" }],
  [
    "regula-unauthorized",
    DEEPLINK,
    json({}, REGULA_AUTH),
    401,
    { message: "Unauthorized: missing or unknown API key" },
  ],
  [
    "regula-forbidden",
    DEEPLINK,
    json({}, REGULA_AUTH),
    403,
    { message: "Forbidden: the API key lacks the deeplink:write permission" },
  ],
  ["regula-workflow-not-found", DEEPLINK, json({}, REGULA_AUTH), 404, { message: "workflow not found" }],
  [
    "regula-session-not-found",
    "/regula/api/sessions/abc",
    { headers: REGULA_AUTH },
    404,
    { message: "session not found" },
  ],
  // Each format a vendor has: Sumsub's OIDC routes answer RFC 6749/6750 bodies, and two routes answer pages.
  [
    "sumsub-oauth-invalid-client",
    SUMSUB_OAUTH_TOKEN,
    form({ grant_type: "authorization_code", code: "c" }),
    401,
    { error: "invalid_client", error_description: "Client authentication failed" },
  ],
  [
    "sumsub-oauth-invalid-grant",
    SUMSUB_OAUTH_TOKEN,
    form({ grant_type: "authorization_code", code: "c" }),
    400,
    {
      error: "invalid_grant",
      error_description: "The grant is invalid, expired, used or was issued to another client",
    },
  ],
  [
    "sumsub-oauth-unsupported-grant-type",
    SUMSUB_OAUTH_TOKEN,
    form({ grant_type: "password" }),
    400,
    {
      error: "unsupported_grant_type",
      error_description: "grant_type must be authorization_code or refresh_token",
    },
  ],
  [
    "sumsub-userinfo-invalid-token",
    "/sumsub/api/snsId/oauth/userInfo",
    {},
    401,
    { error: "invalid_token", error_description: "The access token is invalid or expired" },
  ],
  ["sumsub-authorize-invalid-client", "/sumsub/api/snsId/oauth/authorize", {}, 400, "Unknown client_id"],
  [
    "sumsub-authorize-access-denied",
    `/sumsub/api/snsId/oauth/authorize?client_id=sandbox-client&redirect_uri=${encodeURIComponent("http://localhost:3000/callback")}&state=s9`,
    {},
    302,
    "http://localhost:3000/callback?error=access_denied&error_description=The+user+denied+the+request&state=s9",
  ],
  ["regula-handoff-expired", "/regula/mobile", {}, 401, "This link is invalid or has expired."],
];

describe("shipped scenarios", () => {
  it("covers every shipped vendor-error scenario file in this table", async () => {
    const files = (await readdir(resolve(import.meta.dirname, "../../scenarios"))).map((f) =>
      f.replace(/\.ya?ml$/, ""),
    );
    // Faults and webhook scenarios have tests of their own.
    const faults = [
      "slow",
      "flaky",
      "timeout",
      "malformed",
      "empty-body",
      "rate-limited",
      "webhooks-duplicate",
      "webhooks-out-of-order",
    ];
    expect(files.filter((f) => !faults.includes(f)).sort()).toEqual(shipped.map(([name]) => name).sort());
  });

  it.each(shipped)("%s gives its exact vendor body", async (name, path, init, status, body) => {
    const res = await sandbox.request(path, withScenario(name, init));
    expect(res.status).toBe(status);
    expect(res.headers.get("x-sandbox-scenario")).toBe(name);
    expect(res.headers.get("x-sandbox-outcome")).toBe("error");
    // A redirect carries the error back in its URL; a page (text) shows the message to a person; an API answers the
    // exact body.
    if (status === 302) expect(res.headers.get("location")).toBe(body);
    else if (typeof body === "string") expect(await res.text()).toContain(body);
    else expect(await res.json()).toEqual(body);
  });

  it("sets Retry-After on the rate-limited error scenarios", async () => {
    const res = await sandbox.request(
      SARDINE,
      withScenario("sardine-rate-limited", json({ sessionKey: "s" }, SARDINE_AUTH)),
    );
    expect(res.headers.get("retry-after")).toBe("5");
  });

  it("lists shipped scenarios with descriptions", async () => {
    const res = await sandbox.request("/__admin/scenarios");
    const body = await res.json();
    expect(body.scenarios).toContainEqual(
      expect.objectContaining({
        name: "sumsub-invalid-code",
        description: expect.stringContaining("Invalid code"),
        source: "sumsub-invalid-code.yaml",
      }),
    );
    const files = await readdir(resolve(import.meta.dirname, "../../scenarios"));
    expect(body.scenarios.map((s: { source: string }) => s.source).sort()).toEqual(files.sort());
  });
});

describe("selecting scenarios", () => {
  it("by header, several at once, the first matching rule winning; a route that no rule matches answers normally", async () => {
    const res = await sandbox.request(DQE_OK, withScenario("sardine-unauthorized, dqe-credits-exhausted"));
    expect(await res.json()).toEqual(dqeError("98", "credits exhausted"));
    const untouched = await sandbox.request(DQE_OK, withScenario("sardine-unauthorized"));
    expect(untouched.status).toBe(200);
  });

  it("an unknown scenario name in the header is a 400 in the vendor's format", async () => {
    const res = await sandbox.request(DQE_OK, withScenario("nope"));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(dqeError("01", "invalid request"));
  });

  it("for everyone through the admin API, until cleared", async () => {
    const put = await sandbox.request("/__admin/scenarios/active", {
      ...json({ names: ["dqe-invalid-client"] }),
      method: "PUT",
    });
    expect(await put.json()).toEqual({ active: ["dqe-invalid-client"], scope: "global" });
    expect((await sandbox.request(DQE_OK)).status).toBe(400);
    expect((await sandbox.request(DQE_OK, { headers: { "x-sandbox-namespace": "w1" } })).status).toBe(400);
    await sandbox.request("/__admin/scenarios/active", { method: "DELETE" });
    expect((await sandbox.request(DQE_OK)).status).toBe(200);
  });

  it("refuses to activate an unknown scenario", async () => {
    const res = await sandbox.request("/__admin/scenarios/active", {
      ...json({ names: ["nope"] }),
      method: "PUT",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid_request", message: "unknown scenario: nope" });
  });

  it("from config at start (as --scenario does)", async () => {
    const started = await testSandbox({ scenarios: ["regula-forbidden"] });
    expect((await started.request(DEEPLINK, json({}, REGULA_AUTH))).status).toBe(403);
    await expect(testSandbox({ scenarios: ["nope"] })).rejects.toThrow(/unknown scenario nope/);
  });

  it("by magic input: a Sardine sessionKey, a Regula metadata field, a DQE form field", async () => {
    const sardine = await sandbox.request(
      SARDINE,
      json({ sessionKey: "scenario:sardine-unauthorized" }, SARDINE_AUTH),
    );
    expect(sardine.status).toBe(401);
    const regula = await sandbox.request(
      DEEPLINK,
      json({ metadata: { scenario: "scenario:regula-workflow-not-found" } }, REGULA_AUTH),
    );
    expect(regula.status).toBe(404);
    const dqe = await sandbox.request(
      "/dqe/ACCESS_TOKEN/",
      form({ licence: "scenario:dqe-credits-exhausted", client_secret: "x", grant_type: "client_idmobile" }),
    );
    expect(await dqe.json()).toEqual(dqeError("98", "credits exhausted"));
    const plain = await sandbox.request(SARDINE, json({ sessionKey: "scenario-less" }, SARDINE_AUTH));
    expect(plain.status).toBe(200);
  });

  it("honours times, then falls through to the real answer", async () => {
    const dir = await mkdtemp(join(tmpdir(), "scenarios-"));
    await writeFile(
      join(dir, "twice.json"),
      JSON.stringify({
        description: "two 500s",
        rules: [{ vendor: "dqe", status: 503, body: { down: true }, times: 2 }],
      }),
    );
    const custom = await testSandbox({ scenariosDir: dir, scenarios: ["twice"] });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await custom.request(DQE_OK)).status);
    expect(statuses).toEqual([503, 503, 200]);
  });

  it("matches on query, body and header values", async () => {
    const dir = await mkdtemp(join(tmpdir(), "scenarios-"));
    await writeFile(
      join(dir, "picky.yaml"),
      'description: only for customer c-9\nrules:\n  - vendor: sardine\n    match: { body: { customerId: "c-9" }, header: { x-client: "ios" } }\n    status: 418\n    body: "teapot"\n',
    );
    const custom = await testSandbox({ scenariosDir: dir, scenarios: ["picky"] });
    const hit = await custom.request(
      SARDINE,
      json({ sessionKey: "s", customerId: "c-9" }, { ...SARDINE_AUTH, "x-client": "ios" }),
    );
    expect(hit.status).toBe(418);
    expect(await hit.text()).toBe("teapot");
    expect(
      (
        await custom.request(
          SARDINE,
          json({ sessionKey: "s", customerId: "c-8" }, { ...SARDINE_AUTH, "x-client": "ios" }),
        )
      ).status,
    ).toBe(200);
    expect(
      (await custom.request(SARDINE, json({ sessionKey: "s", customerId: "c-9" }, SARDINE_AUTH))).status,
    ).toBe(200);
  });
});

describe("scenario files", () => {
  it.each([
    ["an unknown field", { description: "d", rules: [], colour: 1 }, /\.colour: unknown field/],
    [
      "an unknown vendor",
      { description: "d", rules: [{ vendor: "onfido", error: "x" }] },
      /rules\.0: vendor: onfido is not a vendor here \(one of sardine, sumsub, dqe, regula, or \*\)/,
    ],
    [
      "an error not in the vendor's catalogue",
      { description: "d", rules: [{ vendor: "dqe", error: "nope" }] },
      /rules\.0: error: nope cannot be answered on dqe GET \/ACCESS_TOKEN\/, whose errors are dqe API/,
    ],
    [
      "a route no vendor route has",
      {
        description: "d",
        rules: [{ vendor: "sumsub", route: "POST /oauth/token", error: "invalid_client" }],
      },
      /rules\.0: route: "POST \/oauth\/token" names no route of sumsub \(routes: .*POST \/api\/snsId\/oauth\/token/,
    ],
    [
      "an error the route's format cannot express",
      {
        description: "d",
        rules: [{ vendor: "sumsub", route: "POST /api/snsId/oauth/token", error: "signature_mismatch" }],
      },
      /rules\.0: error: signature_mismatch cannot be answered on sumsub POST \/api\/snsId\/oauth\/token, whose errors are sumsub OAuth 2\.0/,
    ],
    [
      "a rule that does nothing",
      { description: "d", rules: [{ vendor: "dqe" }] },
      /rules\.0: a rule needs error, status, fault or delayMs/,
    ],
    ["a bad fault", { description: "d", rules: [{ vendor: "dqe", fault: "explode" }] }, /rules\.0\.fault/],
    [
      "a header name no HTTP message can carry",
      { description: "d", rules: [{ vendor: "dqe", status: 503, headers: { "bad header": "x" } }] },
      /rules\.0\.headers\.bad header: a header name is letters/,
    ],
    [
      "a header value with a line break",
      { description: "d", rules: [{ vendor: "dqe", status: 503, headers: { "X-A": "1\r\nSet-Cookie: x" } }] },
      /rules\.0\.headers\.X-A: a header value holds no line break/,
    ],
  ])("stop the start with a message naming the file and field for %s", async (_, content, message) => {
    const dir = await mkdtemp(join(tmpdir(), "scenarios-"));
    await writeFile(join(dir, "bad.json"), JSON.stringify(content));
    const error = createDeps(parseConfig({ scenariosDir: dir }));
    await expect(error).rejects.toThrow(/scenario file .*bad\.json/);
    await expect(createDeps(parseConfig({ scenariosDir: dir }))).rejects.toThrow(message);
  });
});
