import * as z from "zod";

/** The keys of `user_infos`, in the vendor's order: each must be present, even if empty. */
export const USER_INFO_KEYS = [
  "street_address",
  "postal_code",
  "locality",
  "country",
  "birthdate",
  "email",
  "lastname",
  "maiden_name",
  "gender",
  "firstname",
  "phone",
  "number",
] as const;
export type UserInfoKey = (typeof USER_INFO_KEYS)[number];

/** The scopes that wait for the subscriber: step 1 gives a URL, step 2 (`/GET/`) the result. */
export const CONSENT_SCOPES = ["numVerify", "formfilling", "billing"] as const;
export type ConsentScope = (typeof CONSENT_SCOPES)[number];
/** Every IDMobile scope; `simswap` and `matching_notp` answer at once. */
export const SCOPES = ["matching_notp", "simswap", ...CONSENT_SCOPES] as const;
export type Scope = (typeof SCOPES)[number];

/**
 * How a check ends (the verdicts a tester gives), each with what `/GET/` then answers: `confirmed` the data, `refused`
 * error 21, `failed` error 20 (OTP not completed), `no_data` error 18, `error` error 99.
 */
export const CHECK_VERDICTS = ["confirmed", "refused", "failed", "no_data", "error"] as const;
export type CheckVerdict = (typeof CHECK_VERDICTS)[number];

/** A French mobile number in national form, as the fixtures write them. */
const nationalMobile = z
  .string()
  .regex(/^0[67]\d{8}$/, "a French mobile number in national form, 06… or 07…");

/** The subscriber of a line as the operator knows them, in `user_infos` words (`phone` is the line's own number). */
const identitySchema = z.strictObject({
  firstname: z.string(),
  lastname: z.string(),
  maiden_name: z.string(),
  gender: z.enum(["M", "F"]),
  birthdate: z.iso.date(),
  /** Birth department, as formfilling gives it. */
  birthplace: z.string(),
  email: z.email(),
  /** Street number. */
  number: z.string(),
  street_address: z.string(),
  postal_code: z.string(),
  locality: z.string(),
  country: z.string(),
  locale: z.string(),
  updated_at: z.iso.date(),
  /** The customer's id in the operator's database. */
  sub: z.string(),
});
export type Identity = z.output<typeof identitySchema>;

const PDF = [0x25, 0x50, 0x44, 0x46, 0x2d]; // %PDF-
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A magic number: like a payment sandbox's test card, it picks the operator and what happens to the line. */
const magicNumberSchema = z.strictObject({
  number: nationalMobile,
  about: z.string().optional(),
  operator: z.string().min(1).optional(),
  /** The SIM was swapped this many hours ago: simswap answers "true" when `period` reaches back that far. */
  swappedHoursAgo: z.number().int().min(0).optional(),
  /** Ends every check at once with this verdict, or `never` (pending for good, no automatic verdict). */
  outcome: z.enum([...CHECK_VERDICTS, "never"]).optional(),
  /** Who the operator says holds the line; the fixtures' `subscriber` otherwise. */
  identity: identitySchema.optional(),
});
export type MagicNumber = z.output<typeof magicNumberSchema>;

