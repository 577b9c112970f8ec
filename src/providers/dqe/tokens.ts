import type { Namespace } from "../../core/context.js";
import { kind, redactToken } from "../../core/store.js";

export interface AccessTokenRecord {
  licence: string;
  refreshToken: string;
  /** The last IDMOBILE check asked with this token: what `/GET/` reads (DQE's session is the token). */
  checkId?: string;
}
export interface RefreshTokenRecord {
  licence: string;
  accessToken: string;
}
/**
 * The licence is half of the credentials (the journal redacts it) and DQE has no other client id: the admin API shows
 * only that one is bound, never its value. The paired token shows redacted, as the token list shows ids.
 */
const BOUND_LICENCE = "[redacted]";
export const accessTokens = kind<AccessTokenRecord>("dqe.access", {
  list: "tokens",
  show: (t) => ({
    context: {
      licence: BOUND_LICENCE,
      refreshToken: redactToken(t.refreshToken),
      checkId: t.checkId ?? null,
    },
  }),
});
export const refreshTokens = kind<RefreshTokenRecord>("dqe.refresh", {
  list: "tokens",
  show: (t) => ({ context: { licence: BOUND_LICENCE, accessToken: redactToken(t.accessToken) } }),
});

/** A valid DQE access token, as the flows that consume one see it. */
export interface ValidAccessToken {
  licence: string;
  expiresAt: number;
}

/**
 * Whether `token` is a DQE access token that is valid now on the namespace's clock. Read-only: asking never
 * changes the state. This is how the parts of the sandbox that consume DQE tokens (and tests) check one.
 */
export async function validAccessToken(ns: Namespace, token: string): Promise<ValidAccessToken | undefined> {
  const entry = await ns.store.get(accessTokens, token);
  return entry && { licence: entry.value.licence, expiresAt: entry.expiresAt };
}
