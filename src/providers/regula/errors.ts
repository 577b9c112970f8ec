import { coreErrors, errorFactory, type FormatCatalogue } from "../../core/errors.js";
import { messageFormat } from "../../core/formats.js";
import { PAGE_CORE_ERRORS, vendorPages } from "../../core/page.js";

/** Regula's errors; the API body is `{"message": ...}` (this sandbox's choice, the vendor page shows none). */
export const catalogue = {
  unauthorized: { status: 401, message: "Unauthorized: missing or unknown API key" },
  forbidden: { status: 403, message: "Forbidden: the API key lacks the required permission" },
  workflow_required: { status: 400, message: "workflowId is required" },
  workflow_not_found: { status: 404, message: "workflow not found" },
  session_not_found: { status: 404, message: "session not found" },
  file_not_found: { status: 404, message: "file not found" },
  ...coreErrors(),
} as const satisfies FormatCatalogue;

export const fail = errorFactory(catalogue);

export const apiErrors = messageFormat("regula API", catalogue);

/** The hand-off page's errors: a phone shows them to a person. */
export const pageCatalogue = {
  /** The hand-off page's token is wrong, for another session, or expired. */
  handoff_unauthorized: { status: 401, message: "This link is invalid or has expired." },
  session_finished: { status: 409, message: "This session is already finished." },
  ...PAGE_CORE_ERRORS,
} as const satisfies FormatCatalogue;

export const pageFail = errorFactory(pageCatalogue);

/** Regula IDV's page shell, and its pages' error format: here, below every page of the folder, which needs both. */
const pages = vendorPages("Regula IDV", "nothing is verified");
export const page = pages.page;
export const pageErrors = pages.errors("regula hand-off page", pageCatalogue, "Session unavailable");
