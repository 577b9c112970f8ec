import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { OpenApiDocument } from "../../src/core/openapi.js";

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

interface Compiled {
  match: RegExp;
  method: string;
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}

/**
 * Checks every response a test receives against the sandbox's own published OpenAPI: the route and status must be
 * documented, the content type must be the documented one, and a JSON body must validate. Errors are checked like
 * any answer (404, 413, 429 and a scenario's catalogue errors included); an unknown path is checked against what the
 * document's `x-unmatched-errors` says a path under its prefix answers; a path an operation's `x-also-at` lists is
 * checked as that operation. Only a scenario's raw or broken answer (`X-Sandbox-Outcome: raw|fault`), which says
 * whatever the scenario wrote, is not checked.
 */
export function contractChecker(doc: OpenApiDocument) {
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  const pattern = (path: string) =>
    `^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`;
  // An operation answers at its path and at each path its `x-also-at` says is accepted too.
  const operations: Compiled[] = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item as object).map(([method, op]) => ({
      match: new RegExp(
        [path, ...((op as { "x-also-at"?: string[] })["x-also-at"] ?? [])].map(pattern).join("|"),
      ),
      method,
      responses: (op as { responses: Compiled["responses"] }).responses,
    })),
  );
  const schemas = doc.components.schemas as Record<string, object>;
  const validators = new Map<object, ValidateFunction>();
  const validate = async (what: string, schema: object, res: Response) => {
    let check = validators.get(schema);
    if (!check) {
      check = ajv.compile(schema);
      validators.set(schema, check);
    }
    const body: unknown = await res.clone().json();
    if (!check(body))
      throw new Error(
        `contract: ${what} body breaks the OpenAPI: ${ajv.errorsText(check.errors)}\n${JSON.stringify(body)}`,
      );
  };

  return async function check(method: string, rawPath: string, res: Response): Promise<void> {
    const path = rawPath.split("?")[0]!.replace(/^\/ns\/[^/]+(?=\/)/, "");
    const outcome = res.headers.get("x-sandbox-outcome");
    if (outcome === "raw" || outcome === "fault") return; // a scenario's own bytes, by design
    if (
      path === "/" ||
      path === "/openapi.json" ||
      path.startsWith("/docs") ||
      path.endsWith("/openapi.json")
    )
      return;
    if (method === "OPTIONS") return; // CORS preflight
    const type = res.headers.get("content-type")?.split(";")[0] ?? "";
    const op = operations.find((o) => o.method === method.toLowerCase() && o.match.test(path));
    if (!op) {
      // No route: the error the document says a path under its prefix answers, or the sandbox's own.
      // A prefix covers itself and what is below it, segment by segment (`/verify` covers `/verify/x`, not `/verifyx`).
      const covers = (prefix: string) =>
        path === prefix || (path.startsWith(prefix) && (prefix.endsWith("/") || path[prefix.length] === "/"));
      const unmatched = doc["x-unmatched-errors"].find((u) => covers(u.prefix)) ?? {
        schema: "__admin.error",
        contentType: "application/json",
      };
      const schema = schemas[unmatched.schema];
      if (res.status < 400 || !schema)
        throw new Error(
          `contract: ${method} ${path} is not in the published OpenAPI (answered ${res.status})`,
        );
      if (type !== unmatched.contentType)
        throw new Error(
          `contract: ${method} ${path} ${res.status} answered ${type}, documented ${unmatched.contentType}`,
        );
      if (type !== "application/json") return;
      return validate(`${method} ${path} ${res.status}`, schema, res);
    }
    const spec = op.responses[String(res.status)];
    if (!spec)
      throw new Error(
        `contract: ${method} ${path} answered ${res.status}, which the OpenAPI does not document`,
      );
    if (!spec.content) return;
    const media = spec.content[type];
    if (!media)
      throw new Error(
        `contract: ${method} ${path} ${res.status} answered ${type}, documented ${Object.keys(spec.content).join(", ")}`,
      );
    if (type !== "application/json") return;
    return validate(`${method} ${path} ${res.status}`, media.schema, res);
  };
}