/** The IDMobile section shipped in fixtures/dqe.json; also what an older fixture file without it gets. */
export const DEFAULT_IDMOBILE = {
  about:
    "number: a French mobile (06/07) as 0612345678, 33612345678, +33612345678 or 0033612345678 (spaces, dots and dashes ignored); with country other than FR, 8 to 15 digits with an optional +. Any other well-formed number is an ordinary line: its operator is defaultOperator, its SIM never swapped, its checks pending until a tester answers them.",
  checkTtlSeconds: 900,
  defaultOperator: "Orange",
  subscriber: {
    firstname: "Camille",
    lastname: "Martin",
    maiden_name: "",
    gender: "F",
    birthdate: "1985-04-12",
    birthplace: "75",
    email: "camille.martin@example.com",
    number: "12",
    street_address: "Rue de la Paix",
    postal_code: "75002",
    locality: "Paris",
    country: "France",
    locale: "fr-FR",
    updated_at: "2025-11-03",
    sub: "sbx-0001",
  },
  billingDocument:
    "JVBERi0xLjQKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIgPj4KZW5kb2JqCjIgMCBvYmoKPDwgL1R5cGUgL1BhZ2VzIC9LaWRzIFszIDAgUl0gL0NvdW50IDEgPj4KZW5kb2JqCjMgMCBvYmoKPDwgL1R5cGUgL1BhZ2UgL1BhcmVudCAyIDAgUiAvTWVkaWFCb3ggWzAgMCAyMDAgMTAwXSAvQ29udGVudHMgNCAwIFIgL1Jlc291cmNlcyA8PCAvRm9udCA8PCAvRjEgNSAwIFIgPj4gPj4gPj4KZW5kb2JqCjQgMCBvYmoKPDwgL0xlbmd0aCA0MiA+PgpzdHJlYW0KQlQgL0YxIDEyIFRmIDIwIDUwIFRkIChTYW5kYm94IGJpbGwpIFRqIEVUCmVuZHN0cmVhbQplbmRvYmoKNSAwIG9iago8PCAvVHlwZSAvRm9udCAvU3VidHlwZSAvVHlwZTEgL0Jhc2VGb250IC9IZWx2ZXRpY2EgPj4KZW5kb2JqCnhyZWYKMCA2CjAwMDAwMDAwMDAgNjU1MzUgZiAKMDAwMDAwMDAwOSAwMDAwMCBuIAowMDAwMDAwMDU4IDAwMDAwIG4gCjAwMDAwMDAxMTUgMDAwMDAgbiAKMDAwMDAwMDI0MSAwMDAwMCBuIAowMDAwMDAwMzMzIDAwMDAwIG4gCnRyYWlsZXIKPDwgL1NpemUgNiAvUm9vdCAxIDAgUiA+PgpzdGFydHhyZWYKNDAzCiUlRU9GCg==",
  numbers: [
    {
      number: "0639980001",
      operator: "Orange",
      outcome: "confirmed",
      about: "The subscriber confirms at once",
    },
    { number: "0639980002", operator: "SFR", outcome: "refused", about: "The subscriber refuses: error 21" },
    {
      number: "0639980003",
      operator: "Bouygues Telecom",
      outcome: "never",
      about: "The subscriber never answers: pending for good, even with automatic verdicts",
    },
    {
      number: "0639980004",
      operator: "Free Mobile",
      outcome: "failed",
      about: "The OTP is not completed: error 20",
    },
    {
      number: "0639980005",
      operator: "Orange",
      outcome: "no_data",
      about: "The operator sends no data: error 18",
    },
    { number: "0639980006", operator: "SFR", outcome: "error", about: "A server error: error 99" },
    { number: "0639980010", operator: "Orange", swappedHoursAgo: 2, about: "SIM swapped 2 hours ago" },
    { number: "0639980011", operator: "SFR", swappedHoursAgo: 48, about: "SIM swapped 48 hours ago" },
    {
      number: "0639980012",
      operator: "Bouygues Telecom",
      swappedHoursAgo: 720,
      about: "SIM swapped 30 days (720 hours) ago",
    },
    {
      number: "0639980020",
      operator: "Free Mobile",
      about: "Held by another subscriber (Jean Dupont), for matching and formfilling",
      identity: {
        firstname: "Jean",
        lastname: "Dupont",
        maiden_name: "",
        gender: "M",
        birthdate: "1970-01-31",
        birthplace: "69",
        email: "jean.dupont@example.org",
        number: "3",
        street_address: "Place Bellecour",
        postal_code: "69002",
        locality: "Lyon",
        country: "France",
        locale: "fr-FR",
        updated_at: "2024-06-15",
        sub: "sbx-0020",
      },
    },
  ],
} as const;

