import { html } from "hono/html";
import { isoAt } from "../../core/clock.js";
import type { VerificationResult } from "./schemas.js";
import type { VerificationRecord } from "./verifications.js";

type Html = ReturnType<typeof html>;

/**
 * What the pages allow: inline styles only. No script, no external asset, no frame source, so a page that tried to
 * load one would show it broken in a test. Form posts are not limited (the verdict's redirect goes to the client).
 */
export const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'";

/** One self-contained page: inline styles, no script, no external asset, so it opens offline on any phone. */
export function page(title: string, body: Html): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Sardine sandbox</title>
        <style>
          body {
            font:
              16px/1.5 system-ui,
              sans-serif;
            margin: 0 auto;
            max-width: 36rem;
            padding: 1.5rem;
            color: #1b1f24;
          }
          h1 {
            font-size: 1.4rem;
            margin: 0 0 0.25rem;
          }
          .note {
            color: #57606a;
            font-size: 0.85rem;
            margin-top: 0;
          }
          dl {
            display: grid;
            grid-template-columns: max-content 1fr;
            gap: 0.35rem 1rem;
          }
          dt {
            font-weight: 600;
          }
          dd {
            margin: 0;
            word-break: break-all;
          }
          form {
            display: flex;
            gap: 0.75rem;
            flex-wrap: wrap;
            margin-top: 1.5rem;
          }
          button {
            font: inherit;
            padding: 0.75rem 1.25rem;
            border-radius: 6px;
            border: 1px solid #d0d7de;
            cursor: pointer;
            color: #fff;
          }
          button[value="low"] {
            background: #1f883d;
          }
          button[value="medium"] {
            background: #9a6700;
          }
          button[value="high"] {
            background: #cf222e;
          }
          .status {
            font-weight: 600;
          }
          .error {
            color: #cf222e;
            font-weight: 600;
          }
        </style>
      </head>
      <body>
        <h1>${title}</h1>
        <p class="note">Sardine document verification sandbox — test-only, no document is read.</p>
        ${body}
      </body>
    </html>`;
}

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
                <button name="verdict" value="low">Low risk</button>
                <button name="verdict" value="medium">Medium risk</button>
                <button name="verdict" value="high">High risk</button>
              </form>`
          : html`<p>This verification has a result. You can close this page.</p>`
      }`,
  );
}
