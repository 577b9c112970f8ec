import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../src/core/log.js";
import { basic, form, json, testSandbox, type TestSandbox } from "../helpers/sandbox.js";

const DQE_TOKEN =
  "/dqe/ACCESS_TOKEN/?client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE";
const SARDINE_AUTH = { authorization: basic("sandbox-client", "sandbox-secret") };

interface Entry {
  path: string;
  status: number;
  route: string | null;
  scenario: string | null;
  error: { name: string; message: string } | null;
}

let sandbox: TestSandbox;
/** The request lines the sandbox logged, parsed. */
let logged: Record<string, unknown>[];

beforeEach(async () => {
  logged = [];
  const logger = createLogger("info", (line) => logged.push(JSON.parse(line) as Record<string, unknown>));
  sandbox = await testSandbox({}, { logger });
});

/** The journal, newest first, as a client of the admin API reads it. */
async function journal(query = ""): Promise<Entry[]> {
  const res = await sandbox.request(`/__admin/requests${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { requests: Entry[] }).requests;
}

/** Sends one request; answers its journal entry and its log line (both must agree on the path). */
async function recorded(path: string, init?: RequestInit): Promise<{ status: number; entry: Entry }> {
  const res = await sandbox.request(path, init);
  await res.body?.cancel();
  const line = logged.at(-1);
  const [entry] = await journal("?limit=1&direction=in");
  expect(line).toMatchObject({
    event: "request",
    path: entry!.path,
    status: res.status,
    error: entry!.error,
  });
  return { status: res.status, entry: entry! };
}

/** Everything the journal and the log hold, as text. */
async function everything(): Promise<string> {
  return JSON.stringify(await journal("?limit=1000")) + JSON.stringify(logged);
}

async function dqeAccessToken(): Promise<string> {
  const res = await sandbox.request(DQE_TOKEN);
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

describe("redaction by value", () => {
  it("hides DQE's documented typo case, client_scret=sandbox-secret, in the journal and the log", async () => {
    const { status, entry } = await recorded(
      "/dqe/ACCESS_TOKEN/?client_scret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE",
    );
    expect(status).toBe(500);
    expect(entry.path).toBe(
      "/dqe/ACCESS_TOKEN/?client_scret=%5Bredacted%5D&grant_type=client_idmobile&licence=%5Bredacted%5D",
    );
    expect(await everything()).not.toContain("sandbox-secret");
  });

  it.each([
    [
      "Sardine's client secret",
      "/sardine/v1/identity-documents/tokens?client_key=sandbox-secret",
      json({ sessionKey: "s" }, SARDINE_AUTH),
      200,
      "/sardine/v1/identity-documents/tokens?client_key=%5Bredacted%5D",
    ],
    [
      "Sardine's client secret as a path segment",
      "/sardine/v1/identity-documents/verifications/sandbox-secret",
      { headers: SARDINE_AUTH },
      404,
      "/sardine/v1/identity-documents/verifications/%5Bredacted%5D",
    ],
    [
      "Sumsub's app token and secret key, and its OIDC client secret",
      "/sumsub/.well-known/openid-configuration?app=sbx%3Asandbox-app-token&key=sandbox-app-secret&cs=sandbox-secret&n=1",
      undefined,
      200,
      "/sumsub/.well-known/openid-configuration?app=%5Bredacted%5D&key=%5Bredacted%5D&cs=%5Bredacted%5D&n=1",
    ],
    [
      "DQE's licence",
      "/dqe/ACCESS_TOKEN/?grant_type=client_idmobile&lic=SANDBOX-NO-CREDITS",
      undefined,
      500,
      "/dqe/ACCESS_TOKEN/?grant_type=client_idmobile&lic=%5Bredacted%5D",
    ],
    [
      "Regula's API keys",
      "/regula/api/sessions/00000000-0000-4000-8000-000000000000?key=sandbox-readonly-key",
      { headers: { authorization: "ApiKey sandbox-api-key" } },
      404,
      "/regula/api/sessions/00000000-0000-4000-8000-000000000000?key=%5Bredacted%5D",
    ],
    [
      "Regula's API key as a path segment",
      "/regula/sandbox-api-key",
      undefined,
      404,
      "/regula/%5Bredacted%5D",
    ],
  ])("hides %s under a name no vendor uses", async (_what, path, init, status, journaled) => {
    const answer = await recorded(path, init);
    expect(answer.status).toBe(status);
    expect(answer.entry.path).toBe(journaled);
    const text = await everything();
    for (const secret of [
      "sandbox-secret",
      "sbx:sandbox-app-token",
      "sbx%3Asandbox-app-token",
      "sandbox-app-secret",
      "SANDBOX-NO-CREDITS",
      "sandbox-readonly-key",
      "sandbox-api-key",
    ])
      expect(text).not.toContain(secret);
  });

  it("hides an issued access token passed as ?foo= and as a path segment, and in the error it caused", async () => {
    const token = await dqeAccessToken();
    const asQuery = await recorded(`/dqe/IDMOBILE/?foo=${token}&country=FR`);
    expect(asQuery.entry.path).toBe("/dqe/IDMOBILE/?foo=%5Bredacted%5D&country=FR");
    const asSegment = await recorded(`/dqe/${token}`);
    expect(asSegment.status).toBe(404);
    expect(asSegment.entry.path).toBe("/dqe/%5Bredacted%5D");
    // The error names the path it could not route: the token in it is hidden too.
    expect(asSegment.entry.error).toEqual({ name: "not_found", message: "no route for GET /dqe/[redacted]" });
    expect(await everything()).not.toContain(token);
  });

  it("hides a credential in an error message however the path encoded it (an app token's `:`)", async () => {
    const { entry } = await recorded(`/sumsub/x/${encodeURIComponent("sbx:sandbox-app-token")}`);
    expect(entry.error).toEqual({ name: "not_found", message: "no route for GET /sumsub/x/[redacted]" });
    expect(await everything()).not.toContain("sandbox-app-token");
  });

  it("keeps at most 2 KiB of an error's message", async () => {
    // Regula refuses unknown fields by name: 2,000 of them make a message of some 20 KB.
    const { entry } = await recorded(
      "/regula/api/v1/deeplink?workflowId=wf-document",
      json(Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`field${String(i)}`, 1])), {
        authorization: "ApiKey sandbox-api-key",
      }),
    );
    expect(entry.status).toBe(400);
    expect(entry.error!.message).toHaveLength(2048 + "…[truncated]".length);
    expect(entry.error!.message.endsWith("…[truncated]")).toBe(true);
  });

  it("hides another vendor's issued token, in a namespace, wherever it stands in the path", async () => {
    const ns = { "x-sandbox-namespace": "w1" };
    const issued = await sandbox.request(
      "/sardine/v1/identity-documents/tokens",
      json({ sessionKey: "s", provider: "incode" }, { ...SARDINE_AUTH, ...ns }),
    );
    const { access_token: token } = (await issued.json()) as { access_token: string };
    const read = await sandbox.request(`/ns/w1/regula/api/sessions/${token}/files/x?other=${token}`, {
      headers: { authorization: "ApiKey sandbox-api-key" },
    });
    expect(read.status).toBe(404);
    const {
      requests: [entry],
    } = (await (await sandbox.request("/__admin/requests?limit=1&direction=in", { headers: ns })).json()) as {
      requests: Entry[];
    };
    expect(entry!.path).toBe("/regula/api/sessions/%5Bredacted%5D/files/x?other=%5Bredacted%5D");
    expect(JSON.stringify(logged)).not.toContain(token);
    // Tokens are looked up in the request's own namespace: in another, the same value is just a value.
    const there = await recorded(`/regula/x?other=${token}`);
    expect(there.entry.path).toBe(`/regula/x?other=${token}`);
  });

  it("hides values equal to a credential only: one that holds a credential, or a short one, stays", async () => {
    const { entry } = await recorded("/dqe/IDMOBILE/?a=12345&c=sandbox-secret-and-more");
    expect(entry.path).toBe("/dqe/IDMOBILE/?a=12345&c=sandbox-secret-and-more");
  });
});

describe("the reason of an error in the journal", () => {
  it("journals a 401 from a wrong Sumsub client secret with the catalogue's name and the message", async () => {
    const { status, entry } = await recorded(
      "/sumsub/api/snsId/oauth/token",
      form(
        { grant_type: "authorization_code", code: "x" },
        { authorization: basic("sandbox-client", "wrong-secret") },
      ),
    );
    expect(status).toBe(401);
    expect(entry).toEqual({
      id: expect.any(Number) as number,
      time: "2026-01-01T00:00:00.000Z",
      namespace: "default",
      direction: "in",
      method: "POST",
      path: "/sumsub/api/snsId/oauth/token",
      vendor: "sumsub",
      route: "POST /api/snsId/oauth/token",
      status: 401,
      scenario: null,
      durationMs: expect.any(Number) as number,
      error: { name: "invalid_client", message: "Client authentication failed" },
    });
  });

  it("journals a 400 from DQE's bad input, and no error on a 200", async () => {
    const bad = await recorded("/dqe/ACCESS_TOKEN/?grant_type=client_idmobile&licence=SANDBOX-LICENCE");
    expect(bad.status).toBe(400);
    expect(bad.entry.error).toEqual({ name: "invalid_request", message: "client_secret is required" });
    const good = await recorded(DQE_TOKEN);
    expect(good.status).toBe(200);
    expect(good.entry.error).toBeNull();
    expect(logged.at(-1)).toMatchObject({ status: 200, error: null });
  });

  it("journals a scenario's error with its name and the scenario's message", async () => {
    const { status, entry } = await recorded(DQE_TOKEN, {
      headers: { "x-sandbox-scenario": "dqe-invalid-client-secret" },
    });
    expect(status).toBe(400);
    expect(entry).toMatchObject({
      scenario: "dqe-invalid-client-secret",
      error: { name: "invalid_client_secret", message: "invalid client secret" },
    });
  });

  it("journals a status a scenario wrote itself, and a fault, by what they are", async () => {
    const dir = await mkdtemp(join(tmpdir(), "redaction-"));
    await writeFile(
      join(dir, "raw-503.yaml"),
      'description: DQE busy.\nrules:\n  - vendor: dqe\n    route: "GET /ACCESS_TOKEN/"\n    status: 503\n    body: {busy: true}\n',
    );
    await writeFile(
      join(dir, "reset.yaml"),
      "description: DQE resets.\nrules:\n  - vendor: dqe\n    fault: reset\n",
    );
    const logger = createLogger("info", (line) => logged.push(JSON.parse(line) as Record<string, unknown>));
    sandbox = await testSandbox({ scenariosDir: dir }, { logger });
    const raw = await recorded(DQE_TOKEN, { headers: { "x-sandbox-scenario": "raw-503" } });
    expect(raw.status).toBe(503);
    expect(raw.entry.error).toEqual({ name: "raw", message: "raw answer of scenario raw-503" });
    const reset = await recorded(DQE_TOKEN, { headers: { "x-sandbox-scenario": "reset" } });
    expect(reset.status).toBe(500);
    expect(reset.entry.error).toEqual({ name: "fault", message: "fault answer of scenario reset" });
  });

  it("journals a webhook attempt that got no answer with the network's reason", async () => {
    // No retry: the one attempt is all there is to journal.
    sandbox = await testSandbox({ webhookDelivery: { retryDelaysSeconds: [] } });
    // A port that was open a moment ago and is closed now: the attempt is refused.
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const ns = { "x-sandbox-namespace": "hooks" };
    const url = `http://127.0.0.1:${String(port)}/hook?token=${"s".repeat(8)}`;
    const sub = await sandbox.request(
      "/__admin/webhooks",
      json({ vendor: "regula", url, secret: "s", events: ["session.failed"] }, ns),
    );
    expect(sub.status).toBe(201);
    const link = await sandbox.request(
      "/regula/api/v1/deeplink?workflowId=wf-document",
      json({}, { authorization: "ApiKey sandbox-api-key", ...ns }),
    );
    expect(link.status).toBe(200);
    const sessionId = new URL(((await link.json()) as { url: string }).url).searchParams.get("sessionId");
    const verdict = await sandbox.request(
      "/__admin/verdicts",
      json({ vendor: "regula", id: sessionId, verdict: "failed" }, ns),
    );
    expect(verdict.status).toBe(200);
    expect((await sandbox.request("/__admin/webhooks/flush", json({}, ns))).status).toBe(200);
    const out = (await (
      await sandbox.request("/__admin/requests?direction=out", { headers: ns })
    ).json()) as { requests: Entry[] };
    expect(out.requests).toHaveLength(1);
    expect(out.requests[0]).toMatchObject({
      path: `http://127.0.0.1:${String(port)}/hook?token=%5Bredacted%5D`,
      status: 0,
      error: { name: "network", message: "ECONNREFUSED" },
    });
  });
});
