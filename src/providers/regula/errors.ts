import { html } from "hono/html";
import { renderMessage, type ErrorRenderer } from "../../core/context.js";
import { coreErrors, errorFactory, type VendorCatalogue } from "../../core/errors.js";
import { page } from "./pages.js";

/** Regula's errors; the API body is `{"message": ...}` (this sandbox's choice, the vendor page shows none). */
export const catalogue = {
  unauthorized: { status: 401, message: "Unauthorized: missing or unknown API key" },
  forbidden: { status: 403, message: "Forbidden: the API key lacks the required permission" },
  workflow_required: { status: 400, message: "workflowId is required" },
  workflow_not_found: { status: 404, message: "workflow not found" },
  session_not_found: { status: 404, message: "session not found" },
  /** The hand-off page's token is wrong, for another session, or expired. */
  handoff_unauthorized: { status: 401, message: "This link is invalid or has expired." },
  session_finished: { status: 409, message: "This session is already finished." },
  ...coreErrors(),
} as const satisfies VendorCatalogue;

export const fail = errorFactory(catalogue);

export const renderError = renderMessage;

/** The hand-off page's errors are pages too: a phone shows them to a person. */
export const renderPageError: ErrorRenderer = (error, c) =>
  c.html(page("Session unavailable", html`<p class="error">${error.message}</p>`), error.status);
