import { coreErrors, errorFactory, type FormatCatalogue } from "../../core/errors.js";
import { messageFormat } from "../../core/formats.js";

/** Sardine's errors. The body is `{"message": ...}`, the one field real clients read. */
export const catalogue = {
  unauthorized: { status: 401, message: "Unauthorized: missing or invalid Basic credentials" },
  ...coreErrors(),
} as const satisfies FormatCatalogue;

export const fail = errorFactory(catalogue);

export const apiErrors = messageFormat("sardine API", catalogue);
