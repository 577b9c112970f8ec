import { createHmac } from "node:crypto";
import type { WebhookSpec } from "../../core/webhooks.js";
import { endStatuses, webhookBodySchema } from "./schemas.js";

const summaries = {
  completed: "The session was completed",
  failed: "The session failed",
  cancelled: "The session was cancelled",
  expired: "The session expired before it was finished",
} as const;

/**
 * Regula documents that a webhook tells the backend a session ended, carrying `sessionId`, and nothing more: the
 * event names, the body and the signature are the sandbox's choice.
 */
export const webhooks: WebhookSpec = {
  events: Object.fromEntries(
    endStatuses.map((status) => [
      `session.${status}`,
      { summary: summaries[status], body: webhookBodySchema(status) },
    ]),
  ),
  signing:
    "Regula documents no webhook signature; the sandbox's choice: `X-Sandbox-Signature: sha256=<lowercase hex " +
    "HMAC-SHA256 of the raw body, keyed with the subscription's secret>`. A subscription's static `headers` (an " +
    "`Authorization` the receiver checks) go with every delivery.",
  sign: ({ body, secret }) => ({
    "X-Sandbox-Signature": `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`,
  }),
};
