import { describe, expect, it } from "vitest";
import { form, json, testSandbox } from "../helpers/sandbox.js";
import { authorize, pkce, signedPost } from "../helpers/sumsub.js";

const DQE_OK =
  "/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE";

describe("rate limits", () => {
  it("take a vendor's entry in the config in place of its own limits: a * there covers every method", async () => {
    const sandbox = await testSandbox({
      rateLimits: { enabled: true, limits: { sumsub: { "*": { limit: 1, windowSeconds: 60 } } } },
    });
    const token = () => sandbox.request("/sumsub/api/snsId/oauth/token", form({ grant_type: "password" }));
    expect((await token()).status).toBe(401);
    const limited = await token();
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({
      error: "temporarily_unavailable",
      error_description: "rate limit of 1 per 60 s exceeded",
    });
    expect((await sandbox.request("/sumsub/.well-known/jwks.json")).status).toBe(429);
  });

  it("are off by default", async () => {
    const sandbox = await testSandbox();
    for (let i = 0; i < 60; i++) expect((await sandbox.request(DQE_OK)).status).toBe(200);
  });

  it("answer 429 in the vendor's format with Retry-After past Sumsub's documented 50 POSTs per 5 s, and recover after the window", async () => {
    const sandbox = await testSandbox({ rateLimits: { enabled: true } });
    const post = () => signedPost(sandbox, "/resources/accessTokens/sumsubIdShareToken", {});
    for (let i = 0; i < 50; i++) expect((await post()).status).toBe(400);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("5");
    expect(await limited.json()).toMatchObject({
      code: 429,
      description: "rate limit of 50 per 5 s exceeded",
    });
    // GET has its own, larger budget.
    expect((await sandbox.request("/sumsub/.well-known/openid-configuration")).status).toBe(200);
    sandbox.clock.advance(3);
    expect((await post()).headers.get("retry-after")).toBe("2");
    sandbox.clock.advance(2);
    expect((await post()).status).toBe(400);
  });

  it("count per credential", async () => {
    const sandbox = await testSandbox({
      rateLimits: { enabled: true, limits: { dqe: { "*": { limit: 2, windowSeconds: 10 } } } },
    });
    const other = DQE_OK.replace("SANDBOX-LICENCE", "SANDBOX-NO-CREDITS");
    expect((await sandbox.request(DQE_OK)).status).toBe(200);
    expect((await sandbox.request(DQE_OK)).status).toBe(200);
    const limited = await sandbox.request(DQE_OK);
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({ status: "error", error_type: "too many requests" });
    expect((await sandbox.request(other)).status).toBe(400);
    // A POST form counts against the licence it names.
    const posted = await sandbox.request(
      "/dqe/ACCESS_TOKEN/",
      form({ licence: "SANDBOX-LICENCE", client_secret: "sandbox-secret", grant_type: "client_idmobile" }),
    );
    expect(posted.status).toBe(429);
  });

  it("are turned on by the rate-limited scenario", async () => {
    const sandbox = await testSandbox({ scenarios: ["rate-limited"] });
    const statuses: number[] = [];
    for (let i = 0; i < 51; i++) statuses.push((await sandbox.request(DQE_OK)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe("journal", () => {
  it("records every request with its vendor, route, status and scenario, secrets redacted", async () => {
    const sandbox = await testSandbox();
    await sandbox.request(DQE_OK);
    await sandbox.request(DQE_OK, { headers: { "x-sandbox-scenario": "dqe-credits-exhausted" } });
    await sandbox.request("/sardine/v1/identity-documents/tokens", json({ sessionKey: "s" }));
    const { requests } = await (await sandbox.request("/__admin/requests?vendor=dqe")).json();
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      method: "GET",
      vendor: "dqe",
      route: "GET /ACCESS_TOKEN/",
      status: 400,
      scenario: "dqe-credits-exhausted",
      namespace: "default",
      time: "2026-01-01T00:00:00.000Z",
    });
    expect(requests[1].path).toBe(
      "/dqe/ACCESS_TOKEN/?client_secret=%5Bredacted%5D&grant_type=client_idmobile&licence=%5Bredacted%5D",
    );
    const text = JSON.stringify(await (await sandbox.request("/__admin/requests")).json());
    expect(text).not.toContain("sandbox-secret");
    expect(text).not.toContain("SANDBOX-LICENCE");
  });

  it("filters by status, route, since and limit, and can be cleared", async () => {
    const sandbox = await testSandbox();
    for (let i = 0; i < 5; i++) await sandbox.request(DQE_OK);
    await sandbox.request("/dqe/ACCESS_TOKEN/");
    const q = async (query: string) =>
      (await (await sandbox.request(`/__admin/requests?${query}`)).json()).requests;
    expect(await q("status=400")).toHaveLength(1);
    expect(await q("limit=2")).toHaveLength(2);
    const [latest] = await q("limit=1");
    expect(await q(`since=${latest.id - 3}`)).toHaveLength(4);
    expect(await q(`vendor=dqe&route=${encodeURIComponent("GET /ACCESS_TOKEN/")}`)).toHaveLength(6);
    // Route names only: a raw path, which could probe redacted values a character at a time, is refused.
    const probe = await sandbox.request(
      `/__admin/requests?route=${encodeURIComponent("/dqe/ACCESS_TOKEN/?c")}`,
    );
    expect(probe.status).toBe(400);
    expect((await probe.json()).message).toMatch(/is not a route name/);
    await sandbox.request("/__admin/requests", { method: "DELETE" });
    expect(await q("vendor=dqe")).toHaveLength(0);
  });

  it("stays bounded", async () => {
    const sandbox = await testSandbox({ journal: { size: 5 } });
    for (let i = 0; i < 12; i++) await sandbox.request(DQE_OK);
    const { requests } = await (await sandbox.request("/__admin/requests?vendor=dqe")).json();
    expect(requests.map((r: { id: number }) => r.id)).toEqual([12, 11, 10, 9, 8]);
  });

  it("shows tokens and sessions with redacted values", async () => {
    const sandbox = await testSandbox();
    const { access_token } = await (await sandbox.request(DQE_OK)).json();
    const { verifier, challenge } = pkce();
    const code = await authorize(sandbox, { scope: "share", challenge });
    await signedPost(sandbox, "/resources/snsId/api/connect/token", {
      grant_type: "authorization_code",
      code,
      codeVerifier: verifier,
    });
    const text = JSON.stringify(await (await sandbox.request("/__admin/tokens")).json());
    expect(text).not.toContain(access_token);
    expect(text).toContain(`${access_token.slice(0, 8)}…[redacted]`);
    expect(text).toContain('"kind":"sumsub.access"');
  });
});

describe("admin token", () => {
  it("guards every admin call but health", async () => {
    const sandbox = await testSandbox({ adminToken: "s3cret" });
    expect((await sandbox.request("/__admin/health")).status).toBe(200);
    const refused = await sandbox.request("/__admin/clock");
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(
      (await sandbox.request("/__admin/reset", { method: "POST", headers: { authorization: "Bearer nope" } }))
        .status,
    ).toBe(401);
    expect(
      (await sandbox.request("/__admin/clock", { headers: { authorization: "Bearer s3cret" } })).status,
    ).toBe(200);
    // Vendor routes are not admin routes.
    expect((await sandbox.request(DQE_OK)).status).toBe(200);
  });
});
