import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { basic, form, HEALTHY, json, T0, testSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { authorize, CLIENT_ID, CLIENT_SECRET, pkce, REDIRECT_URI } from "../helpers/sumsub.js";

describe("/__admin", () => {
  it("health", async () => {
    const { request } = await testSandbox();
    const res = await request("/__admin/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(HEALTHY);
  });

  it("reads, advances, sets and freezes the namespace's clock, and lets it follow the sandbox's again", async () => {
    const { request, clock, deps } = await testSandbox();
    const own = deps.namespaces.default.clock;
    expect(await (await request("/__admin/clock")).json()).toEqual({
      now: "2026-01-01T00:00:00.000Z",
      frozen: true,
      namespace: "default",
    });
    const advanced = await request("/__admin/clock", json({ advance: 90 }));
    expect(await advanced.json()).toEqual({
      now: "2026-01-01T00:01:30.000Z",
      frozen: true,
      namespace: "default",
    });
    expect(own.now()).toBe(T0 + 90_000);
    expect(clock.now()).toBe(T0); // the sandbox's clock, which the namespace's follows, did not move
    clock.advance(10); // …and moving it moves every namespace's
    expect(own.now()).toBe(T0 + 100_000);
    await request("/__admin/clock", json({ set: "2030-05-06T07:08:09.000Z" }));
    expect(own.now()).toBe(Date.parse("2030-05-06T07:08:09.000Z"));
    await request("/__admin/clock", json({ freeze: true }));
    clock.advance(5);
    expect(own.now()).toBe(Date.parse("2030-05-06T07:08:09.000Z")); // frozen on its own
    const real = await request("/__admin/clock", json({ real: true }));
    expect(await real.json()).toEqual({
      now: "2026-01-01T00:00:15.000Z",
      frozen: true,
      namespace: "default",
    });
    expect(own.now()).toBe(clock.now());
  });

  it.each([
    [{ advance: "soon" }],
    [{ set: "yesterday" }],
    [{ freeze: 1 }],
    [{ real: false }],
    [{}],
    ["not json"],
  ])("400 for a bad clock change %j", async (body) => {
    const { request, deps } = await testSandbox();
    const res = await request("/__admin/clock", json(body));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe("invalid_request");
    expect(deps.namespaces.default.clock.now()).toBe(T0);
  });

  it("reset forgets all state", async () => {
    const { request, deps } = await testSandbox();
    await request(
      "/sardine/v1/identity-documents/tokens",
      json(
        { sessionKey: "s" },
        { authorization: `Basic ${Buffer.from("sandbox-client:sandbox-secret").toString("base64")}` },
      ),
    );
    // The token, its trace (what the admin API lists once it has ended) and the verification it started.
    expect((await deps.namespaces.default.store.stats()).size).toBe(3);
    const res = await request("/__admin/reset", { method: "POST" });
    expect(res.status).toBe(200);
    expect((await deps.namespaces.default.store.stats()).size).toBe(0);
  });

  it("lists sessions and verifications with their status and the facts they carry", async () => {
    const { request } = await testSandbox();
    await request(
      "/regula/api/v1/deeplink?workflowId=wf-document",
      json(
        { metadata: { order: "o-1" }, locale: "fr-fr", ttl: 60 },
        { authorization: "ApiKey sandbox-api-key" },
      ),
    );
    await request(
      "/sardine/v1/identity-documents/tokens",
      json(
        { sessionKey: "s-1", customerId: "c-1" },
        { authorization: `Basic ${Buffer.from("sandbox-client:sandbox-secret").toString("base64")}` },
      ),
    );
    const { sessions } = (await (await request("/__admin/sessions")).json()) as {
      sessions: { kind: string; status?: string; context?: Record<string, unknown> }[];
    };
    expect(sessions.map(({ kind, status, context }) => ({ kind, status, context }))).toEqual([
      {
        kind: "regula.session",
        status: "created",
        context: {
          workflowIds: ["wf-document"],
          locale: "fr-fr",
          metadata: { order: "o-1" },
          expiresAt: "2026-01-01T00:01:00.000Z",
        },
      },
      {
        kind: "sardine.verification",
        status: "pending",
        context: {
          clientId: "sandbox-client",
          sessionKey: "s-1",
          customerId: "c-1",
          source: "au10tix",
          verdict: null,
        },
      },
    ]);
  });

  it("unknown admin paths are 404 in the plain format", async () => {
    const { request } = await testSandbox();
    const res = await request("/__admin/nothing");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "not_found", message: "no route for GET /__admin/nothing" });
  });
});

