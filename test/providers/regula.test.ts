import { beforeEach, describe, expect, it } from "vitest";
import {
  deeplinkResponseSchema,
  ephemeralResponseSchema,
  sessionResponseSchema,
} from "../../src/providers/regula/schemas.js";
import { BASE, json, T0, testSandbox, type TestSandbox } from "../helpers/sandbox.js";

const KEY = { authorization: "ApiKey sandbox-api-key" };
const READONLY = { authorization: "ApiKey sandbox-readonly-key" };

let sandbox: TestSandbox;
beforeEach(async () => {
  sandbox = await testSandbox();
});

const deeplink = (query: string, body: unknown = {}, headers: Record<string, string> = KEY) =>
  sandbox.request(`/regula/api/v1/deeplink?${query}`, json(body, headers));

async function newSession(body: unknown = {}, query = "workflowId=wf-document") {
  const res = await deeplink(query, body);
  expect(res.status).toBe(200);
  const link = deeplinkResponseSchema.parse(await res.json());
  const url = new URL(link.url);
  return {
    link,
    url,
    sessionId: url.searchParams.get("sessionId")!,
    authorization: url.searchParams.get("authorization")!,
  };
}

describe("Regula POST /api/v1/deeplink", () => {
  it("answers the vendor's shape with a hand-off URL under the public URL, times on the clock", async () => {
    const res = await deeplink("workflowId=wf-document", {
      metadata: { foo: "bar" },
      locale: "ru-ru",
      ttl: 3600,
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(Object.keys(body)).toEqual(["url", "createdAt", "expiresAt", "workflowIds"]);
    expect(body).toMatchObject({
      createdAt: "2026-01-01T00:00:00.000Z",
      expiresAt: "2026-01-01T01:00:00.000Z",
      workflowIds: ["wf-document"],
    });
    expect(body.url).toMatch(
      new RegExp(`^${BASE}/regula/mobile\\?authorization=Token%20[A-Za-z0-9_-]{48}&sessionId=[0-9a-f-]{36}$`),
    );
  });

  it("defaults metadata {}, locale null and ttl 3600 for an empty body", async () => {
    const res = await sandbox.request("/regula/api/v1/deeplink?workflowId=wf-selfie", {
      method: "POST",
      headers: KEY,
    });
    expect(res.status).toBe(200);
    const { expiresAt, url } = await res.json();
    expect(expiresAt).toBe("2026-01-01T01:00:00.000Z");
    const sessionId = new URL(url).searchParams.get("sessionId");
    const session = await (
      await sandbox.request(`/regula/api/sessions/${sessionId}`, { headers: KEY })
    ).json();
    expect(session).toMatchObject({
      metadata: {},
      locale: null,
      workflowIds: ["wf-selfie"],
      status: "created",
    });
  });

  it("lists every repeated workflowId", async () => {
    const { link } = await newSession({}, "workflowId=wf-document&workflowId=wf-selfie");
    expect(link.workflowIds).toEqual(["wf-document", "wf-selfie"]);
  });

  it("matches the ApiKey scheme in any case", async () => {
    expect(
      (await deeplink("workflowId=wf-document", {}, { authorization: "Apikey sandbox-api-key" })).status,
    ).toBe(200);
    expect(
      (await deeplink("workflowId=wf-document", {}, { authorization: "APIKEY sandbox-api-key" })).status,
    ).toBe(200);
  });

  it.each([
    ["no Authorization", {}, 401, "Unauthorized: missing or unknown API key"],
    ["an unknown key", { authorization: "ApiKey nope" }, 401, "Unauthorized: missing or unknown API key"],
    [
      "another scheme",
      { authorization: "Bearer sandbox-api-key" },
      401,
      "Unauthorized: missing or unknown API key",
    ],
    [
      "a key without deeplink:write",
      READONLY,
      403,
      "Forbidden: the API key lacks the deeplink:write permission",
    ],
  ])("%s → %i", async (_, headers, status, message) => {
    const res = await deeplink("workflowId=wf-document", {}, headers);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ message });
  });

  it.each([
    ["no workflowId", "", 400, "workflowId is required"],
    ["an empty workflowId", "workflowId=", 400, "workflowId is required"],
    [
      "an unknown workflowId",
      "workflowId=wf-document&workflowId=wf-nope",
      404,
      "workflow not found: wf-nope",
    ],
  ])("%s → %i", async (_, query, status, message) => {
    const res = await deeplink(query);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ message });
  });

  it.each([
    ["ttl 0", { ttl: 0 }, "ttl must be at least 1"],
    ["a negative ttl", { ttl: -5 }, "ttl must be at least 1"],
    ["an absurd ttl", { ttl: 2_592_001 }, "ttl must be at most 2592000"],
    ["a fractional ttl", { ttl: 1.5 }, "ttl must be of type int"],
    ["a string ttl", { ttl: "3600" }, "ttl must be of type number"],
    ["metadata that is not an object", { metadata: [1] }, "metadata must be of type record"],
    ["a numeric locale", { locale: 7 }, "locale must be of type string"],
    ["an unknown field", { tll: 60 }, "unknown field tll"],
    ["malformed JSON", "{", "body is not valid JSON"],
  ])("400 naming the field for %s", async (_, body, message) => {
    const res = await deeplink("workflowId=wf-document", body);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message });
    expect((await sandbox.deps.namespaces.default.store.stats()).size).toBe(0);
  });

  it("accepts the largest ttl", async () => {
    const { link } = await newSession({ ttl: 2_592_000 });
    expect(link.expiresAt).toBe("2026-01-31T00:00:00.000Z");
  });
});

