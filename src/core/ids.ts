import { randomUUID } from "node:crypto";
import { customAlphabet, urlAlphabet } from "nanoid";

/** Where every random identifier comes from, so tests can swap in a predictable one. */
export interface IdGenerator {
  /** URL-safe random string (`A-Za-z0-9_-`) of `size` characters. */
  token(size: number): string;
  /** Random string over `[A-Za-z0-9]` of `size` characters. */
  alnum(size: number): string;
  /** Lowercase hex of `size` characters. */
  hex(size: number): string;
  uuid(): string;
}

const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX = "0123456789abcdef";

/**
 * Cryptographically random ids from nanoid, which draws from a pooled buffer of random bytes and rejects the bytes
 * that would bias a non-power-of-two alphabet. The hand-written pooled generator it replaced is variant B of
 * `npm run bench:ab -- ids`; bench/README.md has the same-run figures on the token endpoints.
 */
export function createIdGenerator(): IdGenerator {
  const token = customAlphabet(urlAlphabet, 48);
  const alnum = customAlphabet(ALNUM, 24);
  const hex = customAlphabet(HEX, 32);
  return {
    token: (size) => token(size),
    alnum: (size) => alnum(size),
    hex: (size) => hex(size),
    uuid: () => randomUUID(),
  };
}
