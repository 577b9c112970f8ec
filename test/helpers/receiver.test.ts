import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { failTimes, startReceiver, type Receiver, type ReceiverOptions } from "./receiver.js";
import {
  verifyHexHmacHeader,
  verifyRegulaSignature,
  verifyStandardWebhook,
  verifyStandardWebhookWithLibrary,
  verifySumsubDigest,
} from "./webhook-signatures.js";

const open: Receiver[] = [];
async function receiver(options?: ReceiverOptions): Promise<Receiver> {
  const r = await startReceiver(options);
  open.push(r);
  return r;
}
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(open.splice(0).map((r) => r.close()));
});

function post(url: string, body: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { method: "POST", body, ...init });
}

describe("startReceiver", () => {
  it("records the exact body bytes, the path and lower-cased headers", async () => {
    const r = await receiver();
    const body = '{ "name": "Zoë 🚀",\n  "n": 1.50 }  ';
    const res = await post(`${r.url}?attempt=1`, body, {
      headers: { "Content-Type": "application/json", "X-Custom-Header": "Value" },
    });
    expect(res.status).toBe(200);
    const [got] = await r.waitFor(1);
    expect(got!.method).toBe("POST");
    expect(got!.path).toBe("/hook?attempt=1");
    expect(got!.body).toBe(body);
    expect(got!.headers["x-custom-header"]).toBe("Value");
    expect(got!.headers["content-type"]).toBe("application/json");
    expect(got!.headers["content-length"]).toBe(String(Buffer.byteLength(body)));
    expect(typeof got!.at).toBe("number");
  });

  it("failTimes(2) answers 500, 500, then 200", async () => {
    const r = await receiver({ answer: failTimes(2) });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(r.url, "x")).status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  it("next() hands out requests once each, in arrival order, waiting when none is pending", async () => {
    const r = await receiver();
    const pending = r.next();
    await post(r.url, "1");
    await post(r.url, "2");
    await post(r.url, "3");
    expect((await pending).body).toBe("1");
    expect((await r.next()).body).toBe("2");
    expect((await r.next()).body).toBe("3");
    await expect(r.next(100)).rejects.toThrow(/next request.*3 request\(s\) arrived, 3 consumed/);
  });

  it("waitFor(count) resolves once enough arrived and times out naming the count", async () => {
    const r = await receiver();
    const waiting = r.waitFor(2);
    await post(r.url, "a");
    await post(r.url, "b");
    expect((await waiting).map((q) => q.body)).toEqual(["a", "b"]);
    await expect(r.waitFor(5, 100)).rejects.toThrow(/5 request\(s\); 2 request\(s\) arrived/);
  });

  it('"hang" never answers; the client gives up and its socket closes', async () => {
    const r = await receiver({ answer: () => "hang" });
    const call = post(r.url, "x", { signal: AbortSignal.timeout(200) });
    await r.next();
    expect(r.openSockets()).toBe(1);
    await expect(call).rejects.toThrow(/abort|timeout/i);
    await r.waitForSockets(0);
    expect(r.openSockets()).toBe(0);
  });

  it('"reset" destroys the socket without answering', async () => {
    const r = await receiver({ answer: () => "reset" });
    await expect(post(r.url, "x")).rejects.toThrow();
    expect(r.received).toHaveLength(1);
  });

  it("close() is idempotent and drops a hanging connection", async () => {
    const r = await receiver({ answer: () => "hang" });
    const call = post(r.url, "x");
    await r.next();
    await Promise.all([r.close(), r.close()]);
    await expect(call).rejects.toThrow();
    expect(r.openSockets()).toBe(0);
  });
});

describe("verifySumsubDigest", () => {
  // RFC 2202 / RFC 4231 test case 2: published HMAC values, not computed by the code under test.
  const key = "Jefe";
  const data = "what do ya want for nothing?";
  const rfc = {
    HMAC_SHA1_HEX: "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
    HMAC_SHA256_HEX: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    HMAC_SHA512_HEX:
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
  };

  it.each(Object.entries(rfc))("accepts the RFC vector under %s", (alg, digest) => {
    const headers = { "x-payload-digest": digest, "x-payload-digest-alg": alg };
    expect(verifySumsubDigest(data, headers, key)).toBe(true);
    expect(verifySumsubDigest(`${data} `, headers, key)).toBe(false);
    expect(verifySumsubDigest(data, headers, "jefe")).toBe(false);
  });

  it("defaults to HMAC_SHA1_HEX and rejects an unknown algorithm", () => {
    expect(verifySumsubDigest(data, { "x-payload-digest": rfc.HMAC_SHA1_HEX }, key)).toBe(true);
    const headers = { "x-payload-digest": rfc.HMAC_SHA256_HEX, "x-payload-digest-alg": "HMAC_MD5_HEX" };
    expect(verifySumsubDigest(data, headers, key)).toBe(false);
  });

  it("checks a JSON webhook body signed as the docs describe", () => {
    const body = '{"applicantId":"abc","type":"applicantReviewed","reviewResult":{"reviewAnswer":"GREEN"}}';
    const digest = createHmac("sha256", "webhook-secret").update(body).digest("hex");
    const headers = { "X-Payload-Digest": digest, "X-Payload-Digest-Alg": "HMAC_SHA256_HEX" };
    expect(verifySumsubDigest(body, headers, "webhook-secret")).toBe(true);
    expect(verifySumsubDigest(body.replace("GREEN", "RED"), headers, "webhook-secret")).toBe(false);
    expect(verifySumsubDigest(body, headers, "other-secret")).toBe(false);
    expect(
      verifySumsubDigest(body, { ...headers, "X-Payload-Digest": digest.toUpperCase() }, "webhook-secret"),
    ).toBe(false);
  });
});

describe("Standard Webhooks", () => {
  // The test vector published with the spec's reference libraries.
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const ts = 1614265330;
  const body = '{"test": 2432232314}';
  const headers = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": String(ts),
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  };
  const otherSecret = `whsec_${Buffer.from("another key of some length").toString("base64")}`;

  it("accepts the spec's test vector, with or without the whsec_ prefix", () => {
    expect(verifyStandardWebhook(body, headers, secret, { now: ts })).toBe(true);
    expect(verifyStandardWebhook(body, headers, secret.slice("whsec_".length), { now: ts })).toBe(true);
  });

  it("accepts when any v1 entry matches, ignoring other versions", () => {
    const many = { ...headers, "webhook-signature": `v1,bm9wZQ== ${headers["webhook-signature"]}` };
    expect(verifyStandardWebhook(body, many, secret, { now: ts })).toBe(true);
    const v2 = { ...headers, "webhook-signature": headers["webhook-signature"].replace("v1,", "v2,") };
    expect(verifyStandardWebhook(body, v2, secret, { now: ts })).toBe(false);
  });

  it("rejects a tampered body, a wrong secret, a changed id and a stale or future timestamp", () => {
    expect(verifyStandardWebhook('{"test": 2432232315}', headers, secret, { now: ts })).toBe(false);
    expect(verifyStandardWebhook(body, headers, otherSecret, { now: ts })).toBe(false);
    expect(verifyStandardWebhook(body, { ...headers, "webhook-id": "msg_other" }, secret, { now: ts })).toBe(
      false,
    );
    expect(verifyStandardWebhook(body, headers, secret, { now: ts + 300 })).toBe(true);
    expect(verifyStandardWebhook(body, headers, secret, { now: ts + 301 })).toBe(false);
    expect(verifyStandardWebhook(body, headers, secret, { now: ts - 301 })).toBe(false);
    expect(verifyStandardWebhook(body, headers, secret, { now: ts + 1000, toleranceSeconds: 1000 })).toBe(
      true,
    );
    expect(verifyStandardWebhook(body, headers, secret)).toBe(false); // the vector is from 2021
  });

  it("agrees with the official standardwebhooks library", () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(ts * 1000);
    expect(verifyStandardWebhookWithLibrary(body, headers, secret)).toBe(true);
    expect(verifyStandardWebhookWithLibrary('{"test": 2432232315}', headers, secret)).toBe(false);
    expect(verifyStandardWebhookWithLibrary(body, headers, otherSecret)).toBe(false);
    vi.setSystemTime((ts + 301) * 1000);
    expect(verifyStandardWebhookWithLibrary(body, headers, secret)).toBe(false);
  });
});

