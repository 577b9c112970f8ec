import type { html } from "hono/html";
import * as z from "zod";
import { RETRY_AFTER, type ErrorFormat, type FormatCatalogue, type SandboxError } from "./errors.js";

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

/** An HTML page with the error's status, for routes a person opens in a browser or on a phone. */
export function pageFormat(
  name: string,
  catalogue: FormatCatalogue,
  page: (error: SandboxError) => ReturnType<typeof html>,
): ErrorFormat {
  return {
    name,
    catalogue,
    schema: z.string(),
    contentType: "text/html",
    headers: RETRY_AFTER,
    render: (error, c) => c.html(page(error), error.status),
  };
}
