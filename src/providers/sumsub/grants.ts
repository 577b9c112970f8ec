import { createHash } from "node:crypto";
import type { Namespace } from "../../core/context.js";
import type { ProviderDeps } from "../../core/provider.js";
import {
  endListed,
  kind,
  putAllListed,
  putItem,
  putListed,
  update,
  type PutItem,
  type Store,
} from "../../core/store.js";
import { fail } from "./errors.js";
import type { Scope, SumsubConfig, SumsubFixtures, SumsubUser } from "./schemas.js";

export const KEY_SET = "sumsub";

/** What authorize granted: bound to client, redirect URI, PKCE challenge, scopes and user. */
export interface CodeRecord {
  clientId: string;
  redirectUri: string;
  codeChallenge: string | undefined;
  scopes: Scope[];
  sub: string;
  /** The identity typed on the login page, carried by every token of the grant; absent for a fixture user. */
  identity?: SumsubUser;
  nonce: string | undefined;
  familyId: string;
  /** Exchanged already: the code stays stored for its lifetime, so a second exchange can revoke the first's tokens. */
  used: boolean;
}
interface TokenGrant {
  clientId: string;
  sub: string;
  identity?: SumsubUser;
  scopes: Scope[];
  familyId: string;
}
export type AccessRecord = TokenGrant;
export interface RefreshRecord extends TokenGrant {
  codeChallenge: string | undefined;
  nonce: string | undefined;
  /** Set once the token has been rotated away; presenting it again revokes the whole family. */
  used: boolean;
}

/** Whom a grant is for, as the admin API shows it (an identity typed at login is the user's own data: not shown). */
const grantContext = (g: Readonly<TokenGrant>) => ({
  clientId: g.clientId,
  sub: g.sub,
  scope: g.scopes.join(" "),
});
/** A token is revoked once its family is (or gone: then no token of it is accepted either). */
const familyRevoked = async (store: Store, familyId: string) =>
  (await store.get(families, familyId))?.value.revoked !== false;

export const codes = kind<CodeRecord>("sumsub.code", {
  list: "tokens",
  show: (code) => ({
    status: code.used ? "used" : "active",
    context: { ...grantContext(code), redirectUri: code.redirectUri },
  }),
});
export const accessTokens = kind<AccessRecord>("sumsub.access", {
  list: "tokens",
  show: async (token, _now, store) => ({
    status: (await familyRevoked(store, token.familyId)) ? "revoked" : "active",
    context: grantContext(token),
  }),
});
export const refreshTokens = kind<RefreshRecord>("sumsub.refresh", {
  list: "tokens",
  show: async (token, _now, store) => ({
    status: (await familyRevoked(store, token.familyId)) ? "revoked" : token.used ? "used" : "active",
    context: grantContext(token),
  }),
});
/** Every token issued from one code shares a family; revoking it revokes them all. Internal: never listed. */
export const families = kind<{ revoked: boolean }>("sumsub.family");
export const shareTokens = kind<{ forClientId: string; sub: string; identity?: SumsubUser }>("sumsub.share", {
  list: "tokens",
  show: (token) => ({ context: { forClientId: token.forClientId, sub: token.sub } }),
});

/** Every kind Sumsub stores. */
export const sumsubKinds = [codes, accessTokens, refreshTokens, families, shareTokens];

export interface IssuedTokens {
  access_token: string;
  refresh_token?: string;
  token_type: "Bearer";
  expires_in: number;
  id_token?: string;
}

