import { parseAuthScheme } from "../../core/http.js";
import { defineProvider } from "../../core/provider.js";
import { operations, securitySchemes } from "./contract.js";
import { catalogue, renderError } from "./errors.js";
import { regulaRoutes } from "./routes.js";
import { fixtureSchema } from "./schemas.js";

/** Regula IDV Platform: Token URL deeplinks, the hand-off page, session reads and the older device flow. */
export const regula = defineProvider({
  name: "regula",
  title: "Regula IDV Platform token URL",
  fixtureSchema,
  errors: catalogue,
  operations: (f) => operations(f.defaultTtlSeconds, f.maxTtlSeconds),
  securitySchemes,
  renderError,
  credentials: (f) => [
    ...f.apiKeys.map((k): [string, string] => ["API key", `${k.key} (${k.permissions.join(", ")})`]),
    ["workflows", f.workflows.map((w) => w.id).join(", ")],
  ],
  credentialOf: (c) =>
    parseAuthScheme(c.req.header("authorization"), "ApiKey") ?? c.req.header("authorization"),
  routes: regulaRoutes,
});