describe("verifyHexHmacHeader / verifyRegulaSignature", () => {
  it("accepts the RFC 4231 HMAC-SHA256 vector behind the sha256= prefix", () => {
    const header = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    expect(verifyHexHmacHeader("what do ya want for nothing?", header, "Jefe")).toBe(true);
  });

  it("checks x-sandbox-signature over the raw body and rejects tampering, a wrong secret or format", () => {
    const body = '{"transactionId":"t-1","status":"done"}';
    const hex = createHmac("sha256", "sub-secret").update(body).digest("hex");
    const headers = { "x-sandbox-signature": `sha256=${hex}` };
    expect(verifyRegulaSignature(body, headers, "sub-secret")).toBe(true);
    expect(verifyRegulaSignature(body.replace("done", "failed"), headers, "sub-secret")).toBe(false);
    expect(verifyRegulaSignature(body, headers, "other-secret")).toBe(false);
    expect(verifyRegulaSignature(body, {}, "sub-secret")).toBe(false);
    expect(verifyHexHmacHeader(body, hex, "sub-secret")).toBe(false);
    expect(verifyHexHmacHeader(body, `sha256=${hex.toUpperCase()}`, "sub-secret")).toBe(false);
    expect(verifyHexHmacHeader(body, `v1=${hex}`, "sub-secret", "v1=")).toBe(true);
  });
});
