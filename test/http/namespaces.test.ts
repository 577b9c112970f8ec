import { describe, expect, it } from "vitest";
import { BASE, basic, json, testSandbox } from "../helpers/sandbox.js";

const DQE_OK =
  "/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE";
const ns = (id: string, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { ...(init.headers as Record<string, string>), "x-sandbox-namespace": id },
});

describe("namespaces", () => {
  it("keep state apart: each sees and resets only its own", async () => {
    const sandbox = await testSandbox();
    const a = await (await sandbox.request(DQE_OK, ns("a"))).json();
    await sandbox.request(DQE_OK, ns("b"));
    const tokens = async (id: string) =>
      (await (await sandbox.request("/__admin/tokens", ns(id))).json()).tokens;
    expect(await tokens("a")).toHaveLength(2);
    expect(await tokens("b")).toHaveLength(2);
    expect(await tokens("default")).toHaveLength(0);
    // b cannot refresh a's pair.
    const crossed = await sandbox.request(
      `/dqe/oauth/ACCESS_TOKEN/?scope=refresh_token&access_token=${a.access_token}&refresh_token=${encodeURIComponent(a.refresh_token)}`,
      ns("b"),
    );
    expect(crossed.status).toBe(401);
    await sandbox.request("/__admin/reset", { method: "POST", headers: { "x-sandbox-namespace": "a" } });
    expect(await tokens("a")).toHaveLength(0);
    expect(await tokens("b")).toHaveLength(2);
  });

  it("keep time apart: moving one namespace's clock leaves the others", async () => {
    const sandbox = await testSandbox();
    await sandbox.request("/__admin/clock?namespace=late", json({ advance: 3600 }));
    const late = await (await sandbox.request("/__admin/clock?namespace=late")).json();
    const other = await (await sandbox.request("/__admin/clock", ns("other"))).json();
    expect(Date.parse(late.now) - Date.parse(other.now)).toBeGreaterThanOrEqual(3_599_000);
    expect(sandbox.clock.now()).toBe(Date.parse("2026-01-01T00:00:00.000Z"));
  });

  it("keep scenarios apart: one namespace's active scenario never reaches another", async () => {
    const sandbox = await testSandbox();
    const put = await sandbox.request(
      "/__admin/scenarios/active",
      ns("w1", { ...json({ names: ["dqe-credits-exhausted"] }), method: "PUT" }),
    );
    expect(await put.json()).toEqual({ active: ["dqe-credits-exhausted"], scope: "w1" });
    expect((await sandbox.request(DQE_OK, ns("w1"))).status).toBe(400);
    expect((await sandbox.request(DQE_OK, ns("w2"))).status).toBe(200);
    expect((await sandbox.request(DQE_OK)).status).toBe(200);
  });

  it("run in parallel without seeing each other", async () => {
    const sandbox = await testSandbox();
    await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        for (let n = 0; n <= i; n++) await sandbox.request(DQE_OK, ns(`p${i}`));
      }),
    );
    for (let i = 0; i < 8; i++) {
      const { tokens } = await (await sandbox.request("/__admin/tokens", ns(`p${i}`))).json();
      expect(tokens).toHaveLength(2 * (i + 1));
    }
  });

  it("can be named by a /ns/<id> path prefix, and the URLs the sandbox issues carry it", async () => {
    const sandbox = await testSandbox();
    const res = await sandbox.request(
      "/ns/mobile-1/regula/api/v1/deeplink?workflowId=wf-document",
      json({}, { authorization: "ApiKey sandbox-api-key" }),
    );
    expect(res.status).toBe(200);
    const { url } = await res.json();
    expect(url).toMatch(new RegExp(`^${BASE}/ns/mobile-1/regula/mobile\\?authorization=Token%20`));
    // The hand-off page opens in that namespace, and only there.
    expect((await sandbox.request(url)).status).toBe(200);
    expect((await sandbox.request(url.replace("/ns/mobile-1", ""))).status).toBe(401);
    const sessions = await (await sandbox.request("/__admin/sessions", ns("mobile-1"))).json();
    expect(sessions.sessions).toHaveLength(1);
  });

  it("issue tokens whose issuer keeps the namespace, verifiable at the namespaced JWKS", async () => {
    const sandbox = await testSandbox();
    const res = await sandbox.request(
      "/ns/w9/sardine/v1/identity-documents/tokens",
      json({ sessionKey: "s" }, { authorization: basic("sandbox-client", "sandbox-secret") }),
    );
    const { access_token } = await res.json();
    const { verifyWithPublishedJwks } = await import("../helpers/sandbox.js");
    const iss = `${BASE}/ns/w9/sardine/au10tix/oauth2/aus3sandbox5sbe9WD8V357`;
    const { payload } = await verifyWithPublishedJwks(sandbox, `${iss}/v1/keys`, access_token, {
      issuer: iss,
    });
    expect(payload.iss).toBe(iss);
  });

  it("refuse an invalid id, and stay bounded in number", async () => {
    const sandbox = await testSandbox({ namespaces: { max: 3 } });
    const bad = await sandbox.request(DQE_OK, ns("white space"));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ status: "error", error_id: "01", error_type: "invalid request" });
    for (const id of ["n1", "n2", "n3", "n4", "n5"]) await sandbox.request(DQE_OK, ns(id));
    expect(sandbox.deps.namespaces.all().map((n) => n.id)).toEqual(["default", "n3", "n4", "n5"]);
  });
});
