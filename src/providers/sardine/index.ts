import { parseBasicAuth } from "../../core/http.js";
import { defineProvider } from "../../core/provider.js";
import { apiErrors } from "./errors.js";
import { issuedTokens, KEY_SET, sardineRoutes, securitySchemes } from "./routes.js";
import { fixtureSchema } from "./schemas.js";

/** Sardine: `POST /v1/identity-documents/tokens`, au10tix-style RS256 JWT or an incode-style answer. */
export const sardine = defineProvider({
  name: "sardine",
  title: "Sardine identity-document SDK tokens",
  fixtureSchema,
  keySets: [KEY_SET],
  errors: apiErrors,
  kinds: [issuedTokens],
  securitySchemes,
  credentials: (f) => f.clients.map((c) => ["Basic client id / secret", `${c.clientId} / ${c.clientSecret}`]),
  credentialOf: (c) => parseBasicAuth(c.req.header("authorization"))?.user,
  routes: sardineRoutes,
});
