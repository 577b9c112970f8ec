import { coreErrors, errorFactory, type FormatCatalogue } from "../../core/errors.js";
import { messageFormat } from "../../core/formats.js";
import { PAGE_CORE_ERRORS, vendorPages } from "../../core/page.js";

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
  ...PAGE_CORE_ERRORS,
} as const satisfies FormatCatalogue;

export const pageFail = errorFactory(pageCatalogue);

/** Sardine document verification's page shell, and its pages' error format: here, below every page of the folder, which needs both. */
const pages = vendorPages("Sardine document verification", "no document is read");
export const page = pages.page;
export const pageErrors = pages.errors("sardine web link page", pageCatalogue, "Link unavailable");
