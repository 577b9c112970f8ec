import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { README, withCurrentRoutes } from "../../scripts/readme-routes.js";
import { adminApi } from "../../src/admin/routes.js";
import { contractDocument, docGroups } from "../../src/contract.js";
import { useSandboxAndBrowser } from "../helpers/browser.js";
import { contractChecker } from "../helpers/contract.js";
import { BASE, testSandbox } from "../helpers/sandbox.js";

describe("OpenAPI documents", () => {
  it("serve one combined document and one per vendor, with servers under the caller's base URL", async () => {
    const sandbox = await testSandbox();
    const all = await (await sandbox.request("/openapi.json")).json();
    expect(all.openapi).toBe("3.1.0");
    expect(all.servers).toEqual([{ url: BASE }]);
    expect(Object.keys(all.paths)).toEqual(
      expect.arrayContaining(["/sardine/v1/identity-documents/tokens", "/__admin/clock"]),
    );
    for (const vendor of ["sardine", "sumsub", "dqe", "regula"]) {
      const doc = await (await sandbox.request(`/${vendor}/openapi.json`)).json();
      expect(doc.servers).toEqual([{ url: `${BASE}/${vendor}` }]);
      expect(Object.keys(doc.paths).every((p) => !p.startsWith(`/${vendor}/`))).toBe(true);
    }
    const namespaced = await (await sandbox.request("/ns/w1/dqe/openapi.json")).json();
    expect(namespaced.servers).toEqual([{ url: `${BASE}/ns/w1/dqe` }]);
  });

  it("document every vendor error with its vendor body schema", async () => {
    const sandbox = await testSandbox();
    const doc = await (await sandbox.request("/openapi.json")).json();
    const responses = (path: string, method: string) => doc.paths[path][method].responses;
    // Every status a route's error format can answer is listed (a scenario can give any of them), with its body.
    expect(Object.keys(responses("/sardine/v1/identity-documents/tokens", "post"))).toEqual([
      "200",
      "400",
      "401",
      "404",
      "413",
      "429",
      "500",
      "503",
    ]);
    expect(Object.keys(responses("/dqe/ACCESS_TOKEN/", "get"))).toEqual([
      "200",
      "400",
      "401",
      "404",
      "413",
      "429",
      "500",
      "503",
    ]);
    expect(Object.keys(responses("/regula/api/v1/deeplink", "post"))).toEqual([
      "200",
      "400",
      "401",
      "403",
      "404",
      "413",
      "429",
      "500",
      "503",
    ]);
    expect(responses("/regula/mobile", "get")["401"].content).toHaveProperty("text/html");
    expect(responses("/sumsub/api/snsId/oauth/token", "post")["429"].headers).toHaveProperty("Retry-After");
    const signed = responses("/sumsub/resources/snsId/api/connect/token", "post");
    expect(Object.keys(signed)).toEqual([
      "200",
      "400",
      "401",
      "403",
      "404",
      "409",
      "413",
      "429",
      "500",
      "503",
    ]);
    expect(signed["401"].content["application/json"].schema.properties).toHaveProperty("errorCode");
    expect(
      responses("/dqe/ACCESS_TOKEN/", "get")["200"].content["application/json"].schema.properties.expires_in
        .type,
    ).toBe("string");
    expect(
      responses("/api/snsId/oauth/token".replace(/^/, "/sumsub"), "post")["401"].content["application/json"]
        .schema.required,
    ).toEqual(["error", "error_description"]);
  });

  it("document each DQE path once, with the trailing slash, and name the path without it as accepted", async () => {
    const sandbox = await testSandbox();
    for (const [url, prefix] of [
      ["/openapi.json", "/dqe"],
      ["/dqe/openapi.json", ""],
    ] as const) {
      const doc = await (await sandbox.request(url)).json();
      const paths = Object.keys(doc.paths).filter((p) => prefix === "" || p.startsWith(`${prefix}/`));
      expect(paths).toEqual(
        ["/ACCESS_TOKEN/", "/oauth/ACCESS_TOKEN/", "/IDMOBILE/", "/GET/", "/consent"].map((p) => prefix + p),
      );
      // No vendor has two paths that differ by a trailing slash only (the admin UI's `/ui` is a redirect to `/ui/`).
      const all = Object.keys(doc.paths)
        .filter((p) => !p.startsWith("/__admin/"))
        .map((p) => p.replace(/\/$/, ""));
      expect(new Set(all).size).toBe(all.length);
      for (const path of paths.filter((p) => p.endsWith("/")))
        for (const method of ["get", "post"]) {
          const op = doc.paths[path][method];
          expect(op["x-also-at"]).toEqual([path.slice(0, -1)]);
          expect(op.description).toContain(
            `Also accepted at \`${path.slice(0, -1)}\`, which answers the same.`,
          );
        }
    }
    const idmobile = (await (await sandbox.request("/dqe/openapi.json")).json()).paths["/IDMOBILE/"].get;
    expect(idmobile.description).toMatch(
      /^Several scopes may be asked at once.*\n\nAlso accepted at `\/IDMOBILE`/s,
    );
  });

  it("answer the DQE path without the trailing slash as the documented one, checked against its operation", async () => {
    const sandbox = await testSandbox();
    const fields = "client_secret=sandbox-secret&grant_type=client_idmobile&licence=SANDBOX-LICENCE";
    const form = { "content-type": "application/x-www-form-urlencoded" };
    for (const path of ["/dqe/ACCESS_TOKEN/", "/dqe/ACCESS_TOKEN"]) {
      const get = await sandbox.request(`${path}?${fields}`);
      expect(get.status).toBe(200);
      expect(Object.keys(await get.json())).toEqual([
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
      ]);
      const post = await sandbox.request(path, { method: "POST", headers: form, body: fields });
      expect(post.status).toBe(200);
      const wrong = await sandbox.request(`${path}?${fields.replace("sandbox-secret", "nope")}`);
      expect(wrong.status).toBe(400);
      expect(await wrong.json()).toEqual({
        status: "error",
        error_id: "03",
        error_type: "invalid client secret",
      });
    }
  });

  it("describe requests from the schemas the handlers validate with", async () => {
    const sandbox = await testSandbox();
    const doc = await (await sandbox.request("/regula/openapi.json")).json();
    const body = doc.paths["/api/v1/deeplink"].post.requestBody.content["application/json"].schema;
    expect(body.properties.ttl).toMatchObject({
      type: "integer",
      minimum: 1,
      maximum: 2592000,
      default: 3600,
    });
    expect(body.additionalProperties).toBe(false);
  });
});

