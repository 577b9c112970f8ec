import { html } from "hono/html";
import { coreErrors, errorFactory, type FormatCatalogue } from "../../core/errors.js";
import { messageFormat, pageFormat } from "../../core/formats.js";
import { page as shell, type Html } from "../../core/page.js";

/** Sardine's errors. The body is `{"message": ...}`, the one field real clients read. */
export const catalogue = {
  unauthorized: { status: 401, message: "Unauthorized: missing or invalid Basic credentials" },
  verification_not_found: { status: 404, message: "verification not found" },
  ...coreErrors(),
} as const satisfies FormatCatalogue;

export const fail = errorFactory(catalogue);

export const apiErrors = messageFormat("sardine API", catalogue);

/** The web link page's errors: a browser shows them to a person. */
export const pageCatalogue = {
  /** A link the sandbox never made, or one so long expired it forgot it. */
  link_not_found: { status: 404, message: "This link is invalid or has expired." },
  link_expired: { status: 410, message: "This link has expired." },
  /** Also what giving a verdict to a finished verification throws, whoever gives it (the admin API answers 409). */
  verification_final: { status: 409, message: "This verification already has a result." },
  ...coreErrors({ invalid_request: "This request is not valid." }),
} as const satisfies FormatCatalogue;

export const pageFail = errorFactory(pageCatalogue);

/** The vendor's page shell (here, below every page of the folder, as its error pages need it too): a Sardine page: the sandbox's one page shell, under Sardine's name. */
export const page = (title: string, body: Html): Html =>
  shell({ vendor: "Sardine document verification", title, note: "no document is read", body });

export const pageErrors = pageFormat("sardine web link page", pageCatalogue, (error) =>
  page("Link unavailable", html`<p class="error">${error.message}</p>`),
);
