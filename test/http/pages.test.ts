import { describe, expect, it } from "vitest";
import { testSandbox } from "../helpers/sandbox.js";

const POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

/** Every HTML answer, a page or an error page, refuses to be framed, sniffed or to leak its URL. */
describe("HTML answers", () => {
  it.each([
    ["the Regula hand-off page's 401", "/regula/mobile?authorization=Token%20nope&sessionId=x", 401],
    ["an unknown path under the hand-off page", "/regula/mobile/nope", 404],
    ["Sumsub's authorize error page", "/sumsub/api/snsId/oauth/authorize?client_id=nope", 400],
    ["a Sardine web link that does not exist", "/sardine/verify?link=nope", 404],
  ])("%s carries the page headers", async (_what, path, status) => {
    const { request } = await testSandbox();
    const res = await request(path);
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toBe(POLICY);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("lets the API docs page load what swagger-ui needs from the sandbox, and nothing from elsewhere", async () => {
    const { request } = await testSandbox();
    const res = await request("/docs/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe(
      "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'",
    );
    expect(res.headers.get("x-frame-options")).toBe("DENY");
  });

  it("leaves JSON answers alone", async () => {
    const { request } = await testSandbox();
    const res = await request("/__admin/health");
    expect(res.headers.get("content-security-policy")).toBeNull();
  });
});
