import { beforeEach, describe, expect, it } from "vitest";
import { validAccessToken } from "../../src/providers/dqe/index.js";
import { tokenResponseSchema } from "../../src/providers/dqe/schemas.js";
import { form, T0, testSandbox, type TestSandbox } from "../helpers/sandbox.js";

const LICENCE = "SANDBOX-LICENCE";
const SECRET = "sandbox-secret";

let sandbox: TestSandbox;
beforeEach(async () => {
  sandbox = await testSandbox();
});
const ns = () => sandbox.deps.namespaces.default;

/** Sends `query` the way the vendor page writes it: as a GET query, or as the same fields form-encoded. */
function send(method: "GET" | "POST", path: string, query: string): Promise<Response> {
  if (method === "GET") return sandbox.request(`${path}?${query}`);
  return sandbox.request(path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: query,
  });
}

const invalidRequest = { status: "error", error_id: "01", error_type: "invalid request" };

// Every row of the vendor's error table, with the request exactly as the vendor page writes it.
const errorTable: [string, string, number, unknown][] = [
  ["missing licence", "client_secret=abcd&grant_type=client_idmobile", 400, invalidRequest],
  ["empty licence", "client_secret=abcd&grant_type=client_idmobile&licence=", 400, invalidRequest],
  [
    "incorrect licence value",
    "client_secret=abcd&grant_type=client_idmobile&licence=INCORRECT-LICENCE",
    400,
    { status: "error", error_id: "22", error_type: "invalid client" },
  ],
  ["missing client_secret", `grant_type=client_idmobile&licence=${LICENCE}`, 400, invalidRequest],
  [
    "empty client_secret",
    `client_secret=&grant_type=client_idmobile&licence=${LICENCE}`,
    400,
    invalidRequest,
  ],
  ["missing grant_type", `client_secret=abcd&licence=${LICENCE}`, 400, invalidRequest],
  [
    "incorrect grant_type",
    `client_secret=${SECRET}&grant_type=password&licence=${LICENCE}`,
    400,
    invalidRequest,
  ],
  [
    "parameter typo",
    `client_scret=abcd&grant_type=client_idmobile&licence=${LICENCE}`,
    500,
    { status: "error", error_type: "internal server error" },
  ],
  [
    "wrong client_secret for a known licence",
    `client_secret=abcd&grant_type=client_idmobile&licence=${LICENCE}`,
    400,
    { status: "error", error_id: "03", error_type: "invalid client secret" },
  ],
  [
    "a licence whose credits are exhausted",
    `client_secret=${SECRET}&grant_type=client_idmobile&licence=SANDBOX-NO-CREDITS`,
    400,
    { status: "error", error_id: "98", error_type: "credits exhausted" },
  ],
];

describe.each(["GET", "POST"] as const)("DQE %s /ACCESS_TOKEN/", (method) => {
  it("issues the documented token shape, recorded in the state with expiry on the clock", async () => {
    const res = await send(
      method,
      "/dqe/ACCESS_TOKEN/",
      `client_secret=${SECRET}&grant_type=client_idmobile&licence=${LICENCE}`,
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body)).toEqual(["access_token", "token_type", "expires_in", "refresh_token"]);
    expect(tokenResponseSchema.parse(body)).toEqual(body);
    expect(body.expires_in).toBe("300");
    expect(body.token_type).toBe("Bearer");
    expect(body.access_token).toMatch(/^TK[0-9a-f]{20}[A-Za-z0-9]{24}$/);
    expect(body.refresh_token).toMatch(/^\*TK[0-9a-f]{21}[A-Za-z0-9]{26}$/);

    expect(await validAccessToken(ns(), body.access_token)).toEqual({
      licence: LICENCE,
      expiresAt: T0 + 300_000,
    });
    sandbox.clock.advance(299);
    expect(await validAccessToken(ns(), body.access_token)).toBeDefined();
    sandbox.clock.advance(1);
    expect(await validAccessToken(ns(), body.access_token)).toBeUndefined();
  });

  it.each(errorTable)("%s → the documented status and DQE's error body", async (_, query, status, body) => {
    const res = await send(method, "/dqe/ACCESS_TOKEN/", query);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual(body);
    expect((await ns().store.stats()).size).toBe(0);
  });

  it("answers without the trailing slash too", async () => {
    const res = await send(
      method,
      "/dqe/ACCESS_TOKEN",
      `client_secret=${SECRET}&grant_type=client_idmobile&licence=${LICENCE}`,
    );
    expect(res.status).toBe(200);
  });
});

