import * as z from "zod";
import { bounded, FIELD_LIMITS } from "../../core/limits.js";

/** The verdicts a tester gives a document verification; the first is the passing one `verdicts.auto` gives. */
export const VERDICTS = ["low", "medium", "high"] as const;
export const verdictSchema = z.enum(VERDICTS);
export type Verdict = z.output<typeof verdictSchema>;

/**
 * A level of Sardine's `verification` object. Sardine's example shows `low`, `high` and `not_applicable` (a check
 * that did not run: no input data to match, no selfie).
 */
export const levelSchema = z.enum(["low", "medium", "high", "not_applicable"]);

/** `documentData` as the fixtures hold it: what the "document" says. */
const documentDataFixtureSchema = z.strictObject({
  type: z.string().min(1),
  number: z.string().min(1),
  dateOfBirth: z.iso.date(),
  dateOfIssue: z.iso.date(),
  dateOfExpiry: z.iso.date(),
  issuingCountry: z.string().min(1),
  firstName: z.string(),
  middleName: z.string(),
  lastName: z.string(),
  gender: z.string(),
  address: z.string(),
});

/**
 * `verification` as the fixtures hold it. `riskLevel` and `forgeryLevel` are risks (high is bad); the match levels
 * and `imageQualityLevel` say how well something matched or how good it is (high is good), as Sardine's example and
 * integrators' mocks read them.
 */
const verificationFixtureSchema = z.strictObject({
  riskLevel: levelSchema,
  forgeryLevel: levelSchema,
  documentMatchLevel: levelSchema,
  imageQualityLevel: levelSchema,
  faceMatchLevel: levelSchema,
});

const resultFixtureSchema = z.strictObject({
  documentData: documentDataFixtureSchema,
  verification: verificationFixtureSchema,
});
export type ResultFixture = z.output<typeof resultFixtureSchema>;

/** The shipped results (fixtures/sardine.json), also the defaults for an older fixture file without them. */
const DOCUMENT = {
  type: "driver_license",
  number: "S1585910",
  dateOfBirth: "1981-02-17",
  dateOfIssue: "2020-02-16",
  dateOfExpiry: "2030-02-17",
  issuingCountry: "US",
  firstName: "JANE",
  middleName: "",
  lastName: "SANDBOX",
  gender: "female",
  address: "1 Main St, Oklahoma City, Oklahoma 70438",
} as const;
const DEFAULT_RESULTS = {
  low: {
    documentData: DOCUMENT,
    verification: {
      riskLevel: "low",
      forgeryLevel: "low",
      documentMatchLevel: "high",
      imageQualityLevel: "high",
      faceMatchLevel: "high",
    },
  },
  medium: {
    documentData: DOCUMENT,
    verification: {
      riskLevel: "medium",
      forgeryLevel: "medium",
      documentMatchLevel: "medium",
      imageQualityLevel: "medium",
      faceMatchLevel: "medium",
    },
  },
  high: {
    documentData: DOCUMENT,
    verification: {
      riskLevel: "high",
      forgeryLevel: "high",
      documentMatchLevel: "low",
      imageQualityLevel: "medium",
      faceMatchLevel: "low",
    },
  },
} as const;

export const fixtureSchema = z.strictObject({
  clients: z
    .array(
      z.strictObject({
        clientId: z.string().min(1),
        clientSecret: z.string().min(1),
        /** `cid`/`sub` of the au10tix token issued to this client. */
        au10tixClientId: z.string().min(1),
        organizationName: z.string(),
        organizationId: z.number().int(),
      }),
    )
    .min(1),
  au10tix: z.strictObject({ authServerId: z.string().regex(/^[A-Za-z0-9]+$/) }),
  tokenTtlSeconds: z.number().int().positive().default(600),
  /** How long a web link (`POST /v1/identity-documents/urls`) can be opened. */
  linkTtlSeconds: z.number().int().positive().default(3600),
  /** How long a verification stays readable after it was created (after its link expired, for a web link's). */
  verificationRetentionSeconds: z.number().int().positive().default(86_400),
  /** What `GET /v1/identity-documents/verifications/{id}` shows once a verification has each verdict. */
  results: z
    .strictObject({
      low: resultFixtureSchema.default(DEFAULT_RESULTS.low),
      medium: resultFixtureSchema.default(DEFAULT_RESULTS.medium),
      high: resultFixtureSchema.default(DEFAULT_RESULTS.high),
    })
    .prefault({}),
});
export type SardineFixtures = z.output<typeof fixtureSchema>;

/** `POST /v1/identity-documents/tokens` body. Unknown fields are ignored, as a JSON API does. */
export const tokenRequestSchema = z.object({
  sessionKey: z.string().min(1).max(100),
  customerId: z.string().max(FIELD_LIMITS.text).optional(),
  platform: z.enum(["android", "ios"]).optional(),
  provider: z.enum(["au10tix", "incode"]).default("au10tix"),
});
export type TokenRequest = z.output<typeof tokenRequestSchema>;

export const au10tixTokenResponseSchema = z.strictObject({
  token_type: z.literal("Bearer"),
  expires_in: z.number().int(),
  access_token: z.string(),
  scope: z.literal("mobilesdk"),
});

export const incodeTokenResponseSchema = z.strictObject({
  access_token: z.string(),
  verification_id: z.string(),
  incode_sdk_base_url: z.string(),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int(),
});

