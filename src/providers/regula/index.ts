import { parseAuthScheme } from "../../core/http.js";
import { defineProvider } from "../../core/provider.js";
import { apiErrors, pageErrors } from "./errors.js";
import { regulaRoutes, securitySchemes } from "./routes.js";
import { fixtureSchema } from "./schemas.js";
import { deviceTokens, handoffTokens, sessions } from "./sessions.js";

/** Regula IDV Platform: Token URL deeplinks, the hand-off page, session reads and the older device flow. */
export const regula = defineProvider({
  name: "regula",
  title: "Regula IDV Platform token URL",
  fixtureSchema,
  errors: apiErrors,
  errorsUnder: [["/mobile", pageErrors]],
  kinds: [sessions, handoffTokens, deviceTokens],
  scenarioFields: ["metadata"],
  securitySchemes,
  credentials: (f) => [
    ...f.apiKeys.map((k): [string, string] => ["API key", `${k.key} (${k.permissions.join(", ")})`]),
    ["workflows", f.workflows.map((w) => w.id).join(", ")],
  ],
  credentialOf: (c) =>
    parseAuthScheme(c.req.header("authorization"), "ApiKey") ?? c.req.header("authorization"),
  routes: regulaRoutes,
});