describe("Regula GET /api/sessions/{id}", () => {
  it("returns the session to a key with session:read, and expired once the clock passes expiresAt", async () => {
    const { sessionId } = await newSession({ metadata: { userId: 7 }, locale: "en-us", ttl: 60 });
    const read = async () => {
      const res = await sandbox.request(`/regula/api/sessions/${sessionId}`, { headers: READONLY });
      expect(res.status).toBe(200);
      return sessionResponseSchema.parse(await res.json());
    };
    expect(await read()).toEqual({
      id: sessionId,
      workflowIds: ["wf-document"],
      metadata: { userId: 7 },
      locale: "en-us",
      status: "created",
      createdAt: "2026-01-01T00:00:00.000Z",
      expiresAt: "2026-01-01T00:01:00.000Z",
      properties: {},
      files: [],
    });
    sandbox.clock.advance(60);
    expect((await read()).status).toBe("expired");
  });

  it("404 for an unknown id; 401 without a key", async () => {
    const missing = await sandbox.request("/regula/api/sessions/nope", { headers: KEY });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: "session not found" });
    expect((await sandbox.request("/regula/api/sessions/nope")).status).toBe(401);
  });
});

describe("Regula hand-off page", () => {
  it("opens as an HTML page showing the session, with buttons to finish it", async () => {
    const { link, sessionId } = await newSession({
      metadata: { note: "<script>alert(1)</script>" },
      locale: "de-de",
    });
    const res = await sandbox.request(link.url);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain(`<dd id="session-id">${sessionId}</dd>`);
    expect(page).toContain("wf-document");
    expect(page).toContain("de-de");
    expect(page).toContain('<dd class="status" id="status">created</dd>');
    expect(page).not.toContain("<script>alert(1)</script>");
    expect(page).toContain("&lt;script&gt;");
    expect(page).not.toMatch(/(src|href)="https?:/);
    for (const status of ["completed", "failed", "cancelled"]) expect(page).toContain(`value="${status}"`);
  });

  it("finishing changes the session's status, seen through the API, and only once", async () => {
    const { authorization, sessionId } = await newSession();
    const finish = (status: string) =>
      sandbox.request("/regula/mobile/finish", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ authorization, sessionId, status }).toString(),
      });
    const res = await finish("failed");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(
      `../mobile?authorization=${encodeURIComponent(authorization)}&sessionId=${sessionId}`,
    );
    const session = await (
      await sandbox.request(`/regula/api/sessions/${sessionId}`, { headers: KEY })
    ).json();
    expect(session.status).toBe("failed");
    const again = await finish("completed");
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("This session is already finished.");
    sandbox.clock.advance(7200);
    const later = await (await sandbox.request(`/regula/api/sessions/${sessionId}`, { headers: KEY })).json();
    expect(later.status).toBe("failed");
  });

  it("refuses an unknown finish status with 400", async () => {
    const { authorization, sessionId } = await newSession();
    const res = await sandbox.request("/regula/mobile/finish", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ authorization, sessionId, status: "approved" }).toString(),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    // The link's token is checked first: a wrong one is the 401 page, whatever the status says.
    const wrong = await sandbox.request("/regula/mobile/finish", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ authorization: "Token nope", sessionId, status: "approved" }).toString(),
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain("This link is invalid or has expired.");
  });

  it("shows a 401 error page for a wrong token, another session's token, a missing token, or an expired session", async () => {
    const a = await newSession({ ttl: 120 });
    const b = await newSession();
    const open = (authorization: string | undefined, sessionId: string) =>
      sandbox.request(
        `/regula/mobile?${new URLSearchParams({ ...(authorization === undefined ? {} : { authorization }), sessionId })}`,
      );
    for (const res of [
      await open("Token wrong", a.sessionId),
      await open(b.authorization, a.sessionId),
      await open(undefined, a.sessionId),
      await open(a.authorization.replace("Token ", "Bearer "), a.sessionId),
    ]) {
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await res.text()).toContain("This link is invalid or has expired.");
    }
    expect((await open(a.authorization, a.sessionId)).status).toBe(200);
    sandbox.clock.advance(120);
    expect((await open(a.authorization, a.sessionId)).status).toBe(401);
  });
});

