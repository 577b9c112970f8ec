import { parseBasicAuth } from "../../core/http.js";
import { defineProvider } from "../../core/provider.js";
import { operations, securitySchemes } from "./contract.js";
import { catalogue, renderError } from "./errors.js";
import { KEY_SET, sardineRoutes } from "./routes.js";
import { fixtureSchema } from "./schemas.js";

/** Sardine: `POST /v1/identity-documents/tokens`, au10tix-style RS256 JWT or an incode-style answer. */
export const sardine = defineProvider({
  name: "sardine",
  title: "Sardine identity-document SDK tokens",
  fixtureSchema,
  keySets: [KEY_SET],
  errors: catalogue,
  operations: () => operations,
  securitySchemes,
  renderError,
  credentials: (f) => f.clients.map((c) => ["Basic client id / secret", `${c.clientId} / ${c.clientSecret}`]),
  credentialOf: (c) => parseBasicAuth(c.req.header("authorization"))?.user,
  routes: sardineRoutes,
});