const idmobileSchema = z.strictObject({
  /** How numbers are read; documentation only. */
  about: z.string().optional(),
  /** How long a check, and its confirmation link, is kept. */
  checkTtlSeconds: z.number().int().positive(),
  /** The operator of every number that is not magic. */
  defaultOperator: z.string().min(1),
  subscriber: identitySchema,
  /** What billing gives: a small PDF or PNG, base64. */
  billingDocument: z.base64().refine((b64) => {
    const bytes = Buffer.from(b64, "base64");
    return [PDF, PNG].some((magic) => magic.every((byte, i) => bytes[i] === byte));
  }, "billingDocument must be a base64 PDF or PNG"),
  numbers: z
    .array(magicNumberSchema)
    .refine((list) => new Set(list.map((n) => n.number)).size === list.length, {
      message: "each magic number once",
    }),
});

export const fixtureSchema = z.strictObject({
  licences: z
    .array(
      z.strictObject({
        licence: z.string().min(1),
        clientSecret: z.string().min(1),
        /** Every token request for this licence answers error 98, credits exhausted. */
        creditsExhausted: z.boolean().default(false),
      }),
    )
    .min(1),
  accessTokenTtlSeconds: z.number().int().positive().default(300),
  /** DQE documents the refresh as valid for at most 10 minutes. */
  refreshTokenTtlSeconds: z.number().int().positive().default(600),
  idmobile: idmobileSchema.prefault(DEFAULT_IDMOBILE as unknown as z.input<typeof idmobileSchema>),
});
export type DqeFixtures = z.output<typeof fixtureSchema>;

export const tokenResponseSchema = z.strictObject({
  access_token: z.string().regex(/^TK/),
  token_type: z.literal("Bearer"),
  /** A string, as the vendor sends it. */
  expires_in: z.string().regex(/^\d+$/),
  refresh_token: z.string().regex(/^\*TK/),
});

const score = z.number().int().min(0).max(100);

/** Step 1 of IDMOBILE: one object holding each asked scope's own fields (a multiscope call holds several). */
export const idmobileResponseSchema = z.strictObject({
  status: z.literal("success"),
  operator: z.string(),
  url: z.url().optional().describe("numVerify, formfilling, billing: the page where the subscriber answers"),
  swapped: z.enum(["true", "false"]).optional().describe("simswap: a string, as the vendor sends it"),
  matching: z
    .strictObject(
      Object.fromEntries(USER_INFO_KEYS.map((key) => [key, score])) as Record<UserInfoKey, typeof score>,
    )
    .optional()
    .describe(
      "matching_notp: a similarity score per user_infos key, 0 to 100 (the sandbox's choice of shape)",
    ),
});

export const formfillingSchema = z.strictObject({
  phone_number: z.string(),
  family_name: z.string(),
  name: z.string(),
  locale: z.string(),
  gender: z.string(),
  updated_at: z.string(),
  birthdate: z.string(),
  birthplace: z.string(),
  given_name: z.string(),
  address: z.strictObject({
    country: z.string(),
    postal_code: z.string(),
    formatted: z.string(),
    street_address: z.string(),
    number: z.string(),
    locality: z.string(),
  }),
  email: z.string(),
  email_domain: z.string(),
  email_account: z.string(),
  subscriber_msisdn: z.string(),
  sub: z.string(),
});

/** Step 2 (`/GET/`): pending until the subscriber answers, then each consent scope's data. */
export const retrievalResponseSchema = z.union([
  z.strictObject({ status: z.literal("pending"), scope: z.string() }),
  z.strictObject({
    status: z.literal("success"),
    scope: z.string().describe("The scope sent to IDMOBILE, scopes joined with commas"),
    code_name: z.string().optional().describe("With formfilling: the code_name sent"),
    numVerify: z.literal(true).optional(),
    formfilling: formfillingSchema.optional(),
    billing: z.string().optional().describe("The proof of address, base64"),
  }),
]);
