import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The one error type handlers throw. `code` is stable (tests and scenarios switch on it); the vendor's
 * body is written later, in one place per vendor, from `status`, `message` and `details`.
 *
 * @example
 * throw new SandboxError("unauthorized", 401, "Invalid credentials");
 */
export class SandboxError extends Error {
  override readonly name = "SandboxError";
  constructor(
    readonly code: string,
    readonly status: ContentfulStatusCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Codes the core itself raises; every provider's renderer must give them a body in its vendor's format. */
export const CoreErrorCode = {
  invalidRequest: "invalid_request",
  notFound: "not_found",
  payloadTooLarge: "payload_too_large",
  rateLimited: "rate_limited",
  internal: "internal",
} as const;

export interface ErrorEntry {
  status: ContentfulStatusCode;
  message: string;
  /** The vendor's own error id or code, where it documents one (DQE `error_id`, Sumsub `errorCode`). */
  vendorCode?: string | number;
  /** The vendor's own error name, where it documents one (Sumsub `errorName`). */
  vendorName?: string;
}

/** A vendor's documented errors by name: what scenarios can produce and what handlers throw. */
export type ErrorCatalogue = Readonly<Record<string, ErrorEntry>>;

export type CoreCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode];

/** The status of each error the core raises: kept here, not restated by every caller or vendor. */
const CORE_STATUS: Readonly<Record<CoreCode, ContentfulStatusCode>> = {
  invalid_request: 400,
  not_found: 404,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
};

/** One of the core's errors, with its status. */
export function coreError(
  code: CoreCode,
  message: string,
  details?: Record<string, unknown>,
  options?: { cause?: unknown },
): SandboxError {
  return new SandboxError(code, CORE_STATUS[code], message, details, options);
}

/** A catalogue that can render everything the core raises: every vendor's must be one. */
export type VendorCatalogue = ErrorCatalogue & Readonly<Record<CoreCode, ErrorEntry>>;

/**
 * The core's errors as catalogue entries in a vendor's own words (what a scenario's `error: rate_limited` answers
 * with). Without words of its own, a vendor gets HTTP reason phrases.
 */
export function coreErrors(messages: Partial<Record<CoreCode, string>> = {}): Record<CoreCode, ErrorEntry> {
  const words: Record<CoreCode, string> = {
    invalid_request: "invalid request",
    not_found: "Not Found",
    payload_too_large: "request body too large",
    rate_limited: "Too Many Requests",
    internal: "Internal Server Error",
    ...messages,
  };
  const entry = (code: CoreCode): ErrorEntry => ({ status: CORE_STATUS[code], message: words[code] });
  return {
    invalid_request: entry("invalid_request"),
    not_found: entry("not_found"),
    payload_too_large: entry("payload_too_large"),
    rate_limited: entry("rate_limited"),
    internal: entry("internal"),
  };
}

/**
 * Builds the throw-helper for a catalogue, so a handler writes `fail("invalid_code")` and the status and
 * default message stay in the catalogue.
 */
export function errorFactory<C extends ErrorCatalogue>(catalogue: C) {
  return (code: keyof C & string, message?: string, details?: Record<string, unknown>): SandboxError =>
    errorFrom(catalogue, code, message, details);
}

/** The catalogue's error `code`, with its status and (unless given) its message. */
export function errorFrom(
  catalogue: ErrorCatalogue,
  code: string,
  message?: string,
  details?: Record<string, unknown>,
): SandboxError {
  const entry = catalogue[code];
  if (!entry) return coreError(CoreErrorCode.internal, `no error ${code} in this vendor's catalogue`);
  return new SandboxError(code, entry.status, message ?? entry.message, details);
}
