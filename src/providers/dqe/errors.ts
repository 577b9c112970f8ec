import * as z from "zod";
import {
  coreErrors,
  errorFactory,
  RETRY_AFTER,
  type ErrorFormat,
  type FormatCatalogue,
} from "../../core/errors.js";
import { PAGE_CORE_ERRORS, vendorPages } from "../../core/page.js";

/**
 * DQE's errors. `message` is the documented `error_type`, `vendorCode` the documented `error_id`. Which id goes with
 * the table's "Invalid Client" is not documented (this sandbox's choice: `22` for an unknown licence, `03` for a wrong
 * secret). IDMobile's HTTP statuses are not documented either: like ACCESS_TOKEN's table, 400 for every error but a
 * bad token (401, as the refresh answers it) and a server error (500).
 */
export const catalogue = {
  ...coreErrors({
    not_found: "not found",
    payload_too_large: "request too large",
    rate_limited: "too many requests",
    internal: "internal server error",
    unavailable: "service unavailable",
  }),
  invalid_request: { status: 400, vendorCode: "01", message: "invalid request" },
  invalid_licence_key: { status: 400, vendorCode: "02", message: "invalid licence key" },
  invalid_client_secret: { status: 400, vendorCode: "03", message: "invalid client secret" },
  invalid_scope: { status: 400, vendorCode: "04", message: "invalid scope" },
  /** The subscriber confirmed, and the operator sent nothing. */
  operator_no_data: { status: 400, vendorCode: "18", message: "failed to retrieve data from operator" },
  /** The OTP was not completed (numVerify: not the same number). The label is the vendor's example body's. */
  otp_failed: { status: 400, vendorCode: "20", message: "OTP process failed" },
  /** The subscriber declined. */
  access_denied: { status: 400, vendorCode: "21", message: "access denied" },
  invalid_client: { status: 400, vendorCode: "22", message: "invalid client" },
  invalid_token: { status: 401, vendorCode: "30", message: "invalid or expired token" },
  unsupported_grant_type: { status: 400, vendorCode: "31", message: "unsupported grant type" },
  credits_exhausted: { status: 400, vendorCode: "98", message: "credits exhausted" },
  server_error: { status: 500, vendorCode: "99", message: "internal server error" },
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

/** The confirmation page's errors: a phone shows them to a person. */
export const pageCatalogue = {
  /** An unknown or expired confirmation link. */
  link_invalid: { status: 404, message: "This link is invalid or has expired." },
  check_answered: { status: 409, message: "This check is already answered." },
  ...PAGE_CORE_ERRORS,
} as const satisfies FormatCatalogue;

export const pageFail = errorFactory(pageCatalogue);

/** DQE IDMobile's page shell, and its pages' error format: here, below every page of the folder, which needs both. */
const pages = vendorPages(
  "DQE IDMobile",
  "it stands in for the operator's page and sends nothing to any operator",
);
export const page = pages.page;
export const pageErrors = pages.errors("dqe confirmation page", pageCatalogue, "Check unavailable");
