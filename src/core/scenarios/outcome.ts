import { setTimeout as sleep } from "node:timers/promises";
import type { Context } from "hono";
import type { AppEnv } from "../context.js";
import { errorFrom, type ErrorCatalogue } from "../errors.js";
import { nodeIncoming } from "../http.js";
import type { Chosen } from "./match.js";

/** Longest a `timeout` fault holds a request before it lets go (the client has normally given up long before). */
const TIMEOUT_HOLD_MS = 300_000;

/**
 * What shaped an answer, in `X-Sandbox-Outcome`: `error` (a catalogue error, in the route's documented format),
 * `raw` (a status and body the scenario wrote), `fault` (a broken answer), `delay` (the real answer, late).
 */
export type OutcomeKind = "error" | "raw" | "fault" | "delay";

/**
 * Carries out a rule. Returns the response that replaces the real one, or undefined when the real answer should
 * follow (a delay alone). Errors are thrown, so they leave through the one error door in the route's format.
 */
export async function applyOutcome(
  c: Context<AppEnv>,
  chosen: Chosen,
  catalogue: ErrorCatalogue,
): Promise<Response | undefined> {
  const { rule } = chosen;
  const mark = (kind: OutcomeKind) => {
    c.header("X-Sandbox-Scenario", chosen.scenario);
    c.header("X-Sandbox-Outcome", kind);
  };
  c.set("scenario", chosen.scenario);
  if (rule.delayMs) await sleep(rule.delayMs);
  const incoming = nodeIncoming(c);
  switch (rule.fault) {
    case "reset":
      mark("fault");
      incoming?.socket.destroy();
      return c.body(null, 500);
    case "timeout":
      mark("fault");
      await new Promise<void>((resolve) => {
        incoming?.socket.once("close", () => {
          resolve();
        });
        c.req.raw.signal.addEventListener("abort", () => {
          resolve();
        });
        setTimeout(resolve, TIMEOUT_HOLD_MS).unref();
      });
      incoming?.socket.destroy();
      return c.body(null, 504);
    case "malformed":
      mark("fault");
      return c.body('{"status":"ok","data":{"tok', 200, { "content-type": "application/json" });
    case "empty":
      mark("fault");
      return c.body(null, 200, { "content-type": "application/json" });
    case undefined:
      break;
  }
  if (rule.error !== undefined) {
    mark("error");
    for (const [name, value] of Object.entries(rule.headers ?? {})) c.header(name, value);
    throw errorFrom(catalogue, rule.error, rule.message, { scenario: chosen.scenario });
  }
  if (rule.status !== undefined) {
    mark("raw");
    const headers = { ...rule.headers };
    if (rule.body === undefined) return c.body(null, rule.status as never, headers);
    if (typeof rule.body === "string") return c.body(rule.body, rule.status as never, headers);
    return c.json(rule.body, rule.status as never, headers);
  }
  mark("delay");
  return undefined;
}
