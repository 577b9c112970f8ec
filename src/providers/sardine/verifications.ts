import { isoAt } from "../../core/clock.js";
import type { Namespace } from "../../core/context.js";
import type { ProviderDeps } from "../../core/provider.js";
import { kind, update } from "../../core/store.js";
import { pageFail } from "./errors.js";
import {
  EVENTS,
  verdictSchema,
  type EventName,
  type SardineFixtures,
  type Verdict,
  type VerificationResult,
} from "./schemas.js";

type Deps = ProviderDeps<SardineFixtures, unknown>;

/** A document verification: one per SDK token, one per web link. */
export interface VerificationRecord {
  verificationId: string;
  /** The Basic client that created it: only that client reads it. */
  clientId: string;
  sessionKey: string;
  customerId: string | null;
  /** What created it: an SDK token of either provider, or a web link. */
  source: "au10tix" | "incode" | "link";
  /**
   * `pending` until a verdict (`complete`), or until its web link expires unused (`expired`, written when the
   * expiry falls due; `statusAt` derives it before that).
   */
  status: "pending" | "complete" | "expired";
  verdict?: Verdict;
  createdAt: number;
  completedAt?: number;
  /** A web link's: when it stops opening, and where the page sends the browser after a verdict. */
  link?: { expiresAt: number; redirectURL: string | null };
}

/** Listed by `GET /__admin/sessions`; kept `verificationRetentionSeconds` (past a web link's expiry). */
export const verifications = kind<VerificationRecord>("sardine.verification", {
  list: "sessions",
  secretId: false,
  show: (v, now) => ({
    status: statusAt(v, now),
    context: {
      clientId: v.clientId,
      sessionKey: v.sessionKey,
      customerId: v.customerId,
      source: v.source,
      verdict: v.verdict ?? null,
    },
  }),
});

/**
 * A web link's token (the `link` query value of its URL) → its verification. Kept as long as the verification, so
 * an expired link is told apart from one that never existed. Internal: the verification is what the admin lists.
 */
export const links = kind<{ verificationId: string }>("sardine.link");

export function statusAt(v: Readonly<VerificationRecord>, now: number): VerificationRecord["status"] {
  return v.status === "pending" && v.link !== undefined && now >= v.link.expiresAt ? "expired" : v.status;
}

const EMPTY_RESULT = {
  documentData: {
    type: "",
    number: "",
    dateOfBirth: "",
    dateOfIssue: "",
    dateOfExpiry: "",
    issuingCountry: "",
    firstName: "",
    middleName: "",
    lastName: "",
    gender: "",
    address: "",
  },
  verification: {
    riskLevel: "",
    forgeryLevel: "",
    documentMatchLevel: "",
    imageQualityLevel: "",
    faceMatchLevel: "",
  },
} as const;

/**
 * The verification as Sardine's GET returns it, at `now`: the fixtures' result for its verdict once complete; every
 * field "" before (see `verificationResultSchema`).
 */
export function resultView(
  fixtures: SardineFixtures,
  v: Readonly<VerificationRecord>,
  now: number,
): VerificationResult {
  const status = statusAt(v, now);
  const result =
    status === "complete" && v.verdict !== undefined ? fixtures.results[v.verdict] : EMPTY_RESULT;
  return {
    verificationId: v.verificationId,
    status,
    documentData: { ...result.documentData },
    verification: { ...result.verification },
  };
}

function emitEvent(deps: Deps, ns: Namespace, event: EventName, v: Readonly<VerificationRecord>, at: number) {
  return deps.emit(
    ns,
    event,
    {
      id: deps.ids.uuid(),
      type: event,
      timestamp: isoAt(at),
      data: {
        case: { sessionKey: v.sessionKey, customerID: v.customerId ?? "" },
        documentVerificationResult: resultView(deps.fixtures, v, at),
      },
    },
    v.verificationId,
  );
}

/**
 * Gives a verification its verdict, exactly once, and sends `document_verification.processed`: the one way a
 * verdict is set, whoever gives it (the web link page, the admin API, a magic input, the automatic verdict). False
 * when the namespace holds no such verification; one already complete or expired throws `verification_final` (409).
 */
export async function giveVerdict(deps: Deps, ns: Namespace, id: string, verdict: string): Promise<boolean> {
  const given = verdictSchema.parse(verdict);
  const now = ns.clock.now();
  const written = await update(ns.store, verifications, id, (current): VerificationRecord => {
    const status = statusAt(current, now);
    if (status === "expired") throw pageFail("verification_final", "This verification has expired.");
    if (status !== "pending") throw pageFail("verification_final");
    return { ...current, status: "complete", verdict: given, completedAt: now };
  });
  if (!written) return false;
  await deps.verdicts.decided(ns, "verification", id);
  await emitEvent(deps, ns, EVENTS.processed, written.value, now);
  return true;
}

/**
 * A web link's expiry fell due: a verification still pending is written `expired` and `document_verification.expired`
 * goes, once (the write is a compare-and-set; a second run finds it expired); a complete one sends nothing.
 */
export async function expireVerification(deps: Deps, ns: Namespace, id: string): Promise<void> {
  const now = ns.clock.now();
  const written = await update(ns.store, verifications, id, (current): VerificationRecord | undefined =>
    current.status === "pending" && statusAt(current, now) === "expired"
      ? { ...current, status: "expired" }
      : undefined,
  );
  if (written?.value.link)
    await emitEvent(deps, ns, EVENTS.expired, written.value, written.value.link.expiresAt);
}

/**
 * Stores a new pending verification, schedules its link's expiry, and gives it the verdict a magic
 * `outcome:<verdict>` in its `sessionKey` or `customerId` names (else schedules the automatic one, if configured).
 */
export async function startVerification(
  deps: Deps,
  ns: Namespace,
  fields: Pick<
    VerificationRecord,
    "verificationId" | "clientId" | "sessionKey" | "customerId" | "source" | "link"
  >,
): Promise<void> {
  const now = ns.clock.now();
  const record: VerificationRecord = { ...fields, status: "pending", createdAt: now };
  const linkSeconds = record.link ? Math.ceil((record.link.expiresAt - now) / 1000) : 0;
  await ns.store.put(
    verifications,
    record.verificationId,
    record,
    linkSeconds + deps.fixtures.verificationRetentionSeconds,
  );
  if (record.link)
    await deps.verdicts.schedule(ns, record.link.expiresAt, "verification", record.verificationId);
  await deps.verdicts.created(ns, "verification", record.verificationId, [
    record.sessionKey,
    record.customerId,
  ]);
}
