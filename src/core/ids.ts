import { randomBytes, randomUUID } from "node:crypto";
import { customAlphabet } from "nanoid";

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

const alnum = customAlphabet("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
const urlSafe = customAlphabet("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-");

export function createIdGenerator(): IdGenerator {
  return {
    token: (size) => urlSafe(size),
    alnum: (size) => alnum(size),
    hex: (size) =>
      randomBytes(Math.ceil(size / 2))
        .toString("hex")
        .slice(0, size),
    uuid: () => randomUUID(),
  };
}
