import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type * as z from "zod";
import type { IdGenerator } from "./ids.js";

/**
 * The one error type handlers throw. `code` is stable (tests and scenarios switch on it); the body is written later,
 * in one place, by the error format of the route it left (see `ErrorFormat`), from `status`, `message` and `details`.
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

/** A config, fixture, key or scenario file that cannot be used; the message names the file and field. Exit 2. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Codes the core itself raises; every error format must give them a body. */
export const CoreErrorCode = {
  invalidRequest: "invalid_request",
  notFound: "not_found",
  payloadTooLarge: "payload_too_large",
  rateLimited: "rate_limited",
  internal: "internal",
  /** The shared store (Redis) cannot be reached or did not answer in time: the request may be retried. */
  unavailable: "unavailable",
} as const;

export interface ErrorEntry {
  status: ContentfulStatusCode;
  message: string;
  /** The vendor's own error id or code, where it documents one. */
  vendorCode?: string | number;
  /** The vendor's own error name, where it documents one. */
  vendorName?: string;
}

/** A format's errors by name: what handlers throw and scenarios can produce. */
export type ErrorCatalogue = Readonly<Record<string, ErrorEntry>>;

export type CoreCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode];

/** The status of each error the core raises: kept here, not restated by every caller or vendor. */
const CORE_STATUS: Readonly<Record<CoreCode, ContentfulStatusCode>> = {
  invalid_request: 400,
  not_found: 404,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
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

/** A catalogue that can name everything the core raises: every error format's must be one. */
export type FormatCatalogue = ErrorCatalogue & Readonly<Record<CoreCode, ErrorEntry>>;

/**
 * The core's errors as catalogue entries in a format's own words (what a scenario's `error: rate_limited` answers
 * with). Without words of its own, a format gets HTTP reason phrases.
 */
export function coreErrors(messages: Partial<Record<CoreCode, string>> = {}): Record<CoreCode, ErrorEntry> {
  const words: Record<CoreCode, string> = {
    invalid_request: "invalid request",
    not_found: "Not Found",
    payload_too_large: "request body too large",
    rate_limited: "Too Many Requests",
    internal: "Internal Server Error",
    unavailable: "Service Unavailable",
    ...messages,
  };
  const entry = (code: CoreCode): ErrorEntry => ({ status: CORE_STATUS[code], message: words[code] });
  return {
    invalid_request: entry("invalid_request"),
    not_found: entry("not_found"),
    payload_too_large: entry("payload_too_large"),
    rate_limited: entry("rate_limited"),
    internal: entry("internal"),
    unavailable: entry("unavailable"),
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
  if (!entry) return coreError(CoreErrorCode.internal, `no error ${code} in this format's catalogue`);
  return new SandboxError(code, entry.status, message ?? entry.message, details);
}

/**
 * How the errors of a route are written: one per body shape a vendor documents (its API's JSON, RFC 6749's
 * `{error}`, a page a phone shows). A route names its format once, in its declaration; every error that leaves that
 * route, wherever it was raised, is written by `render`, and the OpenAPI document lists every status of `catalogue`
 * with `schema`.
 */
export interface ErrorFormat {
  /** Shown in messages: `<vendor> API`, `<vendor> OAuth 2.0`. */
  readonly name: string;
  /** Every error a handler or scenario may name on a route in this format. */
  readonly catalogue: FormatCatalogue;
  /** The body, for the OpenAPI document and contract checks. */
  readonly schema: z.ZodType;
  /** `application/json` unless given. */
  readonly contentType?: string;
  /** Headers every error of some status carries, for the OpenAPI document (e.g. 429's `Retry-After`). */
  readonly headers?: Readonly<Record<number, Readonly<Record<string, string>>>>;
  /**
   * Writes any SandboxError (its own catalogue's or another's) as a response. `ids` is the sandbox's id generator,
   * for formats whose bodies carry a fresh id (a correlation id).
   */
  render(error: SandboxError, c: Context, ids: IdGenerator): Response | Promise<Response>;
}

/** 429 carries `Retry-After` in every format (RFC 9110 §10.2.3). */
export const RETRY_AFTER = { 429: { "Retry-After": "Seconds until the rate-limit window ends" } } as const;
