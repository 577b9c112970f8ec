import type { ErrorRenderer } from "../../core/context.js";
import { errorFactory, type ErrorCatalogue } from "../../core/errors.js";

/** Sardine's errors. The body is `{"message": ...}`, the one field real clients read. */
export const catalogue = {
  unauthorized: { status: 401, message: "Unauthorized: missing or invalid Basic credentials" },
  invalid_request: { status: 400, message: "invalid request" },
  not_found: { status: 404, message: "Not Found" },
  payload_too_large: { status: 413, message: "request body too large" },
  rate_limited: { status: 429, message: "Too Many Requests" },
  internal: { status: 500, message: "Internal Server Error" },
} as const satisfies ErrorCatalogue;

export const fail = errorFactory(catalogue);

export const renderError: ErrorRenderer = (error, c) => c.json({ message: error.message }, error.status);
