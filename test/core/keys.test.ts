import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
} from "jose";
import { describe, expect, it } from "vitest";
import { KeyFileError, loadKeyStore } from "../../src/core/keys.js";

const keysDir = resolve(import.meta.dirname, "../../fixtures/keys");

describe("key store", () => {
  it("writes exactly the token jose's SignJWT writes for the same claims and key", async () => {
    const keys = await loadKeyStore(keysDir, ["sardine"]);
    const file = JSON.parse(await readFile(join(keysDir, "sardine.json"), "utf8")) as {
      jwk: Record<string, string>;
    };
    const claims = {
      iss: "https://sandbox.test",
      sub: "x",
      iat: 1_790_000_000,
      exp: 1_790_000_600,
      nested: { a: [1] },
    };
    const expected = await new SignJWT(claims)
      .setProtectedHeader({ kid: keys.kid("sardine"), alg: "RS256" })
      .sign(await importJWK(file.jwk, "RS256"));
    expect(await keys.sign("sardine", claims)).toBe(expected);
  });

  it("refuses a time claim that is not a finite number, as SignJWT does", async () => {
    const keys = await loadKeyStore(keysDir, ["sardine"]);
    await expect(keys.sign("sardine", { exp: Number.NaN })).rejects.toThrow(/"exp" must be a finite number/);
  });

  it("signs RS256 with kid = RFC 7638 thumbprint, verifiable through its JWKS", async () => {
    const keys = await loadKeyStore(keysDir, ["sardine"]);
    const jwks = keys.jwks("sardine");
    expect(jwks.keys).toHaveLength(1);
    const [pub] = jwks.keys;
    expect(pub).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
    expect(pub).not.toHaveProperty("d");
    expect(pub!.kid).toBe(await calculateJwkThumbprint({ kty: "RSA", n: pub!.n!, e: pub!.e! }));

    const token = await keys.sign("sardine", { sub: "x", b: 1, a: 2 });
    expect(decodeProtectedHeader(token)).toEqual({ kid: pub!.kid, alg: "RS256" });
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks));
    expect(Object.keys(payload)).toEqual(["sub", "b", "a"]);
  });

  it("keeps one key per name", async () => {
    const keys = await loadKeyStore(keysDir, ["sardine", "sumsub"]);
    expect(keys.kid("sardine")).not.toBe(keys.kid("sumsub"));
    expect(() => keys.kid("nobody")).toThrow(/no signing key/);
  });

  it("publishes retired keys after the active one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "keys-"));
    const active = await exportJWK((await generateKeyPair("RS256", { extractable: true })).privateKey);
    const retired = await exportJWK((await generateKeyPair("RS256", { extractable: true })).publicKey);
    await writeFile(join(dir, "v.json"), JSON.stringify({ alg: "RS256", jwk: active, previous: [retired] }));
    const keys = await loadKeyStore(dir, ["v"]);
    const kids = keys.jwks("v").keys.map((k) => k.kid);
    expect(kids).toEqual([await calculateJwkThumbprint(active), await calculateJwkThumbprint(retired)]);
  });

  it("names the file when a key cannot be loaded", async () => {
    const dir = await mkdtemp(join(tmpdir(), "keys-"));
    await writeFile(join(dir, "bad.json"), JSON.stringify({ alg: "RS256", jwk: { kty: "EC" } }));
    await expect(loadKeyStore(dir, ["bad"])).rejects.toThrow(KeyFileError);
    await expect(loadKeyStore(dir, ["missing"])).rejects.toThrow(/missing\.json/);
  });
});
