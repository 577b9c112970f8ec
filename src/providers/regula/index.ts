import { parseAuthScheme } from "../../core/http.js";
import { defineProvider } from "../../core/provider.js";
import { apiErrors, pageErrors } from "./errors.js";
import { regulaRoutes, securitySchemes } from "./routes.js";
import { finishStatusSchema, fixtureSchema } from "./schemas.js";
import { deviceTokens, expireSession, finishSession, handoffTokens, sessions } from "./sessions.js";
import { webhooks } from "./webhooks.js";

/**
 * Regula IDV Platform: Token URL deeplinks, the hand-off page, session reads with their results and files, the older
 * device flow, and a webhook when a session ends.
 */
export const regula = defineProvider({
  name: "regula",
  title: "Regula IDV Platform token URL",
  fixtureSchema,
  errors: apiErrors,
  errorsUnder: [["/mobile", pageErrors]],
  kinds: [sessions, handoffTokens, deviceTokens],
  scenarioFields: ["metadata"],
  secretValues: (f) => f.apiKeys.map((k) => k.key),
  securitySchemes,
  credentials: (f) => [
    ...f.apiKeys.map((k): [string, string] => ["API key", `${k.key} (${k.permissions.join(", ")})`]),
    ["workflows", f.workflows.map((w) => w.id).join(", ")],
  ],
  credentialOf: (c) =>
    parseAuthScheme(c.req.header("authorization"), "ApiKey") ?? c.req.header("authorization"),
  routes: regulaRoutes,
  webhooks,
  // The first verdict is what `verdicts.auto` gives unless the config names another.
  subjects: (deps) => [
    {
      name: "session",
      kind: sessions,
      verdicts: finishStatusSchema.options,
      give: (ns, id, verdict) => finishSession(deps, ns, id, finishStatusSchema.parse(verdict)),
      due: (ns, id) => expireSession(deps, ns, id),
    },
  ],
});
