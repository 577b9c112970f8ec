/**
 * Webhook signature checks written from each vendor's published description, independently of the
 * sandbox's signing code (never import src/ here): a test that verifies what the sandbox sent with these
 * proves that a real consumer would accept it, not merely that the sandbox agrees with itself.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { Webhook, WebhookVerificationError } from "standardwebhooks";

/** Constant-time string comparison; a length mismatch is answered at once (lengths are public). */
function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

const SUMSUB_ALGORITHMS: Record<string, string> = {
  HMAC_SHA1_HEX: "sha1",
  HMAC_SHA256_HEX: "sha256",
  HMAC_SHA512_HEX: "sha512",
};

/**
 * Sumsub's webhook check: `x-payload-digest` is the lowercase hex HMAC of the raw body under the webhook
 * secret, with the hash named by `x-payload-digest-alg` (HMAC_SHA1_HEX when absent). Unknown alg → false.
 */
export function verifySumsubDigest(
  rawBody: string,
  headers: Record<string, string>,
  secret: string,
): boolean {
  const normalized = lowerCaseKeys(headers);
  const digest = normalized["x-payload-digest"];
  const algorithm = SUMSUB_ALGORITHMS[normalized["x-payload-digest-alg"] ?? "HMAC_SHA1_HEX"];
  if (digest === undefined || algorithm === undefined) return false;
  return safeEqual(digest, createHmac(algorithm, secret).update(rawBody, "utf8").digest("hex"));
}

/** Options of {@link verifyStandardWebhook}: the replay window and the current time, both in seconds. */
export interface StandardWebhookOptions {
  toleranceSeconds?: number;
  now?: number;
}

/**
 * Standard Webhooks (standardwebhooks.com): `webhook-signature` holds space-separated `v1,<base64>` entries,
 * each an HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${body}` under the base64-decoded secret
 * (`whsec_` prefix stripped). Valid when one v1 entry matches and the timestamp is within tolerance of now.
 */
export function verifyStandardWebhook(
  rawBody: string,
  headers: Record<string, string>,
  secret: string,
  options: StandardWebhookOptions = {},
): boolean {
  const normalized = lowerCaseKeys(headers);
  const id = normalized["webhook-id"];
  const timestamp = normalized["webhook-timestamp"];
  const signatures = normalized["webhook-signature"];
  if (!id || !timestamp || !signatures || !/^\d+$/.test(timestamp)) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false;
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
  if (key.length === 0) return false;
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${rawBody}`, "utf8").digest("base64");
  let matched = false;
  for (const entry of signatures.split(" ")) {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== "v1") continue;
    // No early exit: every v1 entry is compared, so timing says nothing about which one matched.
    if (safeEqual(entry.slice(comma + 1), expected)) matched = true;
  }
  return matched;
}

/**
 * The same check by the spec's official JavaScript library (npm `standardwebhooks`), a second opinion on
 * the hand-written one. It reads the clock itself (Date.now()) with a fixed 300 s tolerance: to verify an
 * old fixed vector, fake the system time in the test (vi.setSystemTime).
 */
export function verifyStandardWebhookWithLibrary(
  rawBody: string,
  headers: Record<string, string>,
  secret: string,
): boolean {
  try {
    new Webhook(secret).verify(rawBody, headers, { jsonParse: false });
    return true;
  } catch (error) {
    if (error instanceof WebhookVerificationError) return false;
    throw error;
  }
}

/**
 * A `<prefix><lowercase hex HMAC-SHA256 of the raw body>` header, e.g. `sha256=…`: the sandbox's own
 * scheme where a vendor documents none. A missing header → false.
 */
export function verifyHexHmacHeader(
  rawBody: string,
  headerValue: string | undefined,
  secret: string,
  prefix = "sha256=",
): boolean {
  if (headerValue?.startsWith(prefix) !== true) return false;
  const expected = createHmac("sha256", secret).update(rawBody, "utf8").digest("hex");
  return safeEqual(headerValue.slice(prefix.length), expected);
}

/** Regula documents no webhook signature; the sandbox sends `x-sandbox-signature: sha256=<hex HMAC>`. */
export function verifyRegulaSignature(
  rawBody: string,
  headers: Record<string, string>,
  secret: string,
): boolean {
  return verifyHexHmacHeader(rawBody, lowerCaseKeys(headers)["x-sandbox-signature"], secret);
}
