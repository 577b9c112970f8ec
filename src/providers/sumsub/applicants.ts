import * as z from "zod";
import type { Namespace } from "../../core/context.js";
import type { ProviderDeps } from "../../core/provider.js";
import { kind, update } from "../../core/store.js";
import type { Subject } from "../../core/verdicts.js";
import { fail } from "./errors.js";
import type {
  CreateApplicantInput,
  ReviewResult,
  ReviewStatus,
  SumsubConfig,
  SumsubFixtures,
} from "./schemas.js";
import { msTime, plainTime, reviewTime } from "./time.js";
import { EVENTS, type ApplicantEventName } from "./webhooks.js";

export interface ApplicantRecord {
  id: string;
  /** On the namespace's clock. */
  createdAt: number;
  key: string;
  clientId: string;
  inspectionId: string;
  externalUserId: string;
  levelName: string;
  type: "individual" | "company";
  /** What the client sent that the sandbox keeps and returns as given. */
  given: Pick<CreateApplicantInput, "email" | "phone" | "lang" | "sourceKey" | "fixedInfo" | "metadata">;
  /** What Sumsub knows of the person (the shared identity's name after a reuse). */
  info: Record<string, unknown>;
  review: {
    reviewId: string;
    attemptId: string;
    attemptCnt: number;
    createDate: number;
    reviewDate?: number;
    reviewStatus: ReviewStatus;
    reviewResult?: ReviewResult;
  };
}

/** The body of one applicant event, at `at` on the namespace's clock. */
export function applicantEvent(
  event: ApplicantEventName,
  a: Readonly<ApplicantRecord>,
  meta: { correlationId: string; at: number },
) {
  return {
    applicantId: a.id,
    inspectionId: a.inspectionId,
    applicantType: a.type,
    correlationId: meta.correlationId,
    levelName: a.levelName,
    sandboxMode: true,
    externalUserId: a.externalUserId,
    type: event,
    ...(event === "applicantReviewed" && a.review.reviewResult
      ? { reviewResult: a.review.reviewResult }
      : {}),
    reviewStatus: EVENTS[event].reviewStatus,
    createdAtMs: msTime(meta.at),
    clientId: a.clientId,
  };
}

/** Kept for `applicantRetentionSeconds`; listed by `GET /__admin/sessions`. */
export const applicants = kind<ApplicantRecord>("sumsub.applicant", {
  list: "sessions",
  secretId: false,
  show: (a) => ({
    status: a.review.reviewStatus,
    context: {
      clientId: a.clientId,
      externalUserId: a.externalUserId,
      levelName: a.levelName,
      reviewAnswer: a.review.reviewResult?.reviewAnswer ?? null,
    },
  }),
});
/** `<clientId>\n<externalUserId>` → the applicant that has it: one per external user id per client. Internal. */
export const applicantsByUser = kind<{ applicantId: string }>("sumsub.applicantByUser");
/** A WebSDK access token. It needs no applicant: Sumsub creates one when the SDK first uses the token. */
export const sdkTokens = kind<{ clientId: string; userId: string; levelName: string | null }>(
  "sumsub.sdkToken",
  {
    list: "tokens",
    show: (t) => ({ context: { clientId: t.clientId, userId: t.userId, levelName: t.levelName } }),
  },
);

/** The applicant's review as `/one` shows it and `/status` returns it. */
export function reviewView(a: Readonly<ApplicantRecord>) {
  const { review } = a;
  return {
    reviewId: review.reviewId,
    attemptId: review.attemptId,
    attemptCnt: review.attemptCnt,
    levelName: a.levelName,
    createDate: reviewTime(review.createDate),
    ...(review.reviewDate === undefined ? {} : { reviewDate: reviewTime(review.reviewDate) }),
    reviewStatus: review.reviewStatus,
    ...(review.reviewResult === undefined ? {} : { reviewResult: review.reviewResult }),
    priority: 0,
  };
}

/** The applicant as Sumsub returns it. */
export function applicantView(a: Readonly<ApplicantRecord>) {
  return {
    id: a.id,
    createdAt: plainTime(a.createdAt),
    key: a.key,
    clientId: a.clientId,
    inspectionId: a.inspectionId,
    externalUserId: a.externalUserId,
    levelName: a.levelName,
    ...(a.given.sourceKey === undefined ? {} : { sourceKey: a.given.sourceKey }),
    info: a.info,
    ...(a.given.fixedInfo === undefined ? {} : { fixedInfo: a.given.fixedInfo }),
    ...(a.given.email === undefined ? {} : { email: a.given.email }),
    ...(a.given.phone === undefined ? {} : { phone: a.given.phone }),
    ...(a.given.lang === undefined ? {} : { lang: a.given.lang }),
    ...(a.given.metadata === undefined ? {} : { metadata: a.given.metadata }),
    applicantPlatform: "API" as const,
    review: reviewView(a),
    type: a.type,
  };
}

