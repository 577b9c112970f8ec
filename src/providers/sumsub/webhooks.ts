import { createHmac } from "node:crypto";
import * as z from "zod";
import type { WebhookSpec } from "../../core/webhooks.js";
import { APPLICANT_TYPES, reviewResultSchema } from "./schemas.js";

export const DIGEST_ALGS = ["HMAC_SHA1_HEX", "HMAC_SHA256_HEX", "HMAC_SHA512_HEX"] as const;
type DigestAlg = (typeof DIGEST_ALGS)[number];
const HASH: Readonly<Record<DigestAlg, string>> = {
  HMAC_SHA1_HEX: "sha1",
  HMAC_SHA256_HEX: "sha256",
  HMAC_SHA512_HEX: "sha512",
};

/** Each event with the review status its body carries. */
export const EVENTS = {
  applicantCreated: { summary: "The applicant is created", reviewStatus: "init" },
  applicantPending: { summary: "The applicant's review started (status pending)", reviewStatus: "pending" },
  applicantReviewed: { summary: "Verification is complete: carries reviewResult", reviewStatus: "completed" },
  applicantOnHold: { summary: "Further processing of the applicant is on hold", reviewStatus: "onHold" },
} as const;
export type ApplicantEventName = keyof typeof EVENTS;

/** The body Sumsub documents for its applicant webhooks: no personal data, `reviewResult` on applicantReviewed. */
function bodySchema<E extends ApplicantEventName>(event: E) {
  return z.strictObject({
    applicantId: z.string(),
    inspectionId: z.string(),
    applicantType: z.enum(APPLICANT_TYPES),
    correlationId: z.string().regex(/^req-[0-9a-f-]{36}$/),
    levelName: z.string(),
    sandboxMode: z.literal(true),
    externalUserId: z.string(),
    type: z.literal(event),
    ...(event === "applicantReviewed" ? { reviewResult: reviewResultSchema } : {}),
    reviewStatus: z.literal(EVENTS[event].reviewStatus),
    createdAtMs: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/)
      .describe("yyyy-MM-dd HH:mm:ss.SSS (UTC), when the event happened on the sandbox clock"),
    clientId: z.string(),
  });
}

export const applicantEventSchemas = {
  applicantCreated: bodySchema("applicantCreated"),
  applicantPending: bodySchema("applicantPending"),
  applicantReviewed: bodySchema("applicantReviewed"),
  applicantOnHold: bodySchema("applicantOnHold"),
};

/** Sumsub's applicant webhooks, signed as its webhook manager signs them. */
export const sumsubWebhooks: WebhookSpec = {
  events: Object.fromEntries(
    Object.entries(EVENTS).map(([name, { summary }]) => [
      name,
      { summary, body: applicantEventSchemas[name as ApplicantEventName] },
    ]),
  ),
  options: z.object({
    digestAlg: z
      .enum(DIGEST_ALGS)
      .default("HMAC_SHA1_HEX")
      .describe("The HMAC of X-Payload-Digest; Sumsub's legacy default is SHA-1"),
  }),
  signing:
    "X-Payload-Digest is the lowercase hex HMAC of the raw body keyed with the subscription's secret, with the hash " +
    "X-Payload-Digest-Alg names: HMAC_SHA1_HEX (default), HMAC_SHA256_HEX or HMAC_SHA512_HEX (option digestAlg).",
  sign: ({ body, secret, options }) => {
    const named = options.digestAlg;
    const alg: DigestAlg = DIGEST_ALGS.find((a) => a === named) ?? "HMAC_SHA1_HEX";
    return {
      "X-Payload-Digest": createHmac(HASH[alg], secret).update(body, "utf8").digest("hex"),
      "X-Payload-Digest-Alg": alg,
    };
  },
};
