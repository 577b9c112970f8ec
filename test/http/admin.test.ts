import { describe, expect, it } from "vitest";
import { json, T0, testSandbox } from "../helpers/sandbox.js";

describe("/__admin", () => {
  it("health", async () => {
    const { request } = await testSandbox();
    const res = await request("/__admin/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("reads, advances, sets and freezes the clock", async () => {
    const { request, clock } = await testSandbox();
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
    expect(clock.now()).toBe(T0 + 90_000);
    await request("/__admin/clock", json({ set: "2030-05-06T07:08:09.000Z" }));
    expect(clock.now()).toBe(Date.parse("2030-05-06T07:08:09.000Z"));
    const thawed = await request("/__admin/clock", json({ freeze: false }));
    expect((await thawed.json()).frozen).toBe(false);
    expect(clock.frozen).toBe(false);
  });

  it.each([[{ advance: "soon" }], [{ set: "yesterday" }], [{ freeze: 1 }], [{}], ["not json"]])(
    "400 for a bad clock change %j",
    async (body) => {
      const { request, clock } = await testSandbox();
      const res = await request("/__admin/clock", json(body));
      expect(res.status).toBe(400);
      expect((await res.json()).error).toBe("invalid_request");
      expect(clock.now()).toBe(T0);
    },
  );

  it("reset forgets all state", async () => {
    const { request, deps } = await testSandbox();
    await request(
      "/sardine/v1/identity-documents/tokens",
      json(
        { sessionKey: "s" },
        { authorization: `Basic ${Buffer.from("sandbox-client:sandbox-secret").toString("base64")}` },
      ),
    );
    expect(deps.namespaces.default.store.size).toBe(1);
    const res = await request("/__admin/reset", { method: "POST" });
    expect(res.status).toBe(200);
    expect(deps.namespaces.default.store.size).toBe(0);
  });

  it("unknown admin paths are 404 in the plain format", async () => {
    const { request } = await testSandbox();
    const res = await request("/__admin/nothing");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "not_found", message: "no route for GET /__admin/nothing" });
  });
});
