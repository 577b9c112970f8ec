import type { Namespace } from "../../core/context.js";
import type { VendorVerdicts } from "../../core/provider.js";
import { kind, update } from "../../core/store.js";
import { fail, pageFail } from "./errors.js";
import type { CheckVerdict, ConsentScope, DqeFixtures, Identity } from "./schemas.js";

/** A numVerify, formfilling or billing request waiting for the subscriber (several scopes share one check). */
export interface CheckRecord {
  id: string;
  licence: string;
  /** The access token the check was asked with: `/GET/` reads the check with it, the redirect carries it back. */
  accessToken: string;
  /** National form. */
  number: string;
  operator: string;
  /** Every scope sent, joined with commas: what `/GET/` echoes. */
  scope: string;
  consentScopes: ConsentScope[];
  name: string;
  codeName: string;
  redirectUri: string | null;
  /** `pending` until the subscriber, the admin API, a magic number or the automatic verdict answers it. */
  status: "pending" | CheckVerdict;
  createdAt: number;
}

export const checks = kind<CheckRecord>("dqe.check", {
  list: "sessions",
  secretId: false,
  show: (check) => ({
    status: check.status,
    // The licence is a credential (the journal redacts it): not shown.
    context: {
      number: check.number,
      operator: check.operator,
      scope: check.scope,
      name: check.name,
    },
  }),
});
/** The unguessable token of a check's confirmation link. */
export const consentLinks = kind<{ checkId: string }>("dqe.consent", {
  list: "tokens",
  show: (link) => ({ context: { checkId: link.checkId } }),
});

/**
 * Gives a pending check its verdict, exactly once however many try at once: the confirmation page, the admin API, a
 * magic number and the automatic verdict all come here. False when the namespace holds no such check; an answered one
 * throws `check_answered` (409). An automatic verdict still waiting for the check will not come.
 */
export async function finishCheck(
  verdicts: VendorVerdicts,
  ns: Namespace,
  id: string,
  verdict: CheckVerdict,
): Promise<boolean> {
  const written = await update(ns.store, checks, id, (current) => {
    if (current.status !== "pending") throw pageFail("check_answered");
    return { ...current, status: verdict };
  });
  if (!written) return false;
  await verdicts.decided(ns, "check", id);
  return true;
}

/**
 * `redirect_uri` with `token` and `status` appended, its own query and fragment kept as they were written (DQE adds
 * the two parameters to "the parameters you provided").
 */
export function redirectBack(check: Readonly<CheckRecord>): string | undefined {
  if (check.redirectUri === null || check.status === "pending") return undefined;
  const status = check.status === "confirmed" ? "success" : "error";
  const hash = check.redirectUri.indexOf("#");
  const [base, fragment] =
    hash < 0 ? [check.redirectUri, ""] : [check.redirectUri.slice(0, hash), check.redirectUri.slice(hash)];
  const join = !base.includes("?") ? "?" : /[?&]$/.test(base) ? "" : "&";
  return `${base}${join}token=${encodeURIComponent(check.accessToken)}&status=${status}${fragment}`;
}

/** What formfilling gives for a line held by `identity`. */
export function formfilling(identity: Identity, number: string) {
  const at = identity.email.lastIndexOf("@");
  return {
    phone_number: number,
    family_name: identity.lastname,
    name: `${identity.firstname} ${identity.lastname}`,
    locale: identity.locale,
    gender: identity.gender,
    updated_at: identity.updated_at,
    birthdate: identity.birthdate,
    birthplace: identity.birthplace,
    given_name: identity.firstname,
    address: {
      country: identity.country,
      postal_code: identity.postal_code,
      formatted: `${identity.number} ${identity.street_address}\n${identity.postal_code} ${identity.locality}\n${identity.country}`,
      street_address: identity.street_address,
      number: identity.number,
      locality: identity.locality,
    },
    email: identity.email,
    email_domain: identity.email.slice(at + 1),
    email_account: identity.email.slice(0, at),
    subscriber_msisdn: number,
    sub: identity.sub,
  };
}

/**
 * What `/GET/` answers for a check: pending, each consent scope's data once confirmed, or the error its verdict
 * stands for.
 */
export function retrieval(
  check: Readonly<CheckRecord>,
  fixtures: DqeFixtures["idmobile"],
  identity: Identity,
): Record<string, unknown> {
  switch (check.status) {
    case "pending":
      return { status: "pending", scope: check.scope };
    case "refused":
      throw fail("access_denied");
    case "failed":
      throw fail("otp_failed");
    case "no_data":
      throw fail("operator_no_data");
    case "error":
      throw fail("server_error");
    case "confirmed":
      break;
  }
  const body: Record<string, unknown> = { status: "success", scope: check.scope };
  // DQE's formfilling answer carries the code_name sent; its numVerify and billing examples do not.
  if (check.consentScopes.includes("formfilling")) body.code_name = check.codeName;
  for (const scope of check.consentScopes) {
    if (scope === "numVerify") body.numVerify = true;
    else if (scope === "formfilling") body.formfilling = formfilling(identity, check.number);
    else body.billing = fixtures.billingDocument;
  }
  return body;
}
