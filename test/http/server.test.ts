import { createAdaptorServer } from "@hono/node-server";
import { createRemoteJWKSet, jwtVerify } from "jose";
import request from "supertest";
import { afterEach, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../src/index.js";
import { testSandbox } from "../helpers/sandbox.js";

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const auth = `Basic ${Buffer.from("sandbox-client:sandbox-secret").toString("base64")}`;

describe("createSandbox over a real socket", () => {
  it("issues a Sardine token that jose verifies against the sandbox's JWKS, unchanged", async () => {
    sandbox = await createSandbox({ port: 0 });
    expect(sandbox.url).toBe(`http://127.0.0.1:${sandbox.port}`);
    const res = await fetch(`${sandbox.url}/sardine/v1/identity-documents/tokens`, {
      method: "POST",
      headers: { authorization: auth, "content-type": "application/json" },
      body: JSON.stringify({ sessionKey: "socket-session" }),
    });
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    const issuer = `${sandbox.url}/sardine/au10tix/oauth2/aus3sandbox5sbe9WD8V357`;
    const jwks = createRemoteJWKSet(new URL(`${issuer}/v1/keys`));
    const { payload } = await jwtVerify(access_token, jwks, { issuer, audience: "au10tix" });
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it("exposes the clock and the state, and reset forgets it", async () => {
    sandbox = await createSandbox({ port: 0 });
    await fetch(`${sandbox.url}/sardine/v1/identity-documents/tokens`, {
      method: "POST",
      headers: { authorization: auth },
      body: JSON.stringify({ sessionKey: "s" }),
    });
    // The token, its trace (what the admin API lists once it has ended) and the verification it started.
    expect((await sandbox.state.store.stats()).size).toBe(3);
    await sandbox.reset();
    expect((await sandbox.state.store.stats()).size).toBe(0);
    const before = sandbox.clock.now();
    sandbox.clock.advance(3600);
    expect(sandbox.clock.now() - before).toBeGreaterThanOrEqual(3_600_000);
    const clock = await (await fetch(`${sandbox.url}/__admin/clock`)).json();
    expect(Date.parse((clock as { now: string }).now)).toBeGreaterThanOrEqual(before + 3_600_000);
  });

  it("refuses an invalid option with a ConfigError naming the field", async () => {
    await expect(createSandbox({ port: 0, cors: { origins: [""] } })).rejects.toThrow(/cors\.origins\.0/);
  });
});

describe("CORS", () => {
  it("answers a browser preflight from any origin by default, and the request itself", async () => {
    const { app } = await testSandbox();
    const server = createAdaptorServer({ fetch: app.fetch });
    const preflight = await request(server)
      .options("/sardine/v1/identity-documents/tokens")
      .set("Origin", "http://localhost:3000")
      .set("Access-Control-Request-Method", "POST")
      .set("Access-Control-Request-Headers", "authorization, content-type");
    expect(preflight.status).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
    expect(preflight.headers["access-control-allow-headers"]).toMatch(/authorization/);
    const actual = await request(server)
      .post("/sardine/v1/identity-documents/tokens")
      .set("Origin", "http://localhost:3000")
      .set("Authorization", auth)
      .send({ sessionKey: "s" });
    expect(actual.status).toBe(200);
    expect(actual.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
    const error = await request(server)
      .post("/sardine/v1/identity-documents/tokens")
      .set("Origin", "http://x.test");
    expect(error.status).toBe(401);
    expect(error.headers["access-control-allow-origin"]).toBe("http://x.test");
  });

  it("allows only the configured origins when given a list", async () => {
    const { app } = await testSandbox({ cors: { origins: ["http://localhost:3000"] } });
    const server = createAdaptorServer({ fetch: app.fetch });
    const allowed = await request(server).get("/__admin/health").set("Origin", "http://localhost:3000");
    expect(allowed.headers["access-control-allow-origin"]).toBe("http://localhost:3000");
    const other = await request(server).get("/__admin/health").set("Origin", "http://evil.test");
    expect(other.headers["access-control-allow-origin"]).toBeUndefined();
  });
});
