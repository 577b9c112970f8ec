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
 * documented, the content type must be the documented one, and a JSON body must validate. The suite fails on any
 * mismatch, so the sandbox cannot drift from its contract.
 */
export function contractChecker(doc: OpenApiDocument) {
  const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  const operations: Compiled[] = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({
      match: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`),
      method,
      responses: (op as { responses: Compiled["responses"] }).responses,
    })),
  );
  const validators = new Map<object, ValidateFunction>();

  return async function check(method: string, rawPath: string, res: Response): Promise<void> {
    const path = rawPath.split("?")[0]!.replace(/^\/ns\/[^/]+(?=\/)/, "");
    if (res.headers.get("x-sandbox-scenario")) return; // a scenario's answer is by design whatever it says
    if (
      path === "/" ||
      path === "/openapi.json" ||
      path.startsWith("/docs") ||
      path.endsWith("/openapi.json")
    )
      return;
    if (method === "OPTIONS") return; // CORS preflight
    const candidates = operations.filter((op) => op.match.test(path));
    const op = candidates.find((o) => o.method === method.toLowerCase());
    if (!op) {
      if (res.status === 404 || res.status === 413 || (res.status === 400 && candidates.length === 0)) return; // unknown route, or refused before routing
      throw new Error(`contract: ${method} ${path} is not in the published OpenAPI (answered ${res.status})`);
    }
    const spec = op.responses[String(res.status)];
    if (!spec)
      throw new Error(
        `contract: ${method} ${path} answered ${res.status}, which the OpenAPI does not document`,
      );
    if (!spec.content) return;
    const type = res.headers.get("content-type")?.split(";")[0] ?? "";
    const media = spec.content[type];
    if (!media)
      throw new Error(
        `contract: ${method} ${path} ${res.status} answered ${type}, documented ${Object.keys(spec.content).join(", ")}`,
      );
    if (type !== "application/json") return;
    let validate = validators.get(media.schema);
    if (!validate) {
      validate = ajv.compile(media.schema);
      validators.set(media.schema, validate);
    }
    const body: unknown = await res.clone().json();
    if (!validate(body)) {
      throw new Error(
        `contract: ${method} ${path} ${res.status} body breaks the OpenAPI: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
      );
    }
  };
}
