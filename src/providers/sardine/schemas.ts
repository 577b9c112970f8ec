import * as z from "zod";

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
});
export type SardineFixtures = z.output<typeof fixtureSchema>;

/** `POST /v1/identity-documents/tokens` body. Unknown fields are ignored, as a JSON API does. */
export const tokenRequestSchema = z.object({
  sessionKey: z.string().min(1).max(100),
  customerId: z.string().optional(),
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
