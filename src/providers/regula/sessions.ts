import { isoAt } from "../../core/clock.js";
import { kind } from "../../core/store.js";
import type { SessionStatus } from "./schemas.js";

export interface SessionRecord {
  id: string;
  workflowIds: string[];
  metadata: Record<string, unknown>;
  locale: string | null;
  /** The status a person or the API set; `expired` is derived from the clock, never stored. */
  status: Exclude<SessionStatus, "expired">;
  createdAt: number;
  expiresAt: number;
}

/** Sessions are kept past their expiry (for `sessionRetentionSeconds`) so they read as `expired`. */
export const sessions = kind<SessionRecord>("regula.session", { list: "sessions", secretId: false });
/** A hand-off token: `Token <token>` in the URL, bound to one session. */
export const handoffTokens = kind<{ sessionId: string }>("regula.handoff", { list: "tokens" });
/** An ephemeral device token from the older flow, not yet bound to a session. */
export const deviceTokens = kind<{ ttlSeconds: number }>("regula.device", { list: "tokens" });

export function statusAt(session: Readonly<SessionRecord>, now: number): SessionStatus {
  return session.status === "created" && now >= session.expiresAt ? "expired" : session.status;
}

/** The session as the API returns it, at `now` on the namespace's clock. */
export function sessionView(now: number, session: Readonly<SessionRecord>) {
  return {
    id: session.id,
    workflowIds: session.workflowIds,
    metadata: session.metadata,
    locale: session.locale,
    status: statusAt(session, now),
    createdAt: isoAt(session.createdAt),
    expiresAt: isoAt(session.expiresAt),
  };
}
