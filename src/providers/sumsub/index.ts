import { defineProvider } from "../../core/provider.js";
import { catalogue, renderError } from "./errors.js";
import { KEY_SET } from "./grants.js";
import { sumsubRoutes } from "./routes.js";
import { fixtureSchema } from "./schemas.js";

export { signRequest } from "./signature.js";

/** Sumsub ID Connect: the HMAC-signed token and share-token routes, and the standard OIDC route around them. */
export const sumsub = defineProvider({
  name: "sumsub",
  title: "Sumsub ID Connect",
  fixtureSchema,
  keySets: [KEY_SET],
  errors: catalogue,
  renderError,
  routes: sumsubRoutes,
});
