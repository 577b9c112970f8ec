import * as z from "zod";
import { bounded, FIELD_LIMITS } from "../../core/limits.js";

export const SCOPES = ["openid", "profile", "email", "name", "share", "offline_access"] as const;
export type Scope = (typeof SCOPES)[number];

export const fixtureSchema = z.strictObject({
  /** App tokens for the HMAC-signed routes, each tied to an ID Connect client. */
  apps: z
    .array(
      z.strictObject({
        appToken: z.string().min(1),
        secretKey: z.string().min(1),
        clientId: z.string().min(1),
        /** When false, the signed token route answers 404 `Invalid clientId: <clientId>`. */
        idConnectEnabled: z.boolean(),
      }),
    )
    .min(1),
  clients: z
    .array(
      z.strictObject({
        clientId: z.string().min(1),
        clientSecret: z.string().min(1),
        redirectUris: z.array(z.url()).min(1),
      }),
    )
    .min(1),
  /** The users authorize answers for; the first unless `login_hint` names another (by email or sub). */
  users: z
    .array(
      z.strictObject({
        sub: z.string().min(1),
        email: z.email(),
        givenName: z.string(),
        familyName: z.string(),
        createdAt: z.iso.datetime(),
        sharingAllowed: z.boolean().default(true),
      }),
    )
    .min(1),
  codeTtlSeconds: z.number().int().positive().default(300),
  accessTokenTtlSeconds: z.number().int().positive().default(86_400),
  refreshTokenTtlSeconds: z.number().int().positive().default(2_592_000),
  /** How far `X-App-Access-Ts` may be from the sandbox clock. */
  signatureWindowSeconds: z.number().int().positive().default(60),
  /** How long an applicant is kept after it was created (30 days). */
  applicantRetentionSeconds: z.number().int().positive().default(2_592_000),
  /** How long the interactive login page waits for Allow or Deny before its authorization request is gone. */
  loginTtlSeconds: z.number().int().positive().default(600),
});
export type SumsubFixtures = z.output<typeof fixtureSchema>;

/** The `sumsub:` section of the config file. */
export const configSchema = z.strictObject({
  /** Check X-App-Access-Sig on the signed routes (on by default; off for quick manual trials). */
  verifySignature: z.boolean().default(true),
  /** Relax PKCE and redirect URI checks for quick manual trials. Strict by default. */
  lenient: z.boolean().default(false),
  /**
   * What authorize does: `auto` consents at once for the `login_hint` user (or the first); `interactive` shows a page
   * where a person picks a user or types an identity, then allows or denies. `prompt=login` or `prompt=consent` on a
   * request asks for the page whatever this says.
   */
  login: z.enum(["auto", "interactive"]).default("auto"),
});
export type SumsubConfig = z.output<typeof configSchema>;
export type SumsubUser = SumsubFixtures["users"][number];

/** A space-separated scope string of known scopes, at least one. */
export const scopeString = z
  .string()
  .transform((s) => s.split(" ").filter(Boolean))
  .pipe(z.array(z.enum(SCOPES), { error: `scope must hold only ${SCOPES.join(", ")}` }).min(1));

/** `POST /resources/snsId/api/connect/token` (JSON, HMAC-signed). */
export const connectTokenRequestSchema = z.discriminatedUnion(
  "grant_type",
  [
    z.object({
      grant_type: z.literal("authorization_code"),
      code: z.string().min(1),
      codeVerifier: z.string().min(1),
    }),
    z.object({
      grant_type: z.literal("refresh_token"),
      refresh_token: z.string().min(1),
      codeVerifier: z.string().min(1),
      scope: scopeString,
    }),
  ],
  { error: "grant_type must be authorization_code or refresh_token" },
);

export const connectTokenResponseSchema = z.strictObject({
  access_token: z.string().startsWith("snd-id-con-a-"),
  refresh_token: z.string().startsWith("snd-id-con-r-").optional(),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int(),
  id_token: z.string().optional(),
});

/** `POST /resources/accessTokens/sumsubIdShareToken` (JSON, HMAC-signed). */
export const shareTokenRequestSchema = z.object({
  sumsubIdConnectToken: z.string().min(1),
  forClientId: z.string().min(1),
  ttlInSecs: z.number().int().min(1).max(86_400).default(1800),
});

export const shareTokenResponseSchema = z.strictObject({
  token: z.string(),
  forClientId: z.string(),
  sharingAllowed: z.boolean(),
});

export const oidcTokenResponseSchema = z.strictObject({
  access_token: z.string(),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int(),
  refresh_token: z.string().optional(),
  id_token: z.string().optional(),
  scope: z.string(),
});

// ---- Applicants, WebSDK access tokens, ID Connect reuse --------------------------------------------------------

export const APPLICANT_TYPES = ["individual", "company"] as const;
export const REVIEW_STATUSES = ["init", "pending", "onHold", "completed"] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** The longest `ttlInSecs` a WebSDK access token may ask for (Sumsub documents none: a year). */
const MAX_SDK_TTL = 31_536_000;

/** `reviewResult` as Sumsub writes it in an applicant, its status and the `applicantReviewed` webhook. */
export const reviewResultSchema = z.strictObject({
  reviewAnswer: z.enum(["GREEN", "RED"]),
  rejectLabels: z.array(z.string()).optional(),
  reviewRejectType: z.enum(["FINAL", "RETRY"]).optional(),
  moderationComment: z.string().optional(),
  clientComment: z.string().optional(),
});
export type ReviewResult = z.output<typeof reviewResultSchema>;

