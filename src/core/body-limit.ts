import type { MiddlewareHandler } from "hono";
import { bodyLimit as streamingBodyLimit } from "hono/body-limit";
import type { AppEnv } from "./context.js";
import { coreError, CoreErrorCode } from "./errors.js";
import { declaresNoBody } from "./http.js";

/**
 * Refuses bodies over `maxSize` bytes with 413, without reading them whole. A request that declares its length, or
 * declares no body, is judged from its headers alone, so the Node adapter keeps its fast path (touching the raw body
 * stream would make it build a full `Request`); only a chunked body is streamed and counted.
 */
export function bodyLimit(maxSize: number): MiddlewareHandler<AppEnv> {
  const tooLarge = () =>
    coreError(CoreErrorCode.payloadTooLarge, `request body is larger than ${String(maxSize)} bytes`);
  const streaming = streamingBodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge();
    },
  });
  return async (c, next) => {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD") return next();
    const length = c.req.header("content-length");
    // Over HTTP, no Content-Length and no Transfer-Encoding means no body; in-process requests may omit the length.
    const declared = length !== undefined || declaresNoBody(c) === true;
    if (!declared || c.req.header("transfer-encoding") !== undefined) return streaming(c, next);
    if (Number(length ?? 0) > maxSize) throw tooLarge();
    return next();
  };
}
