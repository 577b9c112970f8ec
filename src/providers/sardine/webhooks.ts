import { createHmac } from "node:crypto";
import * as z from "zod";
import type { WebhookSpec } from "../../core/webhooks.js";
import { EVENTS, webhookBodySchema } from "./schemas.js";

const PREFIX = "whsec_";
/** Standard base64 with its padding, at least one byte. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$/;

/** A Standard Webhooks secret: `whsec_` then the base64 of the HMAC key. */
export const secretSchema = z
  .string()
  .refine(
    (s) => s.startsWith(PREFIX) && BASE64.test(s.slice(PREFIX.length)),
    `a Standard Webhooks secret is ${PREFIX} followed by the base64 of the key (e.g. ${PREFIX}MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw)`,
  );

/**
 * Sardine's webhooks for document verification. Sardine names the events; it documents the Standard Webhooks
 * signature for its other products, not this one, so the sandbox signs these the same way.
 */
export const webhooks: WebhookSpec = {
  events: {
    [EVENTS.processed]: {
      summary: "A verification got its result (the GET body in documentVerificationResult)",
      body: webhookBodySchema(EVENTS.processed),
    },
    [EVENTS.expired]: {
      summary: "A web link expired before the document was verified",
      body: webhookBodySchema(EVENTS.expired),
    },
  },
  secret: secretSchema,
  signing:
    "Standard Webhooks: `webhook-id` (the delivery's id, the same on every attempt), `webhook-timestamp` (Unix " +
    'seconds of the attempt on the sandbox clock) and `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.' +
    "<body>\">`, keyed with the base64-decoded part of the subscription's `whsec_…` secret after the prefix.",
  sign: ({ id, body, timestamp, secret }) => {
    const key = Buffer.from(secret.slice(PREFIX.length), "base64");
    const signed = `${id}.${String(timestamp)}.${body}`;
    return {
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": `v1,${createHmac("sha256", key).update(signed, "utf8").digest("base64")}`,
    };
  },
};
