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

/** Authorize errors that cannot go back to a redirect URI (unknown client, unregistered URI): a page. */
export const authorizeCatalogue = {
  invalid_client: { status: 400, message: "Unknown client_id" },
  invalid_redirect_uri: { status: 400, message: "redirect_uri does not match the registered one" },
  ...coreErrors(),
} as const satisfies FormatCatalogue;

export const authorizeFail = errorFactory(authorizeCatalogue);

export const authorizePage: ErrorFormat = {
  name: "sumsub authorize page",
  catalogue: authorizeCatalogue,
  schema: z.string(),
  contentType: "text/html",
  headers: RETRY_AFTER,
  render: (error, c) =>
    c.html(
      html`<!doctype html>
        <html lang="en">
          <head>
            <meta charset="utf-8" />
            <title>Sumsub ID sandbox: authorization error</title>
          </head>
          <body>
            <h1>Authorization error</h1>
            <p id="error">${error.code}</p>
            <p id="error-description">${error.message}</p>
            <p>Sumsub ID Connect sandbox — test-only.</p>
          </body>
        </html>`,
      error.status,
    ),
};
