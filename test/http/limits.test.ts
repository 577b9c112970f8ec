import { describe, expect, it } from "vitest";
import { basic, json, testSandbox, type TestSandbox } from "../helpers/sandbox.js";
import { signedPost } from "../helpers/sumsub.js";

const REGULA = { authorization: "ApiKey sandbox-api-key" };
const SARDINE = { authorization: basic("sandbox-client", "sandbox-secret") };

/** `{"a":{"a":…{"a":1}}}`, `levels` objects deep. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { a: 1 };
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

/** An object of `keys` small properties: about 14 bytes of JSON each. */
function wide(keys: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${i}`, "v"]));
}

const deeplink = (sandbox: TestSandbox, body: unknown) =>
  sandbox.request("/regula/api/v1/deeplink?workflowId=wf-document", json(body, REGULA));

describe("free-form fields are bounded at creation (64 KiB as JSON, 32 levels deep)", () => {
  it("takes Regula metadata 32 levels deep and reads it back through the API and the hand-off page", async () => {
    const sandbox = await testSandbox();
    const res = await deeplink(sandbox, { metadata: nested(32) });
    expect(res.status).toBe(200);
    const url = new URL(((await res.json()) as { url: string }).url);
    const id = url.searchParams.get("sessionId")!;
    const session = await sandbox.request(`/regula/api/sessions/${id}`, { headers: REGULA });
    expect(session.status).toBe(200);
    expect(((await session.json()) as { metadata: unknown }).metadata).toEqual(nested(32));
    const page = await sandbox.request(url.href);
    expect(page.status).toBe(200);
    expect((await page.text()).length).toBeLessThan(64 * 1024);
  });

  it("refuses Regula metadata a level deeper, or 5,000 arrays deep, with a 400 naming the field", async () => {
    const sandbox = await testSandbox();
    const deep = `{"metadata":{"deep":${"[".repeat(5000)}${"]".repeat(5000)}}}`;
    for (const body of [JSON.stringify({ metadata: nested(33) }), deep]) {
      const res = await deeplink(sandbox, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ message: "metadata: must be nested at most 32 levels deep" });
    }
    expect((await (await sandbox.request("/__admin/sessions")).json()) as unknown).toEqual({ sessions: [] });
  });

  it("refuses Regula metadata over 64 KiB, string-shaped or object-shaped", async () => {
    const sandbox = await testSandbox();
    for (const metadata of [{ blob: "x".repeat(64 * 1024) }, wide(6000)]) {
      const res = await deeplink(sandbox, { metadata });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ message: "metadata: must be at most 64 KiB as JSON" });
    }
    expect((await deeplink(sandbox, { metadata: wide(4000) })).status).toBe(200);
  });

  it("refuses an oversized Sumsub fixedInfo and a 100 KB externalUserId, naming each", async () => {
    const sandbox = await testSandbox();
    const create = (body: unknown) =>
      signedPost(sandbox, "/resources/applicants?levelName=basic-kyc-level", body);
    const info = await create({ externalUserId: "u-1", fixedInfo: nested(40) });
    expect(info.status).toBe(400);
    expect(((await info.json()) as { description: string }).description).toBe(
      "fixedInfo: must be nested at most 32 levels deep",
    );
    const id = await create({ externalUserId: "u".repeat(100_000) });
    expect(id.status).toBe(400);
    expect(((await id.json()) as { description: string }).description).toBe(
      "externalUserId must be at most 1024 characters",
    );
    expect((await create({ externalUserId: "u".repeat(1024) })).status).toBe(200);
  });

  it("refuses an oversized Sardine inputData, naming it", async () => {
    const sandbox = await testSandbox();
    const res = await sandbox.request(
      "/sardine/v1/identity-documents/urls",
      json({ sessionKey: "s-1", customerId: "c-1", inputData: { firstName: "x".repeat(70_000) } }, SARDINE),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ message: "inputData: must be at most 64 KiB as JSON" });
  });
});

describe("the byte budget (store.maxBytes) across namespaces", () => {
  it("evicts the oldest entries of any namespace once everything kept passes the budget", async () => {
    const sandbox = await testSandbox({ store: { maxBytes: 1024 * 1024 } }, { memoryOnly: true });
    const metadata = { blob: "x".repeat(60 * 1024) };
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const res = await sandbox.request(
        `/ns/ns-${i % 4}/regula/api/v1/deeplink?workflowId=wf-document`,
        json({ metadata }, REGULA),
      );
      expect(res.status).toBe(200);
      ids.push(new URL(((await res.json()) as { url: string }).url).searchParams.get("sessionId")!);
    }
    const read = (i: number) =>
      sandbox.request(`/ns/ns-${i % 4}/regula/api/sessions/${ids[i]}`, { headers: REGULA });
    expect((await read(0)).status).toBe(404); // the oldest, in ns-0, went for the newest in ns-3
    expect((await read(39)).status).toBe(200);
    const kept = (await Promise.all(ids.map(async (_, i) => (await read(i)).status))).filter(
      (s) => s === 200,
    );
    // ~62 KiB a session: 16 fit in 1 MiB, less what the other entries of the run take.
    expect(kept.length).toBeGreaterThanOrEqual(12);
    expect(kept.length).toBeLessThanOrEqual(16);
  });
});
