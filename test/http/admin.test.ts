import { describe, expect, it } from "vitest";
import { json, T0, testSandbox } from "../helpers/sandbox.js";

describe("/__admin", () => {
  it("health", async () => {
    const { request } = await testSandbox();
    const res = await request("/__admin/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
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
    // The token and the verification it started.
    expect((await deps.namespaces.default.store.stats()).size).toBe(2);
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
