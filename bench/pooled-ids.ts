import { randomFillSync, randomUUID } from "node:crypto";

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

const URL_SAFE = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-";
const ALNUM = URL_SAFE.slice(0, 62);
const HEX = "0123456789abcdef";

/**
 * Cryptographically random ids from a pooled buffer: one `randomFillSync` per 16 KiB instead of one per id, which
 * profiling showed as the largest single cost of a token request. Characters are drawn without bias (rejection of
 * bytes past the largest multiple of the alphabet size).
 */
export function createIdGenerator(): IdGenerator {
  const pool = Buffer.allocUnsafe(16 * 1024);
  let offset = pool.length;
  const byte = () => {
    if (offset === pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    return pool[offset++]!;
  };
  const scratch = Buffer.allocUnsafe(256);
  const draw = (alphabet: string, size: number) => {
    const length = alphabet.length;
    const limit = 256 - (256 % length);
    let out = "";
    // Characters go into a scratch buffer and leave as one string, not one concatenation per character.
    for (let done = 0; done < size; done += scratch.length) {
      const chunk = Math.min(scratch.length, size - done);
      let n = 0;
      while (n < chunk) {
        const b = byte();
        if (b < limit) scratch[n++] = alphabet.charCodeAt(b % length);
      }
      out += scratch.toString("latin1", 0, chunk);
    }
    return out;
  };
  return {
    token: (size) => draw(URL_SAFE, size),
    alnum: (size) => draw(ALNUM, size),
    hex: (size) => draw(HEX, size),
    uuid: () => randomUUID(),
  };
}