/** What a review becomes: completed with a result, or on hold. */
export type Outcome = { reviewStatus: "completed"; reviewResult: ReviewResult } | { reviewStatus: "onHold" };

/** Who sets it: Sumsub's own sandbox route, or the sandbox's verdicts (admin API, magic input, automatic). */
type SetBy = "testCompleted" | "verdict";

export const VERDICTS = ["approved", "rejected", "retry", "onHold"] as const;
type Verdict = (typeof VERDICTS)[number];

/** What a verdict over the admin API may carry besides its name. */
export const verdictDetails = z.strictObject({
  rejectLabels: z.array(z.string().min(1)).min(1).optional().describe("rejected, retry"),
  moderationComment: z.string().optional().describe("approved, rejected, retry"),
  clientComment: z.string().optional().describe("approved, rejected, retry"),
});

/**
 * The reject labels a verdict gives when none are named (our choice; Sumsub's label names): FORGERY for a final
 * rejection, UNSATISFACTORY_PHOTOS (the vendor's own testCompleted example) for a retry.
 */
const DEFAULT_LABELS = { rejected: ["FORGERY"], retry: ["UNSATISFACTORY_PHOTOS"] } as const;

/** The review a verdict gives; details that do not fit the verdict are refused rather than dropped. */
function outcomeOf(verdict: Verdict, details: z.output<typeof verdictDetails>): Outcome {
  const comments = {
    ...(details.moderationComment === undefined ? {} : { moderationComment: details.moderationComment }),
    ...(details.clientComment === undefined ? {} : { clientComment: details.clientComment }),
  };
  switch (verdict) {
    case "approved":
      if (details.rejectLabels) throw fail("invalid_request", "rejectLabels: an approved applicant has none");
      return { reviewStatus: "completed", reviewResult: { reviewAnswer: "GREEN", ...comments } };
    case "rejected":
    case "retry":
      return {
        reviewStatus: "completed",
        reviewResult: {
          reviewAnswer: "RED",
          rejectLabels: details.rejectLabels ?? [...DEFAULT_LABELS[verdict]],
          reviewRejectType: verdict === "rejected" ? "FINAL" : "RETRY",
          ...comments,
        },
      };
    case "onHold":
      if (Object.keys(details).length > 0)
        throw fail("invalid_request", "an onHold verdict takes no details");
      return { reviewStatus: "onHold" };
  }
}

/** Who an applicant is made for: from the create body, or from a shared Sumsub ID identity. */
export interface NewApplicant {
  clientId: string;
  externalUserId: string;
  levelName: string;
  type: "individual" | "company";
  given: ApplicantRecord["given"];
  info: Record<string, unknown>;
}

/**
 * Sumsub's applicants: creation (one per external user id per client), lookup, and the one function that sets a
 * review, whoever sets it (testCompleted, the admin API, a magic `outcome:<verdict>`, the automatic verdict).
 */
