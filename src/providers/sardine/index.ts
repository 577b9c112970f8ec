import { parseBasicAuth } from "../../core/http.js";
import { defineProvider } from "../../core/provider.js";
import { apiErrors, pageErrors } from "./errors.js";
import { issuedTokens, KEY_SET, sardineRoutes, securitySchemes } from "./routes.js";
import { fixtureSchema, VERDICTS } from "./schemas.js";
import { expireVerification, giveVerdict, links, verifications } from "./verifications.js";
import { webhooks } from "./webhooks.js";

/**
 * Sardine: `POST /v1/identity-documents/tokens` (au10tix-style RS256 JWT or an incode-style answer), document
 * verifications with their results, web links with the sandbox's page, and Standard Webhooks-signed events.
 */
export const sardine = defineProvider({
  name: "sardine",
  title: "Sardine identity-document SDK tokens and verifications",
  fixtureSchema,
  keySets: [KEY_SET],
  errors: apiErrors,
  errorsUnder: [["/verify", pageErrors]],
  kinds: [issuedTokens, verifications, links],
  // The web link's token, in its URL's query.
  secretFields: ["link"],
  secretValues: (f) => f.clients.map((c) => c.clientSecret),
  securitySchemes,
  credentials: (f) => f.clients.map((c) => ["Basic client id / secret", `${c.clientId} / ${c.clientSecret}`]),
  credentialOf: (c) => parseBasicAuth(c.req.header("authorization"))?.user,
  routes: sardineRoutes,
  webhooks,
  // The first verdict (low risk, passing) is what `verdicts.auto` gives unless the config names another.
  subjects: (deps) => [
    {
      name: "verification",
      kind: verifications,
      verdicts: VERDICTS,
      give: (ns, id, verdict) => giveVerdict(deps, ns, id, verdict),
      due: (ns, id) => expireVerification(deps, ns, id),
    },
  ],
});