describe("the README's route table", () => {
  it("is the one the route declarations give (npm run docs:routes rewrites it)", async () => {
    const readme = await readFile(README, "utf8");
    expect(readme).toBe(await withCurrentRoutes(readme));
    expect(readme).toContain("| regula  | `GET /api/sessions/{id}`");
  });
});

describe("the suite's contract check", async () => {
  const { deps } = await testSandbox();
  const check = contractChecker(await contractDocument(docGroups(deps.vendors, adminApi(deps)), BASE));
  const res = (status: number, body: unknown, type = "application/json") =>
    new Response(typeof body === "string" ? body : JSON.stringify(body), {
      status,
      headers: { "content-type": type },
    });

  it("passes a conforming answer", async () => {
    await expect(
      check(
        "GET",
        "/dqe/ACCESS_TOKEN/",
        res(200, { access_token: "TKx", token_type: "Bearer", expires_in: "300", refresh_token: "*TKy" }),
      ),
    ).resolves.toBeUndefined();
  });

  it.each([
    [
      "a body that breaks the schema",
      "GET",
      "/dqe/ACCESS_TOKEN/",
      res(200, { access_token: "TKx", token_type: "Bearer", expires_in: 300, refresh_token: "*TKy" }),
      /body breaks the OpenAPI/,
    ],
    [
      "an extra field",
      "GET",
      "/dqe/ACCESS_TOKEN/",
      res(400, { status: "error", error_id: "01", error_type: "x", extra: 1 }),
      /body breaks/,
    ],
    [
      "an undocumented status",
      "GET",
      "/dqe/ACCESS_TOKEN/",
      res(403, { status: "error", error_type: "x" }),
      /does not document/,
    ],
    [
      "an undocumented content type",
      "GET",
      "/dqe/ACCESS_TOKEN/",
      res(200, "<p>", "text/html"),
      /answered text\/html/,
    ],
    ["an undocumented route", "PATCH", "/dqe/ACCESS_TOKEN/", res(200, {}), /not in the published OpenAPI/],
  ])("fails %s", async (_, method, path, response, message) => {
    await expect(check(method, path, response)).rejects.toThrow(message);
  });
});

describe("docs page", () => {
  const running = useSandboxAndBrowser();

  it("renders the documents in headless Chromium with nothing fetched from outside the sandbox", async () => {
    const page = await running.browser().newPage();
    const outside: string[] = [];
    page.on("request", (req) => {
      if (!req.url().startsWith(running.sandbox().url) && !req.url().startsWith("data:"))
        outside.push(req.url());
    });
    await page.goto(`${running.sandbox().url}/docs`);
    // swagger-ui renders the whole document (~100 operations) before the title: on two busy cores that took 16 s.
    await page.waitForSelector(".swagger-ui .info .title", { timeout: 50_000 });
    expect(await page.locator(".swagger-ui .info .title").first().textContent()).toContain("idv-sandbox");
    expect(
      await page
        .locator(".opblock-summary-path")
        .filter({ hasText: "/sardine/v1/identity-documents/tokens" })
        .count(),
    ).toBe(1);
    expect(outside).toEqual([]);
    await page.close();
  }, 60_000);
});
