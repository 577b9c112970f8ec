import type { Context } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as z from "zod";
import {
  coreErrors,
  errorFactory,
  RETRY_AFTER,
  type ErrorFormat,
  type FormatCatalogue,
} from "../../core/errors.js";
import { pageFormat } from "../../core/formats.js";
import { PAGE_CORE_ERRORS, vendorPages, type Html } from "../../core/page.js";

/**
 * Sumsub's API errors, by stable code. Status, description, `errorCode` and `errorName` are the vendor's where it
 * documents them (signature mismatch, invalid code, invalid clientId); the rest are this sandbox's choice.
 */
export const catalogue = {
  signature_mismatch: {
    status: 401,
    message: "Request signature mismatch",
    vendorCode: 4003,
    vendorName: "app-token-signature mismatch",
  },
  invalid_app_token: { status: 401, message: "App token is missing or unknown" },
  timestamp_out_of_range: {
    status: 401,
    message: "Request timestamp is missing or too far from the current time",
  },
  invalid_client_id: { status: 404, message: "Invalid clientId" },
  invalid_code: { status: 401, message: "Invalid code" },
  invalid_refresh_token: { status: 401, message: "Invalid refresh token" },
  invalid_scope: { status: 400, message: "Requested scope exceeds the granted scope" },
  invalid_token: { status: 401, message: "Invalid or expired token" },
  sharing_not_allowed: { status: 403, message: "The share scope was not granted for this token" },
  /** The description names the external user id and the applicant that has it, as Sumsub's does. */
  applicant_exists: { status: 409, message: "Applicant already exists" },
  applicant_not_found: { status: 404, message: "Applicant not found" },
  /** A verdict through the admin API, a magic input or `verdicts.auto` after the review was completed. */
  applicant_reviewed: { status: 409, message: "Applicant review is already completed" },
  /** ID Connect reuse: a share token unknown, expired or issued for another client. */
  token_invalid: { status: 401, message: "Token is invalid" },
  reusable_kyc_not_compatible_doc_type: {
    status: 400,
    message: "The shared identity's documents do not fit the level",
    vendorCode: 10513,
    vendorName: "reusable-kyc-not-compatible-doc-type",
  },
  ...coreErrors({
    invalid_request: "Invalid request",
    not_found: "Not found",
    payload_too_large: "Request body too large",
    rate_limited: "Too many requests",
    internal: "Internal error",
  }),
} as const satisfies FormatCatalogue;

export const fail = errorFactory(catalogue);

/** `{code, correlationId, description}` (+ `errorCode`, `errorName` where documented). */
export const apiErrors: ErrorFormat = {
  name: "sumsub API",
  catalogue,
  schema: z.strictObject({
    code: z.number().int(),
    correlationId: z.string().regex(/^[0-9a-f]{32}$/),
    description: z.string(),
    errorCode: z.number().int().optional(),
    errorName: z.string().optional(),
  }),
  headers: RETRY_AFTER,
  render: (error, c, ids) => {
    const entry = (catalogue as FormatCatalogue)[error.code];
    return c.json(
      {
        code: error.status,
        correlationId: ids.hex(32),
        description: error.message,
        ...(entry?.vendorCode === undefined ? {} : { errorCode: entry.vendorCode }),
        ...(entry?.vendorName === undefined ? {} : { errorName: entry.vendorName }),
      },
      error.status,
    );
  },
};

/**
 * The standard OIDC routes' errors (RFC 6749 §5.2, RFC 6750 §3.1), by their RFC names: what a scenario names on these
 * routes. The core's own errors keep their status and take the nearest RFC name.
 */
export const oauthCatalogue = {
  invalid_client: { status: 401, message: "Client authentication failed" },
  invalid_grant: {
    status: 400,
    message: "The grant is invalid, expired, used or was issued to another client",
  },
  unauthorized_client: { status: 400, message: "The client may not use this grant type" },
  unsupported_grant_type: { status: 400, message: "grant_type must be authorization_code or refresh_token" },
  invalid_scope: { status: 400, message: "Requested scope exceeds the granted scope" },
  invalid_token: { status: 401, message: "The access token is invalid or expired" },
  ...coreErrors({
    invalid_request: "The request is missing a parameter or is malformed",
    not_found: "No such endpoint",
    payload_too_large: "Request body too large",
    rate_limited: "Too many requests",
    internal: "Internal error",
  }),
} as const satisfies FormatCatalogue;

export const oauthFail = errorFactory(oauthCatalogue);

/** What a code that is not an RFC name is called on the OIDC routes (the shared grant logic throws Sumsub's). */
const OAUTH_NAME: Readonly<Record<string, [string, ContentfulStatusCode]>> = {
  invalid_code: ["invalid_grant", 400],
  invalid_refresh_token: ["invalid_grant", 400],
  invalid_scope: ["invalid_scope", 400],
  invalid_token: ["invalid_token", 401],
  not_found: ["invalid_request", 404],
  payload_too_large: ["invalid_request", 413],
  rate_limited: ["temporarily_unavailable", 429],
  internal: ["server_error", 500],
  unavailable: ["temporarily_unavailable", 503],
};

