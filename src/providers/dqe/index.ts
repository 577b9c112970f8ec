import { readForm } from "../../core/http.js";
import { defineProvider } from "../../core/provider.js";
import { apiErrors } from "./errors.js";
import { dqeRoutes } from "./routes.js";
import { fixtureSchema } from "./schemas.js";
import { accessTokens, refreshTokens } from "./tokens.js";

export { validAccessToken, type ValidAccessToken } from "./tokens.js";

/** DQE IDMobile: `ACCESS_TOKEN` (GET query or POST form) and its OAuth2 refresh. */
export const dqe = defineProvider({
  name: "dqe",
  title: "DQE IDMobile access tokens",
  fixtureSchema,
  errors: apiErrors,
  kinds: [accessTokens, refreshTokens],
  secretFields: ["licence"],
  credentials: (f) =>
    f.licences.map((l) => [
      l.creditsExhausted ? "licence / secret (no credits)" : "licence / secret",
      `${l.licence} / ${l.clientSecret}`,
    ]),
  credentialOf: async (c) => c.req.query("licence") ?? (await readForm(c)).get("licence")?.at(-1),
  routes: dqeRoutes,
});
