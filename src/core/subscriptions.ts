/**
 * What a webhook subscription may be, from the config file or `POST /__admin/webhooks`: the input's shape, and the
 * check against the vendors' webhook specs (a vendor that sends webhooks, events it sends, its own options).
 */
import * as z from "zod";
import type { Subscription } from "./deliveries.js";
import type { WebhookSpec } from "./webhooks.js";

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers a subscription may not set: the message's framing and hops, and what the sandbox itself sends. */
const RESERVED_HEADERS = new Set([
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "expect",
  "host",
  "te",
  "trailer",
  "content-type",
  "user-agent",
  "x-sandbox-namespace",
]);
/** Most subscriptions one namespace keeps over the API. */
export const MAX_SUBSCRIPTIONS = 100;

/** A subscription as the config file and `POST /__admin/webhooks` take it; a vendor's own options sit beside. */
export const subscriptionInputSchema = z.looseObject({
  vendor: z.string().min(1).describe("A vendor that sends webhooks"),
  url: z
    .url({ protocol: /^https?$/, error: "url must be an http:// or https:// URL" })
    .max(2048)
    .refine((url) => {
      const parsed = new URL(url);
      return parsed.username === "" && parsed.password === "";
    }, "url must not carry credentials (user:password@): use headers, e.g. Authorization"),
  secret: z.string().min(1).describe("What the vendor's signature is keyed with"),
  events: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe("The events to send; every event of the vendor when absent"),
  headers: z
    .record(
      z.string().regex(headerName, "a header name is letters, digits and !#$%&'*+.^_`|~-"),
      z
        .string()
        .max(4096)
        .regex(/^[\t\x20-\x7e]*$/, "a header value is visible ASCII, spaces and tabs (no line break)"),
    )
    .superRefine((headers, ctx) => {
      if (Object.keys(headers).length > 20) ctx.addIssue({ code: "custom", message: "at most 20 headers" });
      for (const name of Object.keys(headers))
        if (RESERVED_HEADERS.has(name.toLowerCase()))
          ctx.addIssue({ code: "custom", path: [name], message: "the sandbox sets this header itself" });
    })
    .optional()
    .describe("Static headers sent with every delivery, e.g. an Authorization the receiver checks"),
});
export type SubscriptionInput = z.output<typeof subscriptionInputSchema>;

/** Each spec's options schema, strict, built once (not on every subscription). */
const strictOptions = new WeakMap<WebhookSpec, z.ZodObject>();
function strictOptionsOf(spec: WebhookSpec): z.ZodObject {
  let schema = strictOptions.get(spec);
  if (!schema) strictOptions.set(spec, (schema = (spec.options ?? z.object({})).strict()));
  return schema;
}

/**
 * Checks a subscription against the vendors' webhook specs: a vendor that sends webhooks, events it sends, and its
 * own options. Returns the subscription's fields, or the field at fault and why.
 */
export function checkSubscription(
  input: SubscriptionInput,
  specs: ReadonlyMap<string, WebhookSpec>,
):
  | { ok: true; value: Omit<Subscription, "id" | "source" | "createdAt"> }
  | { ok: false; field: string; message: string } {
  const { vendor, url, secret, events, headers, ...rest } = input;
  const spec = specs.get(vendor);
  if (!spec)
    return {
      ok: false,
      field: "vendor",
      message: `vendor: ${vendor} sends no webhooks here (one of ${[...specs.keys()].join(", ")})`,
    };
  const known = Object.keys(spec.events);
  const unknown = events?.find((e) => !known.includes(e));
  if (unknown !== undefined)
    return {
      ok: false,
      field: "events",
      message: `events: ${unknown} is not a ${vendor} event (one of ${known.join(", ")})`,
    };
  const secretOk = spec.secret?.safeParse(secret);
  if (secretOk && !secretOk.success)
    return { ok: false, field: "secret", message: `secret: ${secretOk.error.issues[0]!.message}` };
  const optionsSchema = strictOptionsOf(spec);
  const parsed = optionsSchema.safeParse(rest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field =
      issue.code === "unrecognized_keys" ? issue.keys.join(", ") : issue.path.join(".") || "(root)";
    const what =
      issue.code === "unrecognized_keys" ? `not a field of a ${vendor} subscription` : issue.message;
    return { ok: false, field, message: `${field}: ${what}` };
  }
  return {
    ok: true,
    value: { vendor, url, secret, events: events ?? null, headers: headers ?? {}, options: parsed.data },
  };
}
