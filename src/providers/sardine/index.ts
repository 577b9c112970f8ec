import { defineProvider } from "../../core/provider.js";
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
  renderError,
  routes: sardineRoutes,
});
