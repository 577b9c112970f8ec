import * as z from "zod";
import { RETRY_AFTER, type ErrorFormat, type FormatCatalogue } from "./errors.js";

/** `{"message": "..."}` with the error's status: the body several vendors' clients read. */
export function messageFormat(name: string, catalogue: FormatCatalogue): ErrorFormat {
  return {
    name,
    catalogue,
    schema: z.strictObject({ message: z.string() }),
    headers: RETRY_AFTER,
    render: (error, c) => c.json({ message: error.message }, error.status),
  };
}