interface TokenRow {
  kind: string;
  id: string;
  createdAt: string;
  expiresAt: string;
  status: string;
  context?: Record<string, unknown>;
}

/** `GET /__admin/tokens` of the default namespace. */
async function listTokens(sandbox: TestSandbox): Promise<TokenRow[]> {
  const res = await sandbox.request("/__admin/tokens");
  expect(res.status).toBe(200);
  return ((await res.json()) as { tokens: TokenRow[] }).tokens;
}
/** A token as the admin API shows it. */
const shown = (token: string) => `${token.slice(0, 8)}…[redacted]`;
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const SARDINE_AUTH = { authorization: basic("sandbox-client", "sandbox-secret") };
const DQE_TOKEN =
  "/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE";
const SUMSUB_TOKEN = "/sumsub/api/snsId/oauth/token";
const SUMSUB_AUTH = { authorization: basic(CLIENT_ID, CLIENT_SECRET) };

describe("GET /__admin/tokens", () => {
  it("lists a Sardine token with whom it is for, then as expired past its lifetime, then not at all", async () => {
    const sandbox = await testSandbox();
    const res = await sandbox.request(
      "/sardine/v1/identity-documents/tokens",
      json({ sessionKey: "s-1", customerId: "c-1", platform: "ios" }, SARDINE_AUTH),
    );
    expect(res.status).toBe(200);
    const { jti } = decodeJwt((await res.json()).access_token);
    const [verification] = (
      (await (await sandbox.request("/__admin/sessions")).json()) as { sessions: TokenRow[] }
    ).sessions;
    const row = {
      kind: "sardine.token",
      id: shown(jti!),
      createdAt: at(0),
      expiresAt: at(600),
      status: "active",
      context: {
        clientId: "sandbox-client",
        sessionKey: "s-1",
        customerId: "c-1",
        provider: "au10tix",
        platform: "ios",
        verificationId: verification!.id,
      },
    };
    expect(await listTokens(sandbox)).toEqual([row]);
    sandbox.clock.advance(599);
    expect(await listTokens(sandbox)).toEqual([row]);
    sandbox.clock.advance(1);
    expect(await listTokens(sandbox)).toEqual([{ ...row, status: "expired" }]);
    // Kept an hour past its expiry, then forgotten: the list stays bounded.
    sandbox.clock.advance(3599);
    expect(await listTokens(sandbox)).toEqual([{ ...row, status: "expired" }]);
    sandbox.clock.advance(1);
    expect(await listTokens(sandbox)).toEqual([]);
  });

  it("lists a Sumsub code, then used once exchanged, its tokens, and revokes them all when the code is reused", async () => {
    const sandbox = await testSandbox();
    const { verifier, challenge } = pkce();
    const code = await authorize(sandbox, { scope: "openid email offline_access", challenge });
    const grant = { clientId: CLIENT_ID, sub: "sbx-user-0001", scope: "openid email offline_access" };
    const codeRow = {
      kind: "sumsub.code",
      id: shown(code),
      createdAt: at(0),
      expiresAt: at(300),
      status: "active",
      context: { ...grant, redirectUri: REDIRECT_URI },
    };
    expect(await listTokens(sandbox)).toEqual([codeRow]);

    const exchange = {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => sandbox.request(SUMSUB_TOKEN, form(exchange, SUMSUB_AUTH))),
    );
    // Single use holds: exactly one exchange of ten concurrent ones gets tokens, every other is refused.
    expect(results.map((r) => r.status).sort()).toEqual([200, ...Array<number>(9).fill(400)]);
    const tokens = (await results.find((r) => r.status === 200)!.json()) as {
      access_token: string;
      refresh_token: string;
    };
    // A reuse revokes what the first exchange gave (RFC 6749 §4.1.2): the tokens are listed as revoked.
    expect(await listTokens(sandbox)).toEqual([
      { ...codeRow, status: "used" },
      {
        kind: "sumsub.access",
        id: shown(tokens.access_token),
        createdAt: at(0),
        expiresAt: at(86_400),
        status: "revoked",
        context: grant,
      },
      {
        kind: "sumsub.refresh",
        id: shown(tokens.refresh_token),
        createdAt: at(0),
        expiresAt: at(2_592_000),
        status: "revoked",
        context: grant,
      },
    ]);
    // Past the code's expiry it is still listed as used, for an hour.
    sandbox.clock.advance(301);
    expect((await listTokens(sandbox))[0]).toEqual({ ...codeRow, status: "used" });
  });

  it("lists a Sumsub code as used after one exchange, whose reuse is refused once and for all", async () => {
    const sandbox = await testSandbox();
    const { verifier, challenge } = pkce();
    const code = await authorize(sandbox, { scope: "openid", challenge });
    const exchange = {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    };
    const first = await sandbox.request(SUMSUB_TOKEN, form(exchange, SUMSUB_AUTH));
    expect(first.status).toBe(200);
    const { access_token } = (await first.json()) as { access_token: string };
    const grant = { clientId: CLIENT_ID, sub: "sbx-user-0001", scope: "openid" };
    const access = {
      kind: "sumsub.access",
      id: shown(access_token),
      createdAt: at(0),
      expiresAt: at(86_400),
      status: "active",
      context: grant,
    };
    expect(await listTokens(sandbox)).toEqual([
      {
        kind: "sumsub.code",
        id: shown(code),
        createdAt: at(0),
        expiresAt: at(300),
        status: "used",
        context: { ...grant, redirectUri: REDIRECT_URI },
      },
      access,
    ]);
    for (let i = 0; i < 2; i++) {
      const again = await sandbox.request(SUMSUB_TOKEN, form(exchange, SUMSUB_AUTH));
      expect(again.status).toBe(400);
      expect(await again.json()).toEqual({
        error: "invalid_grant",
        error_description: expect.any(String) as string,
      });
    }
    expect((await listTokens(sandbox))[1]).toEqual({ ...access, status: "revoked" });
  });

  it("lists a Sumsub access token as expired once the clock passes its lifetime", async () => {
    const sandbox = await testSandbox();
    const { verifier, challenge } = pkce();
    const code = await authorize(sandbox, { scope: "openid offline_access", challenge });
    const exchange = {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    };
    const res = await sandbox.request(SUMSUB_TOKEN, form(exchange, SUMSUB_AUTH));
    const { access_token } = (await res.json()) as { access_token: string };
    const access = (rows: TokenRow[]) => rows.find((r) => r.kind === "sumsub.access");
    sandbox.clock.advance(86_399);
    expect(access(await listTokens(sandbox))?.status).toBe("active");
    sandbox.clock.advance(1);
    const rows = await listTokens(sandbox);
    expect(access(rows)).toEqual({
      kind: "sumsub.access",
      id: shown(access_token),
      createdAt: at(0),
      expiresAt: at(86_400),
      status: "expired",
      context: { clientId: CLIENT_ID, sub: "sbx-user-0001", scope: "openid offline_access" },
    });
    // The code ended (used) more than an hour ago: no longer listed.
    expect(rows.map((r) => [r.kind, r.status])).toEqual([
      ["sumsub.access", "expired"],
      ["sumsub.refresh", "active"],
    ]);
    // The vendor refuses it as before: the listing never makes an expired token valid again.
    const info = await sandbox.request("/sumsub/api/snsId/oauth/userInfo", {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(info.status).toBe(401);
  });

  it("lists a DQE pair bound to a licence without showing it; a refresh uses one and revokes the other", async () => {
    const sandbox = await testSandbox();
    const pair = (await (await sandbox.request(DQE_TOKEN)).json()) as {
      access_token: string;
      refresh_token: string;
    };
    const access = {
      kind: "dqe.access",
      id: shown(pair.access_token),
      createdAt: at(0),
      expiresAt: at(300),
      status: "active",
      context: { licence: "[redacted]", refreshToken: shown(pair.refresh_token), checkId: null },
    };
    const refresh = {
      kind: "dqe.refresh",
      id: shown(pair.refresh_token),
      createdAt: at(0),
      expiresAt: at(600),
      status: "active",
      context: { licence: "[redacted]", accessToken: shown(pair.access_token) },
    };
    expect(await listTokens(sandbox)).toEqual([access, refresh]);
    sandbox.clock.advance(10);
    const renewed = await sandbox.request(
      `/dqe/oauth/ACCESS_TOKEN/?scope=refresh_token&access_token=${pair.access_token}&refresh_token=${encodeURIComponent(pair.refresh_token)}`,
    );
    expect(renewed.status).toBe(200);
    const next = (await renewed.json()) as { access_token: string; refresh_token: string };
    const rows = await listTokens(sandbox);
    expect(rows).toEqual([
      { ...access, status: "revoked" },
      { ...refresh, status: "used" },
      {
        ...access,
        id: shown(next.access_token),
        createdAt: at(10),
        expiresAt: at(310),
        context: { ...access.context, refreshToken: shown(next.refresh_token) },
      },
      {
        ...refresh,
        id: shown(next.refresh_token),
        createdAt: at(10),
        expiresAt: at(610),
        context: { ...refresh.context, accessToken: shown(next.access_token) },
      },
    ]);
    expect(JSON.stringify(rows)).not.toContain("SANDBOX-LICENCE");
  });

  it("lists a Regula hand-off token with its session and workflows, and a device token as used once it started one", async () => {
    const sandbox = await testSandbox();
    const link = await sandbox.request(
      "/regula/api/v1/deeplink?workflowId=wf-document",
      json({ ttl: 60 }, { authorization: "ApiKey sandbox-api-key" }),
    );
    const handoff = new URL((await link.json()).url).searchParams
      .get("authorization")!
      .slice("Token ".length);
    const device = await sandbox.request(
      "/regula/api/device/ephemeral",
      json({ ttl: 600 }, { authorization: "ApiKey sandbox-api-key" }),
    );
    const deviceToken = ((await device.json()) as { authorization: string }).authorization.slice(
      "Token ".length,
    );
    const [deeplinked] = (
      (await (await sandbox.request("/__admin/sessions")).json()) as { sessions: TokenRow[] }
    ).sessions;
    const handoffRow = {
      kind: "regula.handoff",
      id: shown(handoff),
      createdAt: at(0),
      expiresAt: at(60),
      status: "active",
      context: { sessionId: deeplinked!.id, workflowIds: ["wf-document"] },
    };
    const deviceRow = {
      kind: "regula.device",
      id: shown(deviceToken),
      createdAt: at(0),
      expiresAt: at(600),
      status: "active",
      context: { ttlSeconds: 600 },
    };
    expect(await listTokens(sandbox)).toEqual([handoffRow, deviceRow]);

    sandbox.clock.advance(100);
    const started = await sandbox.request(
      "/regula/api/sessions?workflowId=wf-selfie",
      json({}, { authorization: `Token ${deviceToken}` }),
    );
    expect(started.status).toBe(200);
    const { id: sessionId } = (await started.json()) as { id: string };
    // Spent: a second start with it is refused, as before.
    const again = await sandbox.request(
      "/regula/api/sessions?workflowId=wf-selfie",
      json({}, { authorization: `Token ${deviceToken}` }),
    );
    expect(again.status).toBe(401);
    expect(await listTokens(sandbox)).toEqual([
      { ...handoffRow, status: "expired" },
      { ...deviceRow, status: "used" },
      {
        kind: "regula.handoff",
        id: shown(deviceToken),
        createdAt: at(100),
        expiresAt: at(600),
        status: "active",
        context: { sessionId, workflowIds: ["wf-selfie"] },
      },
    ]);
  });
});
