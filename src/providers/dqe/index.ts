import { readForm } from "../../core/http.js";
import { defineProvider } from "../../core/provider.js";
import { checks, consentLinks, finishCheck } from "./checks.js";
import { apiErrors, pageErrors } from "./errors.js";
import { dqeRoutes } from "./routes.js";
import { CHECK_VERDICTS, fixtureSchema, type CheckVerdict } from "./schemas.js";
import { accessTokens, refreshTokens } from "./tokens.js";

export { validAccessToken, type ValidAccessToken } from "./tokens.js";

const isVerdict = (verdict: string): verdict is CheckVerdict =>
  (CHECK_VERDICTS as readonly string[]).includes(verdict);

/**
 * DQE IDMobile: `ACCESS_TOKEN` (GET query or POST form) and its OAuth2 refresh; `IDMOBILE` (simswap, matching_notp,
 * and numVerify, formfilling, billing with a confirmation page) and `GET` for their results. No webhooks: DQE
 * documents none.
 */
export const dqe = defineProvider({
  name: "dqe",
  title: "DQE IDMobile",
  fixtureSchema,
  errors: apiErrors,
  errorsUnder: [["/consent", pageErrors]],
  kinds: [accessTokens, refreshTokens, checks, consentLinks],
  secretFields: ["licence"],
  secretValues: (f) => f.licences.flatMap((l) => [l.licence, l.clientSecret]),
  credentials: (f) =>
    f.licences.map((l) => [
      l.creditsExhausted ? "licence / secret (no credits)" : "licence / secret",
      `${l.licence} / ${l.clientSecret}`,
    ]),
  // `/GET/` writes it `Licence`.
  credentialOf: async (c) => {
    const form = c.req.method === "GET" ? undefined : await readForm(c);
    return (
      c.req.query("licence") ??
      c.req.query("Licence") ??
      form?.get("licence")?.at(-1) ??
      form?.get("Licence")?.at(-1)
    );
  },
  routes: dqeRoutes,
  // The first verdict is what `verdicts.auto` gives unless the config names another.
  subjects: ({ verdicts }) => [
    {
      name: "check",
      kind: checks,
      verdicts: CHECK_VERDICTS,
      give: (ns, id, verdict) =>
        isVerdict(verdict) ? finishCheck(verdicts, ns, id, verdict) : Promise.resolve(false),
    },
  ],
});