export function createApplicants(deps: ProviderDeps<SumsubFixtures, SumsubConfig>) {
  const { ids, fixtures } = deps;
  const ttl = fixtures.applicantRetentionSeconds;
  const userKey = (clientId: string, externalUserId: string) => `${clientId}\n${externalUserId}`;

  const emit = (ns: Namespace, event: ApplicantEventName, a: Readonly<ApplicantRecord>) => {
    return deps.emit(
      ns,
      event,
      applicantEvent(event, a, { correlationId: `req-${ids.uuid()}`, at: ns.clock.now() }),
      a.id,
    );
  };

  /** The live applicant `id` of `ns`, if there is one. */
  const byId = async (ns: Namespace, id: string) => (await ns.store.get(applicants, id))?.value;

  /** The applicant of the client with that external user id, if there is one. */
  const byExternalUserId = async (ns: Namespace, clientId: string, externalUserId: string) => {
    const index = await ns.store.get(applicantsByUser, userKey(clientId, externalUserId));
    return index && (await byId(ns, index.value.applicantId));
  };

  /** An applicant as it would be made now (not stored). */
  const build = (ns: Namespace, input: NewApplicant): ApplicantRecord => {
    const now = ns.clock.now();
    return {
      id: ids.hex(24),
      createdAt: now,
      key: ids.alnum(14).toUpperCase(),
      clientId: input.clientId,
      inspectionId: ids.hex(24),
      externalUserId: input.externalUserId,
      levelName: input.levelName,
      type: input.type,
      given: input.given,
      info: input.info,
      review: {
        reviewId: ids.alnum(5),
        attemptId: ids.alnum(5),
        attemptCnt: 0,
        createDate: now,
        reviewStatus: "init",
      },
    };
  };

  /**
   * Sets an applicant's review: the one way a review changes. `testCompleted` (the vendor's sandbox route) may change
   * a completed review, as Sumsub's own approve and reject may, and sends `applicantReviewed` alone. A `verdict` sends
   * `applicantPending` first, as a real review does, and is refused once the review is completed (409), so an
   * automatic verdict never overrides one a tester gave. Undefined when `ns` holds no such applicant (of `clientId`,
   * when given).
   */
  async function setReview(
    ns: Namespace,
    id: string,
    outcome: Outcome,
    by: SetBy,
    clientId?: string,
  ): Promise<Readonly<ApplicantRecord> | undefined> {
    const current = await byId(ns, id);
    if (!current || (clientId !== undefined && current.clientId !== clientId)) return undefined;
    const now = ns.clock.now();
    const written = await update(ns.store, applicants, id, (a): ApplicantRecord => {
      if (by === "verdict" && a.review.reviewStatus === "completed") throw fail("applicant_reviewed");
      const { reviewId, attemptId, attemptCnt, createDate } = a.review;
      const review = { reviewId, attemptId, attemptCnt, createDate };
      return {
        ...a,
        review:
          outcome.reviewStatus === "completed"
            ? { ...review, reviewStatus: "completed", reviewDate: now, reviewResult: outcome.reviewResult }
            : { ...review, reviewStatus: "onHold" },
      };
    });
    if (!written) return undefined;
    await deps.verdicts.decided(ns, "applicant", id);
    const applicant = written.value;
    if (by === "verdict") await emit(ns, "applicantPending", applicant);
    await emit(ns, outcome.reviewStatus === "completed" ? "applicantReviewed" : "applicantOnHold", applicant);
    return applicant;
  }

  const subject: Subject = {
    name: "applicant",
    kind: applicants,
    verdicts: VERDICTS,
    details: verdictDetails,
    // The core gives only a verdict of `verdicts`, with details `verdictDetails` checked ({} by magic or auto).
    give: async (ns, id, verdict, details) =>
      (await setReview(ns, id, outcomeOf(verdict as Verdict, details), "verdict")) !== undefined,
  };

  return {
    subject,
    setReview,
    byExternalUserId,

    /** An applicant as the reuse preview shows it: made, never kept. */
    preview: (ns: Namespace, input: NewApplicant) => build(ns, input),

    /**
     * Creates an applicant and sends `applicantCreated`; a magic `outcome:<verdict>` as the external user id gives that
     * verdict at once, else the automatic one is scheduled when the config asks. Returns it as created (`init`): a
     * verdict follows creation, as Sumsub's review does.
     */
    async create(ns: Namespace, input: NewApplicant): Promise<ApplicantRecord> {
      const key = userKey(input.clientId, input.externalUserId);
      const applicant = build(ns, input);
      // Written, then the external user id claimed in one step (insert-if-absent): exactly one of concurrent
      // creators gets it, and the one that did has its applicant readable already. The others take theirs back.
      await ns.store.put(applicants, applicant.id, applicant, ttl);
      if (!(await ns.store.create(applicantsByUser, key, { applicantId: applicant.id }, ttl))) {
        await ns.store.delete(applicants, applicant.id);
        const existing = await byExternalUserId(ns, input.clientId, input.externalUserId);
        throw fail(
          "applicant_exists",
          `Applicant with external user id '${input.externalUserId}' already exists: ${existing?.id ?? ""}`,
        );
      }
      await emit(ns, "applicantCreated", applicant);
      await deps.verdicts.created(ns, subject.name, applicant.id, [input.externalUserId]);
      return applicant;
    },

    /**
     * The client's applicant named by `ref`: its id, or Sumsub's `-;externalUserId=<id>`. Gives what fell due first,
     * so a read sees the applicant as the clock says it is. Another client's applicant is not found.
     */
    async find(ns: Namespace, clientId: string, ref: string): Promise<Readonly<ApplicantRecord>> {
      const external = /^-;externalUserId=(.+)$/s.exec(ref)?.[1];
      const id =
        external === undefined
          ? ref
          : (await ns.store.get(applicantsByUser, userKey(clientId, external)))?.value.applicantId;
      if (id !== undefined) await deps.verdicts.settle(ns, subject.name, id);
      const applicant = id === undefined ? undefined : await byId(ns, id);
      if (!applicant || applicant.clientId !== clientId) throw fail("applicant_not_found");
      return applicant;
    },
  };
}

export type Applicants = ReturnType<typeof createApplicants>;
