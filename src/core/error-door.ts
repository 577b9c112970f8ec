import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import * as z from "zod";
import type { AppEnv } from "./context.js";
import {
  coreError,
  CoreErrorCode,
  coreErrors,
  RETRY_AFTER,
  SandboxError,
  type ErrorFormat,
} from "./errors.js";
import type { IdGenerator } from "./ids.js";
import type { Logger } from "./log.js";
import { StoreUnavailableError } from "./store.js";

/** What the journal records for a request whose client went away before it was answered (nginx's code). */
export const CLIENT_CLOSED_REQUEST = 499;

/** `{error, message}`: the sandbox's own format, for the admin API and paths outside every vendor. */
export const plainFormat: ErrorFormat = {
  name: "sandbox",
  catalogue: {
    ...coreErrors(),
    unauthorized: { status: 401, message: "Unauthorized" },
    forbidden: { status: 403, message: "Forbidden" },
    conflict: { status: 409, message: "Conflict" },
    unsupported_media_type: { status: 415, message: "Unsupported Media Type" },
  },
  schema: z.strictObject({ error: z.string(), message: z.string() }),
  headers: RETRY_AFTER,
  render: (error, c) => c.json({ error: error.code, message: error.message }, error.status),
};

/** Any thrown value as a SandboxError: Hono's own exceptions keep their status, anything else is a 500. */
export function toSandboxError(err: unknown): SandboxError {
  if (err instanceof SandboxError) return err;
  if (err instanceof StoreUnavailableError)
    return coreError(CoreErrorCode.unavailable, err.message, {}, { cause: err });
  if (err instanceof HTTPException) {
    return new SandboxError(
      err.status === 413 ? CoreErrorCode.payloadTooLarge : CoreErrorCode.invalidRequest,
      err.status,
      err.message || "request refused",
    );
  }
  return coreError(CoreErrorCode.internal, "internal sandbox error", {}, { cause: err });
}

/**
 * The one door every error leaves through: the format of the route the request was for (known from the route it
 * matched, wherever the error was raised: body limit, rate limit, scenario, validation, handler), else of the vendor
 * whose prefix the path is under (an unknown path), else the sandbox's own. An unexpected exception is logged with its
 * stack and answers 500 in that same format.
 */
export function errorDoor(options: {
  formatOf: (c: Context<AppEnv>) => ErrorFormat | undefined;
  ids: IdGenerator;
  logger: Logger;
}): ErrorHandler<AppEnv> {
  return (err, c) => {
    // The client went away (mid-body, or before the answer): nothing to answer, nothing broken. Journaled as 499,
    // nginx's "client closed request", and logged at debug only.
    if (c.req.raw.signal.aborted) {
      options.logger.debug("client_abort", { path: c.req.path });
      c.set("error", { name: "client_closed_request", message: "the client went away before the answer" });
      return new Response(null, { status: CLIENT_CLOSED_REQUEST });
    }
    const error = toSandboxError(err);
    // What the journal says of it: the catalogue's name for it and the message the answer carries.
    c.set("error", { name: error.code, message: error.message });
    if (error.code === CoreErrorCode.internal && error.cause !== undefined) {
      const cause =
        error.cause instanceof Error
          ? (error.cause.stack ?? error.cause.message)
          : JSON.stringify(error.cause);
      options.logger.error("unexpected_error", { path: c.req.path, cause });
    }
    if (error.code === CoreErrorCode.unavailable)
      options.logger.warn("store_unavailable", { message: error.message });
    return (options.formatOf(c) ?? plainFormat).render(error, c, options.ids);
  };
}
