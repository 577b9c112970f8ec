import * as z from "zod";
import {
  coreErrors,
  errorFactory,
  RETRY_AFTER,
  type ErrorFormat,
  type FormatCatalogue,
} from "../../core/errors.js";

/**
 * DQE's errors. `message` is the documented `error_type`, `vendorCode` the documented `error_id`. Which id goes with
 * the table's "Invalid Client" is not documented (this sandbox's choice: `22` for an unknown licence, `03` for a wrong
 * secret).
 */
export const catalogue = {
  ...coreErrors({
    not_found: "not found",
    payload_too_large: "request too large",
    rate_limited: "too many requests",
    internal: "internal server error",
  }),
  invalid_request: { status: 400, vendorCode: "01", message: "invalid request" },
  invalid_client_secret: { status: 400, vendorCode: "03", message: "invalid client secret" },
  invalid_client: { status: 400, vendorCode: "22", message: "invalid client" },
  invalid_token: { status: 401, vendorCode: "30", message: "invalid or expired token" },
  unsupported_grant_type: { status: 400, vendorCode: "31", message: "unsupported grant type" },
  credits_exhausted: { status: 400, vendorCode: "98", message: "credits exhausted" },
  /** A misspelled or unknown parameter name: the vendor answers 500. */
  unknown_parameter: { status: 500, message: "internal server error" },
} as const satisfies FormatCatalogue;

export const fail = errorFactory(catalogue);

/** `{"status": "error", "error_id": "01", "error_type": "invalid request"}`; error_id only where documented. */
export const apiErrors: ErrorFormat = {
  name: "dqe API",
  catalogue,
  schema: z.strictObject({
    status: z.literal("error"),
    error_id: z.string().optional(),
    error_type: z.string(),
  }),
  headers: RETRY_AFTER,
  render: (error, c) => {
    const entry = (catalogue as FormatCatalogue)[error.code];
    const body: Record<string, string> = { status: "error" };
    if (entry?.vendorCode !== undefined) body.error_id = String(entry.vendorCode);
    body.error_type = entry?.message ?? error.message;
    return c.json(body, error.status);
  },
};
