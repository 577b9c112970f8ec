import { describe, expect, it } from "vitest";
import { sameSecret } from "../../src/core/http.js";
import { json, testSandbox } from "../helpers/sandbox.js";
import { signedHeaders } from "../helpers/sumsub.js";

/** Findings of the hostile trial (issue 17), one test each: each failed before its fix. */
describe("hardening", () => {
  it("compares secrets of any length without throwing or an early return on length", () => {
    expect(sameSecret("sandbox-api-key", "sandbox-api-key")).toBe(true);
    expect(sameSecret("s", "sandbox-api-key")).toBe(false);
    expect(sameSecret("sandbox-api-key-and-more", "sandbox-api-key")).toBe(false);
    expect(sameSecret("", "")).toBe(true);
  });

  it("keeps a Regula device token usable when the session request is refused for its input", async () => {
    const { request } = await testSandbox();
    const issued = await request(
      "/regula/api/device/ephemeral",
      json({}, { authorization: "sandbox-api-key" }),
    );
    const { authorization } = (await issued.json()) as { authorization: string };
    const refused = await request("/regula/api/sessions", json({ metadata: 1 }, { authorization }));
    expect(refused.status).toBe(400);
    const noWorkflow = await request("/regula/api/sessions", json({}, { authorization }));
    expect(noWorkflow.status).toBe(400);
    const started = await request("/regula/api/sessions?workflowId=wf-selfie", json({}, { authorization }));
    expect(started.status).toBe(200);
    const again = await request("/regula/api/sessions?workflowId=wf-selfie", json({}, { authorization }));
    expect(again.status).toBe(401);
  });

  it("answers 400 for a magic scenario:<name> that names no scenario, as the header does", async () => {
    const { request } = await testSandbox();
    const res = await request(
      "/sardine/v1/identity-documents/tokens",
      json(
        { sessionKey: "scenario:no-such-scenario" },
        { authorization: `Basic ${Buffer.from("sandbox-client:sandbox-secret").toString("base64")}` },
      ),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message: "unknown scenario in a scenario: value: no-such-scenario" });
  });

  it("answers an unknown path next to a page's prefix in the API's format, not the page's", async () => {
    const { request } = await testSandbox();
    for (const [path, type] of [
      ["/sardine/verifyx", "application/json"],
      ["/sardine/verify/x", "text/html; charset=UTF-8"],
      ["/regula/mobilex", "application/json"],
      ["/dqe/consentx", "application/json"],
    ] as const) {
      const res = await request(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type"), path).toBe(type);
    }
  });

  it("refuses admin changes a page on another site could send without CORS asking: text/plain, or an unlisted origin", async () => {
    const { request } = await testSandbox({ cors: { origins: ["http://localhost:3000"] } });
    const enqueue = (headers: Record<string, string>) =>
      request("/__admin/scenarios/enqueue", {
        method: "POST",
        headers,
        body: JSON.stringify({
          vendor: "sumsub",
          route: "POST /api/snsId/oauth/token",
          error: "invalid_grant",
        }),
      });
    const plain = await enqueue({ "content-type": "text/plain" });
    expect(plain.status).toBe(415);
    expect(await plain.json()).toEqual({
      error: "unsupported_media_type",
      message: "the admin API takes JSON bodies: Content-Type: application/json (got text/plain)",
    });
    const evil = await enqueue({ "content-type": "application/json", origin: "https://evil.example" });
    expect(evil.status).toBe(403);
    expect(await evil.json()).toEqual({
      error: "forbidden",
      message: "the admin API takes no changes from origin https://evil.example (cors.origins)",
    });
    expect(
      (await enqueue({ "content-type": "application/json", origin: "http://localhost:3000" })).status,
    ).toBe(200);
    expect((await enqueue({ "content-type": "application/json" })).status).toBe(200);
  });

  it("puts the page policy on every answer a browser runs script in, however its type is written", async () => {
    const { request } = await testSandbox();
    for (const type of ["TEXT/HTML", "application/xhtml+xml", "image/svg+xml"]) {
      await request("/__admin/scenarios/enqueue", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          vendor: "regula",
          route: "GET /mobile",
          status: 200,
          headers: { "content-type": type },
          body: "<svg/>",
        }),
      });
      const res = await request("/regula/mobile");
      expect(res.headers.get("content-security-policy"), type).toContain("frame-ancestors 'none'");
      expect(res.headers.get("x-frame-options"), type).toBe("DENY");
    }
  });

  it("refuses a one-shot whose body is deeper than 32 levels, so no answer it gives can fail to serialize", async () => {
    const { request } = await testSandbox();
    const deep = `${"[".repeat(30_000)}${"]".repeat(30_000)}`;
    const res = await request("/__admin/scenarios/enqueue", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"vendor":"regula","route":"GET /mobile","status":200,"body":${deep}}`,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain(
      "must be nested at most 32 levels deep",
    );
    expect((await request("/regula/mobile")).status).not.toBe(500);
  });

  it("keeps at most 2 KiB of a path in the journal", async () => {
    const { request } = await testSandbox();
    await request(`/dqe/ACCESS_TOKEN/?pad=${"x".repeat(14_000)}`);
    const { requests } = (await (await request("/__admin/requests?limit=1")).json()) as {
      requests: { path: string }[];
    };
    expect(requests[0]!.path.length).toBeLessThan(2100);
    expect(requests[0]!.path).toContain("truncated");
  });

  it("says which clock a refused Sumsub timestamp is measured against, and what it reads", async () => {
    const sandbox = await testSandbox();
    await sandbox.request("/__admin/clock", json({ advance: 601 }));
    const path = "/resources/accessTokens/sumsubIdShareToken";
    const body = JSON.stringify({ sumsubIdConnectToken: "x", forClientId: "y" });
    // Signed at the time before the move, as `date +%s` would give it, while the namespace's clock has moved on.
    const headers = signedHeaders(sandbox, "POST", path, body, {
      ts: Date.parse("2026-01-01T00:00:00Z") / 1000,
    });
    const res = await sandbox.request(`/sumsub${path}`, { method: "POST", headers, body });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { description: string }).description).toBe(
      `Request timestamp is missing or more than 60 s from the sandbox clock, which reads ${String(Date.parse("2026-01-01T00:10:01Z") / 1000)} (GET /__admin/clock)`,
    );
  });
});

describe("a client that goes away mid-body", () => {
  it("is journaled as 499 and logged at debug, not as an unexpected 500", async () => {
    const { connect } = await import("node:net");
    const { parseConfig } = await import("../../src/config.js");
    const { createLogger } = await import("../../src/core/log.js");
    const { startSandbox } = await import("../../src/sandbox.js");
    const lines: Record<string, unknown>[] = [];
    let answered!: () => void;
    const logged = new Promise<void>((resolve) => {
      answered = resolve;
    });
    const logger = createLogger("debug", (line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      lines.push(parsed);
      if (parsed.event === "request") answered();
    });
    const sandbox = await startSandbox(parseConfig({ port: 0 }), { logger });
    try {
      const socket = connect(sandbox.port, "127.0.0.1");
      await new Promise<void>((resolve) => socket.once("connect", resolve));
      // Headers first, asking to continue: the 100 says the sandbox has the request and waits for its body.
      const continued = new Promise<void>((resolve) => socket.once("data", () => resolve()));
      socket.write(
        "POST /sumsub/api/snsId/oauth/token HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n" +
          "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n",
      );
      await continued;
      // Part of the body, then the client hangs up.
      socket.end("grant_type", () => socket.destroy());
      await logged;
      expect(lines.find((l) => l.event === "request")).toMatchObject({ status: 499 });
      expect(lines.find((l) => l.event === "client_abort")).toMatchObject({ level: "debug" });
      expect(lines.some((l) => l.event === "unexpected_error")).toBe(false);
      expect((await sandbox.state.journal.query({}))[0]).toMatchObject({ status: 499 });
    } finally {
      await sandbox.close();
    }
  });
});

describe("server timeouts", () => {
  it("closes a connection whose headers never finish, after server.headersTimeoutSeconds", async () => {
    const { connect } = await import("node:net");
    const { createSandbox } = await import("../../src/index.js");
    const sandbox = await createSandbox({ port: 0, server: { headersTimeoutSeconds: 1 } });
    try {
      const socket = connect(sandbox.port, "127.0.0.1");
      let answer = "";
      socket.setEncoding("utf8").on("data", (d: string) => (answer += d));
      await new Promise<void>((resolve) => socket.once("connect", resolve));
      const started = performance.now();
      socket.write("GET /__admin/health HTTP/1.1\r\nHost: x\r\n"); // and never the blank line
      await new Promise<void>((resolve) => socket.once("close", () => resolve()));
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      // Not Node's default of 60 s.
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      await sandbox.close();
    }
  });
});

describe("the published OpenAPI document", () => {
  it("compiles, schema by schema, under Ajv's strict mode (no unknown formats or keywords)", async () => {
    const { Ajv2020 } = await import("ajv/dist/2020.js");
    const addFormats = (await import("ajv-formats")).default as unknown as (
      ajv: InstanceType<typeof Ajv2020>,
    ) => unknown;
    const { request } = await testSandbox();
    const doc = (await (await request("/openapi.json")).json()) as Record<string, unknown>;
    const ajv = new Ajv2020({ strict: true, allErrors: true });
    addFormats(ajv);
    const schemas: [string, object][] = [];
    const walk = (node: unknown, path: string) => {
      if (node === null || typeof node !== "object") return;
      const record = node as Record<string, unknown>;
      if (record.schema !== null && typeof record.schema === "object") schemas.push([path, record.schema]);
      for (const [key, value] of Object.entries(record)) walk(value, `${path}/${key}`);
    };
    walk(doc.paths, "paths");
    walk(doc.webhooks, "webhooks");
    expect(schemas.length).toBeGreaterThan(100);
    const broken = schemas.flatMap(([path, schema]) => {
      try {
        ajv.compile(schema);
        return [];
      } catch (err) {
        return [`${path}: ${(err as Error).message}`];
      }
    });
    expect(broken).toEqual([]);
  });
});
