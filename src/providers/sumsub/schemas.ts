import * as z from "zod";

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
});
export type SumsubFixtures = z.output<typeof fixtureSchema>;

/** The `sumsub:` section of the config file. */
export const configSchema = z.strictObject({
  /** Check X-App-Access-Sig on the signed routes (on by default; off for quick manual trials). */
  verifySignature: z.boolean().default(true),
  /** Relax PKCE and redirect URI checks for quick manual trials. Strict by default. */
  lenient: z.boolean().default(false),
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