/** Free-form objects a client may send (`fixedInfo`) and the applicant's `info`: kept and echoed as given. */
const freeForm = bounded(z.record(z.string(), z.unknown()));
const metadataSchema = bounded(z.array(z.strictObject({ key: z.string(), value: z.string() })));

export const levelQuery = z.object({
  levelName: z
    .string()
    .min(1)
    .describe("The verification level; any name is taken (the sandbox holds no levels)"),
});

/**
 * `POST /resources/applicants?levelName=` (JSON, HMAC-signed). Sumsub takes many more fields (`info`, `questionnaires`,
 * …): any other field is accepted and not kept.
 */
export const createApplicantSchema = z.looseObject({
  externalUserId: z
    .string()
    .min(1)
    .max(FIELD_LIMITS.text)
    .describe("Unique per client: a second applicant with it answers 409"),
  email: z.string().max(FIELD_LIMITS.text).optional(),
  phone: z.string().max(FIELD_LIMITS.text).optional(),
  lang: z.string().max(FIELD_LIMITS.text).optional(),
  sourceKey: z.string().max(FIELD_LIMITS.text).optional(),
  type: z.enum(APPLICANT_TYPES).default("individual"),
  fixedInfo: freeForm.optional().describe("Kept and returned as given"),
  metadata: metadataSchema.optional(),
});
export type CreateApplicantInput = z.output<typeof createApplicantSchema>;

export const reviewSchema = z.strictObject({
  reviewId: z.string(),
  attemptId: z.string(),
  attemptCnt: z.number().int(),
  levelName: z.string(),
  createDate: z.string().describe("yyyy-MM-dd HH:mm:ss+0000 (UTC)"),
  reviewDate: z.string().optional().describe("yyyy-MM-dd HH:mm:ss+0000 (UTC), once completed"),
  reviewStatus: z.enum(REVIEW_STATUSES),
  reviewResult: reviewResultSchema.optional(),
  priority: z.number().int(),
});

export const applicantSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{24}$/),
  createdAt: z.string().describe("yyyy-MM-dd HH:mm:ss (UTC)"),
  key: z.string(),
  clientId: z.string(),
  inspectionId: z.string().regex(/^[0-9a-f]{24}$/),
  externalUserId: z.string(),
  levelName: z.string(),
  sourceKey: z.string().optional(),
  info: freeForm.describe(
    "What Sumsub knows of the person: the shared identity's name after a reuse, else empty",
  ),
  fixedInfo: freeForm.optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  lang: z.string().optional(),
  metadata: metadataSchema.optional(),
  applicantPlatform: z.literal("API"),
  review: reviewSchema,
  type: z.enum(APPLICANT_TYPES),
});

/** `POST /resources/applicants/{applicantId}/status/testCompleted` (JSON, HMAC-signed). */
export const testCompletedSchema = z
  .object({
    reviewAnswer: z.enum(["GREEN", "RED"]),
    rejectLabels: z.array(z.string().min(1).max(FIELD_LIMITS.text)).max(100).optional(),
    reviewRejectType: z.enum(["FINAL", "RETRY"]).optional().describe("RED only; FINAL when absent"),
    moderationComment: z.string().max(FIELD_LIMITS.bytes).optional(),
    clientComment: z.string().max(FIELD_LIMITS.bytes).optional(),
  })
  .superRefine((body, ctx) => {
    // Sumsub documents no refusal here; a verdict that says two things at once is refused (our choice).
    if (body.reviewAnswer === "RED" && !body.rejectLabels?.length)
      ctx.addIssue({ code: "custom", path: ["rejectLabels"], message: "rejectLabels is required with RED" });
    if (body.reviewAnswer === "GREEN" && body.rejectLabels?.length)
      ctx.addIssue({
        code: "custom",
        path: ["rejectLabels"],
        message: "rejectLabels must be empty with GREEN",
      });
    if (body.reviewAnswer === "GREEN" && body.reviewRejectType !== undefined)
      ctx.addIssue({
        code: "custom",
        path: ["reviewRejectType"],
        message: "reviewRejectType is for RED only",
      });
  });

export const okSchema = z.strictObject({ ok: z.literal(1) });

/** `POST /resources/accessTokens/sdk` (JSON, HMAC-signed). */
export const sdkTokenRequestSchema = z.looseObject({
  userId: z
    .string()
    .min(1)
    .max(FIELD_LIMITS.text)
    .describe("The externalUserId of the applicant the WebSDK will show"),
  levelName: z.string().min(1).max(FIELD_LIMITS.text),
  ttlInSecs: z.number().int().min(1).max(MAX_SDK_TTL).default(600),
});

/** `POST /resources/accessTokens?userId=&levelName=&ttlInSecs=` (no body, HMAC-signed): the older form. */
export const sdkTokenQuerySchema = z.object({
  userId: z.string().min(1).max(FIELD_LIMITS.text),
  levelName: z.string().min(1).max(FIELD_LIMITS.text).optional(),
  ttlInSecs: z.coerce.number().int().min(1).max(MAX_SDK_TTL).default(600),
});

export const sdkTokenResponseSchema = z.strictObject({
  token: z.string().startsWith("_act-sbx-jwt-"),
  userId: z.string(),
});

/** `…/reusableIdentity/reuse` and `…/reuse/preview` (HMAC-signed). */
export const reuseQuerySchema = z.object({
  shareToken: z
    .string()
    .min(1)
    .describe("From POST /resources/accessTokens/sumsubIdShareToken, for this client"),
  levelName: z.string().min(1).max(FIELD_LIMITS.text),
  userId: z.string().min(1).max(FIELD_LIMITS.text).describe("The externalUserId the new applicant gets"),
});
