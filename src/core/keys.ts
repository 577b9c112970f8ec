import { createPublicKey } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  calculateJwkThumbprint,
  CompactSign,
  importJWK,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
} from "jose";
import * as z from "zod";
import { safeParseOnce } from "./data-file.js";

/**
 * The signing keys, one key set per name (a vendor's issuer), loaded once from `fixtures/keys/<name>.json`.
 * `kid` is the RFC 7638 thumbprint. Retired keys listed under `previous` stay in the JWKS but sign nothing.
 */
export interface KeyStore {
  /** Signs `payload` as an RS256 JWT with header `{kid, alg}`; claim order is kept as given. */
  sign(name: string, payload: JWTPayload): Promise<string>;
  /** The public JWKS for `name`: the active key first, then retired ones. */
  jwks(name: string): JSONWebKeySet;
  /** The `kid` of the active key for `name`. */
  kid(name: string): string;
}

const jwkSchema = z.looseObject({ kty: z.literal("RSA"), n: z.string(), e: z.string() });
const keyFileSchema = z.object({
  warning: z.string().optional(),
  alg: z.literal("RS256"),
  jwk: jwkSchema.extend({ d: z.string() }),
  previous: z.array(jwkSchema).default([]),
});

interface KeySet {
  /** The protected header of every token this set signs; its `kid` is the active key's. */
  header: { kid: string; alg: "RS256" };
  privateKey: CryptoKey;
  jwks: JSONWebKeySet;
}

async function publicJwk(jwk: JWK): Promise<JWK> {
  const pub = createPublicKey({ key: jwk as never, format: "jwk" }).export({ format: "jwk" }) as JWK;
  return { kty: "RSA", n: pub.n, e: pub.e, kid: await calculateJwkThumbprint(pub), alg: "RS256", use: "sig" };
}

const encoder = new TextEncoder();

export class KeyFileError extends Error {
  override readonly name = "KeyFileError";
}

export async function loadKeyStore(dir: string, names: readonly string[]): Promise<KeyStore> {
  const sets = new Map<string, KeySet>();
  for (const name of names) {
    const file = join(dir, `${name}.json`);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(file, "utf8"));
    } catch (cause) {
      throw new KeyFileError(`cannot read signing key ${file}: ${(cause as Error).message}`, { cause });
    }
    const parsed = safeParseOnce(keyFileSchema, raw);
    if (!parsed.success) throw new KeyFileError(`invalid signing key file ${file}: ${parsed.error.message}`);
    const active = await publicJwk(parsed.data.jwk);
    const retired = await Promise.all(parsed.data.previous.map((jwk) => publicJwk(jwk as JWK)));
    const privateKey = await importJWK({ ...parsed.data.jwk, alg: "RS256" }, "RS256");
    if (privateKey instanceof Uint8Array) throw new KeyFileError(`signing key ${file} is not an RSA key`);
    sets.set(name, {
      header: { kid: active.kid!, alg: "RS256" },
      privateKey,
      jwks: { keys: [active, ...retired] },
    });
  }
  const get = (name: string): KeySet => {
    const set = sets.get(name);
    if (!set) throw new Error(`no signing key loaded for "${name}"`);
    return set;
  };
  return {
    // jose's CompactSign over the claims' JSON: the same bytes SignJWT writes, without the copy of the claims and the
    // WeakMap entry it keeps per token (both showed in profiles of the RS256 routes). RS256 (PKCS#1 v1.5) is
    // deterministic, so the token is identical.
    sign: async (name, payload) => {
      const set = get(name);
      for (const claim of ["iat", "nbf", "exp"] as const) {
        const value = payload[claim];
        if (value !== undefined && !Number.isFinite(value))
          throw new TypeError(`"${claim}" must be a finite number`);
      }
      return new CompactSign(encoder.encode(JSON.stringify(payload)))
        .setProtectedHeader(set.header)
        .sign(set.privateKey);
    },
    jwks: (name) => get(name).jwks,
    kid: (name) => get(name).header.kid,
  };
}
