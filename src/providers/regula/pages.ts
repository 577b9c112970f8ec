import { html } from "hono/html";
import { isoAt } from "../../core/clock.js";
import type { Html } from "../../core/page.js";
import { page } from "./errors.js";
import type { SessionRecord } from "./sessions.js";

/** The hand-off page: what the session holds, and buttons to finish it. */
export function sessionPage(session: SessionRecord, status: string, authorization: string): Html {
  const open = status === "created";
  return page(
    "Identity verification",
    html`<dl>
        <dt>Session</dt>
        <dd id="session-id">${session.id}</dd>
        <dt>Workflows</dt>
        <dd>${session.workflowIds.join(", ")}</dd>
        <dt>Locale</dt>
        <dd>${session.locale ?? "(none)"}</dd>
        <dt>Expires</dt>
        <dd>${isoAt(session.expiresAt)}</dd>
        <dt>Status</dt>
        <dd class="status" id="status">${status}</dd>
        <dt>Metadata</dt>
        <dd><pre>${JSON.stringify(session.metadata, null, 2)}</pre></dd>
      </dl>
      ${
        open
          ? html`<form method="post" action="mobile/finish">
              <input type="hidden" name="authorization" value="${authorization}" />
              <input type="hidden" name="sessionId" value="${session.id}" />
              <button name="status" value="completed" class="good">Complete</button>
              <button name="status" value="failed" class="bad">Fail</button>
              <button name="status" value="cancelled">Cancel</button>
            </form>`
          : html`<p>This session is finished.</p>`
      }`,
  );
}
