import { html } from "hono/html";
import { isoAt } from "../../core/clock.js";
import type { Html } from "../../core/page.js";
import { page } from "./errors.js";
import type { VerificationResult } from "./schemas.js";
import type { VerificationRecord } from "./verifications.js";

/** The web link's page: the verification, and one button per verdict while it is pending. */
export function verificationPage(
  v: Readonly<VerificationRecord>,
  result: VerificationResult,
  linkToken: string,
): Html {
  return page(
    "Document verification",
    html`<dl>
        <dt>Verification</dt>
        <dd id="verification-id">${v.verificationId}</dd>
        <dt>Session key</dt>
        <dd>${v.sessionKey}</dd>
        <dt>Customer</dt>
        <dd>${v.customerId ?? "(none)"}</dd>
        <dt>Link expires</dt>
        <dd>${v.link ? isoAt(v.link.expiresAt) : "(never)"}</dd>
        <dt>Status</dt>
        <dd class="status" id="status">${result.status}</dd>
        ${
          result.status === "complete"
            ? html`<dt>Risk level</dt>
                <dd id="risk-level">${result.verification.riskLevel}</dd>`
            : ""
        }
      </dl>
      ${
        result.status === "pending"
          ? html`<p>Choose the result Sardine would give this document.</p>
              <form method="post" action="verify">
                <input type="hidden" name="link" value="${linkToken}" />
                <button name="verdict" value="low" class="good">Low risk</button>
                <button name="verdict" value="medium" class="warn">Medium risk</button>
                <button name="verdict" value="high" class="bad">High risk</button>
              </form>`
          : html`<p>This verification has a result. You can close this page.</p>`
      }`,
  );
}
