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

/**
 * Builds the throw-helper for a catalogue, so a handler writes `fail("invalid_code")` and the status and
 * default message stay in the catalogue.
 */
export function errorFactory<C extends ErrorCatalogue>(catalogue: C) {
  return (code: keyof C & string, message?: string, details?: Record<string, unknown>): SandboxError => {
    const entry = catalogue[code]!;
    return new SandboxError(code, entry.status, message ?? entry.message, details);
  };
}