/** The claims of the au10tix access token, in the order the vendor's example has them. */
export const au10tixClaimsSchema = z.strictObject({
  ver: z.literal(1),
  jti: z.string().startsWith("AT."),
  iss: z.string(),
  aud: z.literal("au10tix"),
  iat: z.number().int(),
  exp: z.number().int(),
  cid: z.string(),
  scp: z.tuple([z.literal("mobilesdk")]),
  sub: z.string(),
  apiUrl: z.string(),
  bosUrl: z.string(),
  clientOrganizationName: z.string(),
  clientOrganizationId: z.number().int(),
});
export type Au10tixClaims = z.output<typeof au10tixClaimsSchema>;

/** `inputData` of a web link, as Sardine documents it: what the person says, to match against the document. */
const inputDataSchema = z.looseObject({
  issuingCountry: z.string().optional(),
  documentNumber: z.string().optional(),
  firstName: z.string().optional(),
  middleName: z.string().optional(),
  lastName: z.string().optional(),
  dateOfBirth: z.string().optional(),
  dateOfIssue: z.string().optional(),
  dateOfExpiry: z.string().optional(),
  gender: z.string().optional(),
  address: z
    .looseObject({
      street1: z.string().optional(),
      street2: z.string().optional(),
      city: z.string().optional(),
      region: z.string().optional(),
      postalCode: z.string().optional(),
      countryCode: z.string().optional(),
    })
    .optional(),
});

/** `POST /v1/identity-documents/urls` body. Unknown fields are ignored, as a JSON API does. */
export const linkRequestSchema = z.object({
  sessionKey: z.string().min(1).max(100),
  customerId: z.string().min(1).max(FIELD_LIMITS.text),
  redirectURL: z
    .url({ protocol: /^https?$/, error: "redirectURL must be an http:// or https:// URL" })
    .optional()
    .describe("Where the page sends the browser once a verdict is chosen; without it, back to the page"),
  inputData: bounded(inputDataSchema).optional(),
  idBack: z.boolean().optional(),
  selfie: z.boolean().optional(),
  poa: z.boolean().optional(),
  locale: z.string().max(FIELD_LIMITS.text).optional(),
});
export type LinkRequest = z.output<typeof linkRequestSchema>;

export const linkResponseSchema = z.strictObject({
  id: z.string().describe("The verification's id, for GET /v1/identity-documents/verifications/{id}"),
  link: z.strictObject({
    expiredAt: z.iso.datetime().describe("When the link stops opening, on the sandbox clock"),
    url: z.url().describe("The sandbox's page where the tester chooses the verdict"),
  }),
});

/** `GET /v1/identity-documents/verifications/{id}` query: accepted as Sardine documents it; none changes the answer. */
export const verificationQuerySchema = z.object({
  type: z
    .enum(["custom", "secure.me", "mobilesdk"])
    .optional()
    .describe("custom: your own capture UI; secure.me: au10tix Web UI; mobilesdk: au10tix native SDK"),
  sessionKey: z.string().optional(),
  customerId: z.string().optional(),
});

/** A level, or "" while the verification has none (pending or expired). */
const shownLevel = z.union([levelSchema, z.literal("")]);

/**
 * The verification as `GET /v1/identity-documents/verifications/{id}` returns it, with Sardine's documented fields.
 * Until a verdict (status `pending`, or `expired` for a web link never used) every field of `documentData` and
 * `verification` is "" (the sandbox's choice: a client that types them as strings never meets a null).
 */
export const verificationResultSchema = z.strictObject({
  verificationId: z.string(),
  status: z
    .enum(["pending", "complete", "expired"])
    .describe("pending until a verdict; expired: a web link that expired unused (the sandbox's choice)"),
  documentData: z.strictObject({
    type: z.string(),
    number: z.string(),
    dateOfBirth: z.string(),
    dateOfIssue: z.string(),
    dateOfExpiry: z.string(),
    issuingCountry: z.string(),
    firstName: z.string(),
    middleName: z.string(),
    lastName: z.string(),
    gender: z.string(),
    address: z.string(),
  }),
  verification: z.strictObject({
    riskLevel: shownLevel,
    forgeryLevel: shownLevel,
    documentMatchLevel: shownLevel,
    imageQualityLevel: shownLevel,
    faceMatchLevel: shownLevel,
  }),
});
export type VerificationResult = z.output<typeof verificationResultSchema>;

export const EVENTS = {
  processed: "document_verification.processed",
  expired: "document_verification.expired",
} as const;
export type EventName = (typeof EVENTS)[keyof typeof EVENTS];

/**
 * A webhook's body. Sardine names the events but documents no body for document verification: this one is the
 * sandbox's choice, the shape of Sardine's case notifications around the GET body.
 */
export function webhookBodySchema(event: EventName) {
  return z.strictObject({
    id: z.string().describe("The event's id"),
    type: z.literal(event),
    timestamp: z.iso
      .datetime()
      .describe("When it happened on the sandbox clock (the link's expiry for expired)"),
    data: z.strictObject({
      case: z.strictObject({
        sessionKey: z.string(),
        customerID: z.string().describe('The verification\'s customerId; "" when it has none'),
      }),
      documentVerificationResult: verificationResultSchema,
    }),
  });
}
