import { html } from "hono/html";
import type { Html } from "../../core/page.js";
import { page } from "./errors.js";
import type { CheckRecord } from "./checks.js";

const WHAT: Readonly<Record<string, string>> = {
  numVerify: "confirm that this is your number",
  formfilling: "share your name, birth date, email and address",
  billing: "share your latest bill as proof of address",
};

/**
 * The subscriber's page: who asks, for what, and Confirm / Refuse; once answered, the answer and the way back to the
 * partner (`back`, when it gave a redirect_uri).
 */
export function consentPage(check: Readonly<CheckRecord>, token: string, back: string | undefined): Html {
  const open = check.status === "pending";
  return page(
    "Confirm your number",
    html`<dl>
        <dt>Partner</dt>
        <dd>${check.name}</dd>
        <dt>Number</dt>
        <dd id="number">${check.number}</dd>
        <dt>Operator</dt>
        <dd>${check.operator}</dd>
        <dt>Asked</dt>
        <dd>${check.consentScopes.map((s) => WHAT[s] ?? s).join("; ")}</dd>
        <dt>Check</dt>
        <dd id="check-id">${check.id}</dd>
        <dt>Status</dt>
        <dd class="status" id="status">${check.status}</dd>
      </dl>
      ${
        open
          ? html`<form method="post" action="consent">
              <input type="hidden" name="token" value="${token}" />
              <button name="answer" value="confirm" class="good">Confirm</button>
              <button name="answer" value="refuse" class="bad">Refuse</button>
            </form>`
          : html`<p>This check is answered.</p>
              ${back === undefined ? "" : html`<p><a id="back" href="${back}">Back to ${check.name}</a></p>`}`
      }`,
  );
}