/** RFC 6749 error JSON; `invalid_client` over Basic auth carries `WWW-Authenticate`, as §5.2 asks. */
export const oauthErrors: ErrorFormat = {
  name: "sumsub OAuth 2.0 (RFC 6749)",
  catalogue: oauthCatalogue,
  schema: z.strictObject({ error: z.string(), error_description: z.string() }),
  headers: RETRY_AFTER,
  render: (error, c) => {
    const [name, status] = OAUTH_NAME[error.code] ?? [
      error.code in oauthCatalogue ? error.code : "invalid_request",
      error.status,
    ];
    if (name === "invalid_client" && c.req.header("authorization")) {
      c.header("WWW-Authenticate", 'Basic realm="sumsub"');
    }
    if (name === "invalid_token") c.header("WWW-Authenticate", `Bearer error="invalid_token"`);
    c.header("Cache-Control", "no-store");
    return c.json({ error: name, error_description: error.message }, status);
  },
};

/**
 * The authorize route's errors. Until the client and its redirect URI are known good, an error is a page (a client
 * that cannot be trusted is never redirected to); after, it goes back to the redirect URI as RFC 6749 §4.1.2.1 and
 * OIDC Core §3.1.2.6 ask: `error`, `error_description` and `state` in the query. A scenario names either kind.
 */
export const authorizeCatalogue = {
  invalid_client: { status: 400, message: "Unknown client_id" },
  invalid_redirect_uri: { status: 400, message: "redirect_uri does not match the registered one" },
  unauthorized_client: { status: 400, message: "The client may not use this response type" },
  access_denied: { status: 400, message: "The user denied the request" },
  unsupported_response_type: { status: 400, message: "response_type must be code" },
  invalid_scope: { status: 400, message: "The requested scope is invalid" },
  login_required: { status: 400, message: "The user must log in" },
  consent_required: { status: 400, message: "The user must consent" },
  ...coreErrors({ invalid_request: "The request is missing a parameter or is malformed" }),
} as const satisfies FormatCatalogue;

export const authorizeFail = errorFactory(authorizeCatalogue);

/** What goes back to the redirect URI, and what each core error is called there. */
const REDIRECTED: Readonly<Record<string, string>> = {
  invalid_request: "invalid_request",
  unauthorized_client: "unauthorized_client",
  access_denied: "access_denied",
  unsupported_response_type: "unsupported_response_type",
  invalid_scope: "invalid_scope",
  login_required: "login_required",
  consent_required: "consent_required",
  rate_limited: "temporarily_unavailable",
  internal: "server_error",
  unavailable: "temporarily_unavailable",
};

/**
 * Authorize's answer to the client: to its redirect URI with `params` and the request's `state` (the login page's
 * answer gives the state it kept, and 303: the browser follows a form's POST with a GET).
 */
export function redirectBack(
  c: Context,
  redirectUri: string,
  params: Record<string, string>,
  state: string | undefined = c.req.query("state"),
  status: 302 | 303 = 302,
): Response {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  if (state !== undefined) url.searchParams.set("state", state);
  return c.redirect(url.toString(), status);
}

/** Sumsub ID Connect's page shell: the login page and the authorize and login error pages. */
export const page = vendorPages("Sumsub ID Connect", "no one really signs in").page;

/** An authorize or login error as a page: the error's name and its description, each with an id a test reads. */
const errorPage = (error: { code: string; message: string }): Html =>
  page(
    "Authorization error",
    html`<p id="error">${error.code}</p>
      <p id="error-description">${error.message}</p>`,
  );

/** The login page's answer's errors: its pending authorization gone, or a typed identity that is not one. */
export const loginCatalogue = {
  login_not_found: {
    status: 404,
    message: "This sign-in is unknown, expired or already answered: start again from the application.",
  },
  ...PAGE_CORE_ERRORS,
} as const satisfies FormatCatalogue;

export const loginFail = errorFactory(loginCatalogue);

export const loginErrors: ErrorFormat = pageFormat("sumsub login page", loginCatalogue, errorPage);

/**
 * The authorize route's format. `redirectUriOf` says whether the request's client and redirect URI are known good
 * (then it gives the redirect URI), so a redirect never goes to a URI the client did not register.
 */
export function authorizeErrors(redirectUriOf: (c: Context) => string | undefined): ErrorFormat {
  const pageErrors = pageFormat(
    "sumsub authorize (a page, or a redirect once the redirect URI is known good)",
    authorizeCatalogue,
    errorPage,
  );
  return {
    ...pageErrors,
    render: (error, c, ids) => {
      const name = REDIRECTED[error.code];
      const redirectUri = name === undefined ? undefined : redirectUriOf(c);
      if (name === undefined || redirectUri === undefined) return pageErrors.render(error, c, ids);
      return redirectBack(c, redirectUri, { error: name, error_description: error.message });
    },
  };
}
