import { isoAt } from "../../core/clock.js";
import type { Namespace } from "../../core/context.js";
import type { ProviderDeps } from "../../core/provider.js";
import { kind, update } from "../../core/store.js";
import { pageFail } from "./errors.js";
import type { EndStatus, SessionStatus } from "./schemas.js";

export interface SessionRecord {
  id: string;
  workflowIds: string[];
  metadata: Record<string, unknown>;
  locale: string | null;
  /**
   * `created` until a person, the admin API, a magic input or the automatic verdict finishes it. `expired` is derived
   * from the clock (see `statusAt`) and written once the expiry falls due, when its webhook goes.
   */
  status: SessionStatus;
  createdAt: number;
  expiresAt: number;
}

/** Sessions are kept past their expiry (for `sessionRetentionSeconds`) so they read as `expired`. */
export const sessions = kind<SessionRecord>("regula.session", {
  list: "sessions",
  secretId: false,
  show: (s, now) => ({
    status: statusAt(s, now),
    context: {
      workflowIds: s.workflowIds,
      locale: s.locale,
      metadata: s.metadata,
      expiresAt: isoAt(s.expiresAt),
    },
  }),
});
/** A hand-off token: `Token <token>` in the URL, bound to one session (its workflows kept for the admin API). */
export const handoffTokens = kind<{ sessionId: string; workflowIds: readonly string[] }>("regula.handoff", {
  list: "tokens",
  show: (t) => ({ context: { sessionId: t.sessionId, workflowIds: t.workflowIds } }),
});
/** An ephemeral device token from the older flow, not yet bound to a session; it starts one, once. */
export const deviceTokens = kind<{ ttlSeconds: number }>("regula.device", {
  list: "tokens",
  show: (t) => ({ context: { ttlSeconds: t.ttlSeconds } }),
});

export function statusAt(session: Readonly<SessionRecord>, now: number): SessionStatus {
  return session.status === "created" && now >= session.expiresAt ? "expired" : session.status;
}

/** The session as the API returns it, at `now` on the namespace's clock, without its results. */
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

/** What sends webhook `session.<status>` to the namespace's subscriptions, and hears a verdict was given. */
export type Emitter = Pick<ProviderDeps<unknown, unknown>, "emit" | "verdicts">;

function emitEnd(
  deps: Emitter,
  ns: Namespace,
  session: Readonly<SessionRecord>,
  status: EndStatus,
  at: number,
) {
  return deps.emit(
    ns,
    `session.${status}`,
    {
      event: `session.${status}`,
      sessionId: session.id,
      status,
      workflowIds: session.workflowIds,
      time: isoAt(at),
    },
    session.id,
  );
}

/**
 * Finishes a session, exactly once: only a session still `created` and unexpired can be, however many try at once
 * (the hand-off page, the admin API, a magic input, the automatic verdict all come here). Sends its webhook. False
 * when the namespace holds no such session; a finished or expired one throws `session_finished` (409).
 */
export async function finishSession(
  deps: Emitter,
  ns: Namespace,
  id: string,
  status: Exclude<EndStatus, "expired">,
): Promise<boolean> {
  const now = ns.clock.now();
  const written = await update(ns.store, sessions, id, (current) => {
    if (statusAt(current, now) !== "created") throw pageFail("session_finished");
    return { ...current, status };
  });
  if (!written) return false;
  await deps.verdicts.decided(ns, "session", id);
  await emitEnd(deps, ns, written.value, status, now);
  return true;
}

/**
 * A session's expiry fell due: one still `created` is written `expired` and its webhook goes, once (the write is a
 * compare-and-set, so a second run finds it expired already); a finished one sends nothing.
 */
export async function expireSession(deps: Emitter, ns: Namespace, id: string): Promise<void> {
  const now = ns.clock.now();
  const written = await update(ns.store, sessions, id, (current): SessionRecord | undefined =>
    current.status === "created" && now >= current.expiresAt ? { ...current, status: "expired" } : undefined,
  );
  if (written) await emitEnd(deps, ns, written.value, "expired", written.value.expiresAt);
}