describe("DQE request edge cases", () => {
  it("treats a POST with a JSON body as one with no fields: invalid request, no crash", async () => {
    const res = await sandbox.request("/dqe/ACCESS_TOKEN/", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ licence: LICENCE, client_secret: SECRET, grant_type: "client_idmobile" }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(invalidRequest);
  });

  it("treats a POST with no content type as one with no fields", async () => {
    const res = await sandbox.request("/dqe/ACCESS_TOKEN/", {
      method: "POST",
      body: `licence=${LICENCE}&client_secret=${SECRET}&grant_type=client_idmobile`,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(invalidRequest);
  });

  it("takes the last value of a repeated field, as the vendor's form parser does", async () => {
    const res = await sandbox.request(
      `/dqe/ACCESS_TOKEN/?licence=nobody&licence=${LICENCE}&client_secret=${SECRET}&grant_type=client_idmobile`,
    );
    expect(res.status).toBe(200);
  });

  it("answers other methods and unknown paths with 404 in DQE's format", async () => {
    const res = await sandbox.request("/dqe/ACCESS_TOKEN/", { method: "PUT" });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ status: "error", error_type: "not found" });
  });
});

describe.each(["GET", "POST"] as const)("DQE %s /oauth/ACCESS_TOKEN/ (refresh)", (method) => {
  async function issue() {
    const res = await sandbox.request(
      "/dqe/ACCESS_TOKEN/",
      form({ licence: LICENCE, client_secret: SECRET, grant_type: "client_idmobile" }),
    );
    return (await res.json()) as { access_token: string; refresh_token: string };
  }
  const refresh = (access: string, refreshToken: string, scope = "refresh_token") =>
    send(
      method,
      "/dqe/oauth/ACCESS_TOKEN/",
      new URLSearchParams({ access_token: access, refresh_token: refreshToken, scope }).toString(),
    );
  const invalidToken = { status: "error", error_id: "30", error_type: "invalid or expired token" };

  it("gives a new pair, even after the access token expired, and retires the old one", async () => {
    const first = await issue();
    sandbox.clock.advance(400);
    const res = await refresh(first.access_token, first.refresh_token);
    expect(res.status).toBe(200);
    const second = tokenResponseSchema.parse(await res.json());
    expect(second.access_token).not.toBe(first.access_token);
    expect(await validAccessToken(ns(), second.access_token)).toEqual({
      licence: LICENCE,
      expiresAt: T0 + 700_000,
    });
    expect((await refresh(first.access_token, first.refresh_token)).status).toBe(401);
  });

  it("refuses the refresh token after 10 minutes on the clock", async () => {
    const first = await issue();
    sandbox.clock.advance(600);
    const res = await refresh(first.access_token, first.refresh_token);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(invalidToken);
  });

  it("refuses an unknown refresh token, and one presented with another access token", async () => {
    const a = await issue();
    const b = await issue();
    expect(await (await refresh(a.access_token, "*TKunknown")).json()).toEqual(invalidToken);
    const mismatch = await refresh(b.access_token, a.refresh_token);
    expect(mismatch.status).toBe(401);
    expect(await mismatch.json()).toEqual(invalidToken);
    // A refused attempt does not burn the refresh token for its rightful owner.
    expect((await refresh(a.access_token, a.refresh_token)).status).toBe(200);
  });

  it("needs scope=refresh_token and every field; unknown fields are a 500", async () => {
    const a = await issue();
    const wrongScope = await refresh(a.access_token, a.refresh_token, "openid");
    expect(wrongScope.status).toBe(400);
    expect(await wrongScope.json()).toEqual(invalidRequest);
    const typo = await send(
      method,
      "/dqe/oauth/ACCESS_TOKEN/",
      `acess_token=x&refresh_token=${encodeURIComponent(a.refresh_token)}&scope=refresh_token`,
    );
    expect(typo.status).toBe(500);
  });
});
