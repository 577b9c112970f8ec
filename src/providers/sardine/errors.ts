import { renderMessage } from "../../core/context.js";
import { coreErrors, errorFactory, type VendorCatalogue } from "../../core/errors.js";

/** Sardine's errors. The body is `{"message": ...}`, the one field real clients read. */
export const catalogue = {
  unauthorized: { status: 401, message: "Unauthorized: missing or invalid Basic credentials" },
  ...coreErrors(),
} as const satisfies VendorCatalogue;

export const fail = errorFactory(catalogue);

export const renderError = renderMessage;