/** S256 only: base64url(SHA-256(verifier)). */
export function s256(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

/**
 * The grant logic both Sumsub routes share: codes, tokens, refresh and revocation. It throws Sumsub's error codes;
 * each route's renderer writes them in its own format.
 */
export function createGrants(deps: ProviderDeps<SumsubFixtures, SumsubConfig>) {
  const { fixtures, ids, keys } = deps;
  const lenient = deps.config.lenient;
  const users = new Map(fixtures.users.map((u) => [u.sub, u]));

  const familyAlive = async (ns: Namespace, familyId: string) =>
    (await ns.store.get(families, familyId))?.value.revoked === false;
  const revoke = (ns: Namespace, familyId: string) =>
    update(ns.store, families, familyId, (family) => (family.revoked ? undefined : { revoked: true }));
  const pkceHolds = (challenge: string | undefined, verifier: string | undefined) =>
    lenient || (challenge !== undefined && verifier !== undefined && s256(verifier) === challenge);

  /** The claims a user's granted scopes allow, for the id_token and userinfo. */
  const userClaims = (user: SumsubUser, scopes: readonly Scope[]) => ({
    ...(scopes.includes("email") ? { email: user.email } : {}),
    ...(scopes.includes("name")
      ? {
          given_name: user.givenName,
          family_name: user.familyName,
          name: `${user.givenName} ${user.familyName}`,
        }
      : {}),
    ...(scopes.includes("profile") ? { created_at: Math.floor(Date.parse(user.createdAt) / 1000) } : {}),
  });

  /** Whom a grant names: the identity typed on the login page, else the fixture user with its `sub`. */
  const userOf = (grant: { sub: string; identity?: SumsubUser | undefined }): SumsubUser => {
    const user = grant.identity ?? users.get(grant.sub);
    if (!user) throw fail("invalid_token");
    return user;
  };

  return {
    userClaims,
    userOf,
    /** The fixture user for a `login_hint` (email or sub), the first user without one. */
    userForHint(hint: string | undefined): SumsubUser | undefined {
      if (hint === undefined || hint === "") return fixtures.users[0];
      return fixtures.users.find((u) => u.email === hint || u.sub === hint);
    },

    async issueCode(ns: Namespace, grant: Omit<CodeRecord, "familyId" | "used">): Promise<string> {
      const code = `${ids.token(43)}=`;
      const familyId = ids.uuid();
      await ns.store.put(families, familyId, { revoked: false }, fixtures.refreshTokenTtlSeconds);
      await putListed(ns.store, codes, code, { ...grant, familyId, used: false }, fixtures.codeTtlSeconds);
      return code;
    },

    /**
     * Consumes a code: single use, for this client, the PKCE verifier matching (and the redirect URI, on the OIDC
     * route). Any failure is `invalid_code`, and the code is spent; a second exchange revokes the first one's tokens.
     */
    async redeemCode(
      ns: Namespace,
      request: { code: string; clientId: string; verifier: string | undefined; redirectUri?: string },
    ): Promise<Readonly<CodeRecord>> {
      const entry = await ns.store.get(codes, request.code);
      if (!entry) throw fail("invalid_code");
      const grant = entry.value;
      // Marking the code used is a compare-and-set on the code itself: of concurrent exchanges exactly one gets
      // through, and every other (now or later) is a reuse, which revokes what the first gave.
      const spent = grant.used
        ? undefined
        : await ns.store.replace(codes, request.code, entry.rev, { ...grant, used: true });
      if (!spent) {
        await revoke(ns, grant.familyId);
        throw fail("invalid_code");
      }
      await endListed(ns.store, codes, spent, "used", ns.clock.now());
      const redirectOk =
        lenient || request.redirectUri === undefined || request.redirectUri === grant.redirectUri;
      if (
        grant.clientId !== request.clientId ||
        !redirectOk ||
        !pkceHolds(grant.codeChallenge, request.verifier)
      ) {
        throw fail("invalid_code");
      }
      return grant;
    },

    /**
     * A refresh token's grant. Where `rotate`, the token is spent and a used one presented again revokes its whole
     * family (as Keycloak and Auth0 do); `verifier`, where given, must match the original PKCE challenge.
     */
    async useRefreshToken(
      ns: Namespace,
      request: { token: string; clientId: string; verifier?: string; scopes?: Scope[]; rotate: boolean },
    ): Promise<Readonly<RefreshRecord>> {
      const entry = await ns.store.get(refreshTokens, request.token);
      const record = entry?.value;
      if (
        !entry ||
        !record ||
        record.clientId !== request.clientId ||
        !(await familyAlive(ns, record.familyId))
      ) {
        throw fail("invalid_refresh_token");
      }
      if (record.used) {
        await revoke(ns, record.familyId);
        throw fail("invalid_refresh_token");
      }
      if (request.verifier !== undefined && !pkceHolds(record.codeChallenge, request.verifier)) {
        throw fail("invalid_refresh_token");
      }
      const extra = request.scopes?.filter((s) => !record.scopes.includes(s)) ?? [];
      if (extra.length > 0)
        throw fail("invalid_scope", `Requested scope exceeds the granted scope: ${extra.join(" ")}`);
      // Rotation is a compare-and-set: of concurrent refreshes with one token, exactly one gets through, and the
      // others are a reuse of a rotated token like any later one.
      if (request.rotate) {
        const spent = await ns.store.replace(refreshTokens, request.token, entry.rev, {
          ...record,
          used: true,
        });
        if (!spent) {
          await revoke(ns, record.familyId);
          throw fail("invalid_refresh_token");
        }
        await endListed(ns.store, refreshTokens, spent, "used", ns.clock.now());
      }
      return record;
    },

    /** Issues the tokens of a grant; `issuer` is the Sumsub issuer as the caller sees it (with its namespace). */
    async issueTokens(
      ns: Namespace,
      issuer: string,
      grant: TokenGrant & { nonce?: string | undefined; codeChallenge?: string | undefined },
      options: { refresh: boolean; idToken: boolean },
    ): Promise<IssuedTokens> {
      const { store, clock } = ns;
      const accessToken = `snd-id-con-a-${ids.token(64)}`;
      const base = {
        clientId: grant.clientId,
        sub: grant.sub,
        ...(grant.identity === undefined ? {} : { identity: grant.identity }),
        scopes: grant.scopes,
        familyId: grant.familyId,
      };
      const issued: PutItem[] = [putItem(accessTokens, accessToken, base, fixtures.accessTokenTtlSeconds)];
      const refreshToken = options.refresh ? `snd-id-con-r-${ids.token(64)}` : undefined;
      if (refreshToken !== undefined)
        issued.push(
          putItem(
            refreshTokens,
            refreshToken,
            { ...base, codeChallenge: grant.codeChallenge, nonce: grant.nonce, used: false },
            fixtures.refreshTokenTtlSeconds,
          ),
        );
      // The pair in one step: one round trip to a shared store.
      await putAllListed(store, issued);
      let idToken: string | undefined;
      if (options.idToken) {
        const iat = clock.nowSeconds();
        idToken = await keys.sign(KEY_SET, {
          iss: issuer,
          sub: grant.sub,
          aud: grant.clientId,
          exp: iat + fixtures.accessTokenTtlSeconds,
          iat,
          ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }),
          ...userClaims(userOf(grant), grant.scopes),
        });
      }
      return {
        access_token: accessToken,
        ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
        token_type: "Bearer",
        expires_in: fixtures.accessTokenTtlSeconds,
        ...(idToken === undefined ? {} : { id_token: idToken }),
      };
    },

    /** The grant behind a live access token of a live family, or `invalid_token`. */
    async accessGrant(ns: Namespace, token: string | undefined): Promise<Readonly<AccessRecord>> {
      const entry = token === undefined ? undefined : await ns.store.get(accessTokens, token);
      if (!entry || !(await familyAlive(ns, entry.value.familyId))) throw fail("invalid_token");
      return entry.value;
    },
  };
}

export type Grants = ReturnType<typeof createGrants>;
