import * as z from "zod";
import { editDistance } from "../../core/distance.js";
import { USER_INFO_KEYS, type Identity, type UserInfoKey } from "./schemas.js";

/** A well-formed number: `national` (06…/07…) for a French mobile, the digits as given otherwise. */
export interface Line {
  national: string;
  french: boolean;
}

const FRENCH_MOBILE = /^(?:0|\+33|0033|33)([67]\d{8})$/;
const INTERNATIONAL = /^\+?\d{8,15}$/;

/**
 * Reads `number` the way this sandbox documents it (fixtures/dqe.json `idmobile.about`): a French mobile in national
 * or international form, or, with a `country` other than FR (international matching), 8 to 15 digits. Spaces, dots
 * and dashes are ignored. Undefined when malformed.
 */
export function parseNumber(raw: string, country: string | undefined): Line | undefined {
  const compact = raw.replace(/[\s.-]/g, "");
  const french = FRENCH_MOBILE.exec(compact);
  if (french) return { national: `0${french[1]!}`, french: true };
  if (country !== undefined && country.toUpperCase() !== "FR" && INTERNATIONAL.test(compact))
    return { national: compact, french: false };
  return undefined;
}

const value = z.string().max(256);
/** `user_infos`: every documented key present (even empty); others are ignored. */
export const userInfosSchema = z.object({
  ...(Object.fromEntries(USER_INFO_KEYS.map((key) => [key, value])) as Record<UserInfoKey, typeof value>),
  birthdate: z.union([z.literal(""), z.iso.date()]),
  gender: z.enum(["", "M", "F"]),
});
export type UserInfos = z.output<typeof userInfosSchema>;

/** `user_infos` as sent (a JSON string), or undefined when it is not JSON with every key. */
export function parseUserInfos(raw: string | undefined): UserInfos | undefined {
  if (raw === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = userInfosSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

const fold = (s: string) =>
  s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ").trim();

/**
 * 100 for the same value (ignoring case, accents and spacing; two empty values agree), 0 when only one is empty, else
 * by edit distance.
 */
export function similarity(given: string, known: string): number {
  const [a, b] = [fold(given), fold(known)];
  if (a === b) return 100;
  if (a === "" || b === "") return 0;
  return Math.round(100 * (1 - editDistance(a, b) / Math.max(a.length, b.length)));
}

/** matching_notp: each `user_infos` key scored against what the operator holds for the line. */
export function matchingScores(
  given: UserInfos,
  identity: Identity,
  line: Line,
): Record<UserInfoKey, number> {
  const known: Record<UserInfoKey, string> = { ...identity, phone: line.national };
  const phone = parseNumber(given.phone, undefined)?.national ?? given.phone.replace(/[\s.-]/g, "");
  return Object.fromEntries(
    USER_INFO_KEYS.map((key) => [key, similarity(key === "phone" ? phone : given[key], known[key])]),
  ) as Record<UserInfoKey, number>;
}
