import * as z from "zod";

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
});
export type DqeFixtures = z.output<typeof fixtureSchema>;

export const tokenResponseSchema = z.strictObject({
  access_token: z.string().regex(/^TK/),
  token_type: z.literal("Bearer"),
  /** A string, as the vendor sends it. */
  expires_in: z.string().regex(/^\d+$/),
  refresh_token: z.string().regex(/^\*TK/),
});