describe("Regula older flow: ephemeral device token, then a session", () => {
  it("issues a device token with a bare key, starts one session with it, and the token opens the hand-off page", async () => {
    const res = await sandbox.request(
      "/regula/api/device/ephemeral",
      json({ ttl: 600 }, { authorization: "sandbox-api-key" }),
    );
    expect(res.status).toBe(200);
    const { authorization } = ephemeralResponseSchema.parse(await res.json());
    sandbox.clock.advance(100);
    const start = () =>
      sandbox.request(
        "/regula/api/sessions?workflowId=wf-selfie",
        json({ metadata: { flow: "old" } }, { authorization }),
      );
    const created = await start();
    expect(created.status).toBe(200);
    const session = sessionResponseSchema.parse(await created.json());
    expect(session).toMatchObject({
      workflowIds: ["wf-selfie"],
      metadata: { flow: "old" },
      locale: null,
      status: "created",
      createdAt: new Date(T0 + 100_000).toISOString(),
      expiresAt: new Date(T0 + 600_000).toISOString(),
    });
    const page = await sandbox.request(
      `/regula/mobile?authorization=${encodeURIComponent(authorization)}&sessionId=${session.id}`,
    );
    expect(page.status).toBe(200);
    const reused = await start();
    expect(reused.status).toBe(401);
  });

  it("refuses an unknown key, a read-only key and an expired device token", async () => {
    expect(
      (await sandbox.request("/regula/api/device/ephemeral", json({}, { authorization: "nope" }))).status,
    ).toBe(401);
    expect(
      (
        await sandbox.request(
          "/regula/api/device/ephemeral",
          json({}, { authorization: "sandbox-readonly-key" }),
        )
      ).status,
    ).toBe(403);
    const { authorization } = await (
      await sandbox.request(
        "/regula/api/device/ephemeral",
        json({ ttl: 5 }, { authorization: "ApiKey sandbox-api-key" }),
      )
    ).json();
    sandbox.clock.advance(5);
    const res = await sandbox.request(
      "/regula/api/sessions?workflowId=wf-selfie",
      json({}, { authorization }),
    );
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: "Unauthorized: missing, unknown or used device token" });
  });
});
