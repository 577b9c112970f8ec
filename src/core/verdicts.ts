import type * as z from "zod";
import type { DueItem, Namespace } from "./context.js";
import type { Kind } from "./store.js";

/**
 * A verification-like thing a vendor holds (a Sumsub applicant, a Regula session): it starts pending and a tester
 * gives it a verdict, from a hosted page, the admin API, a magic `outcome:<verdict>` input, or automatically. The
 * vendor declares what verdicts it takes and what giving one does (its record, its webhooks); the core only routes
 * to it.
 */
export interface Subject {
  /** What the record is, in messages and the admin API: `applicant`, `session`. */
  readonly name: string;
  /** The kind its records are stored under, so the admin API and the dashboard can find them. */
  readonly kind?: Kind<unknown>;
  /** The verdicts a tester may give; the first is what `verdicts.auto` gives unless the config names another. */
  readonly verdicts: readonly string[];
  /** Fields a verdict may carry over the admin API besides its name (Sumsub's `rejectLabels`). */
  readonly details?: z.ZodObject;
  /**
   * Gives record `id` the verdict: false when the namespace holds no such record. Throws a SandboxError when the
   * record cannot take it (already final).
   */
  give(
    ns: Namespace,
    id: string,
    verdict: string,
    details: Readonly<Record<string, unknown>>,
  ): Promise<boolean>;
  /** Runs when something the vendor scheduled for the record falls due on the namespace's clock (an expiry). */
  due?(ns: Namespace, id: string): Promise<void>;
}

const keyOf = (item: Omit<DueItem, "at">) =>
  `${item.vendor}/${item.subject}/${item.id}/${item.verdict ?? "due"}`;

/** `outcome:<verdict>`, optionally `:<anything>` after it, so a value that must be unique (an external user id) can be. */
const MAGIC = /^outcome:([A-Za-z0-9_-]+)(?::.*)?$/s;

/** The verdict a magic `outcome:<verdict>[:<suffix>]` among `values` names, if it is one of `verdicts`. */
export function magicVerdict(values: readonly unknown[], verdicts: readonly string[]): string | undefined {
  for (const value of values) {
    const named = typeof value === "string" ? MAGIC.exec(value)?.[1] : undefined;
    if (named !== undefined && verdicts.includes(named)) return named;
  }
  return undefined;
}

export interface AutoVerdicts {
  /** Seconds on the namespace's clock after a record is created. */
  after: number;
  /** The verdict per vendor; each subject's first otherwise. */
  verdict: Readonly<Record<string, string>>;
}

/** Why a verdict could not be given, for the admin API to answer in its own words. */
export type VerdictRefusal =
  | { reason: "no_subjects"; vendors: string[] }
  | { reason: "unknown_verdict"; verdicts: string[] }
  | { reason: "invalid_details"; issues: readonly z.core.$ZodIssue[] }
  | { reason: "not_found" };

/**
 * Routes verdicts to the vendor that holds the record, and gives the ones that fall due (automatic verdicts, a
 * vendor's scheduled `due`) when a namespace's clock passes them: on `tick` (each second while the sandbox runs, after
 * a clock change, on a flush) or when the record is read (`settle`).
 */
export function createVerdicts(options: {
  subjectsOf: (vendor: string) => readonly Subject[];
  vendors: () => readonly string[];
  auto?: AutoVerdicts;
  /** Most due items kept per namespace (like the store's entries); past it the oldest go first. */
  maxDue?: number;
}) {
  const { subjectsOf, auto, maxDue = 100_000 } = options;
  const add = (ns: Namespace, item: DueItem) =>
    ns.store.schedule(keyOf(item), JSON.stringify(item), item.at, maxDue);
  const subject = (vendor: string, name: string) => subjectsOf(vendor).find((s) => s.name === name);
  /** Forgets the automatic verdicts waiting for a record: one was given. */
  const forget = async (ns: Namespace, vendor: string, subjectName: string, id: string) => {
    await Promise.all(
      (subject(vendor, subjectName)?.verdicts ?? []).map((verdict) =>
        ns.store.unschedule(keyOf({ vendor, subject: subjectName, id, verdict })),
      ),
    );
  };

  const run = async (ns: Namespace, item: DueItem) => {
    // A tick and a read (or two ticks, or two sandboxes sharing the store) may both have picked it: whoever removes
    // it runs it.
    if (!(await ns.store.unschedule(keyOf(item)))) return;
    const s = subject(item.vendor, item.subject);
    if (!s) return;
    if (item.verdict === undefined) await s.due?.(ns, item.id);
    // An automatic verdict yields to one a tester gave first: a final record refuses it, and that is fine.
    else await s.give(ns, item.id, item.verdict, {}).catch(() => false);
  };

  /** What is due in the namespace by `until`, earliest first. */
  const dueBy = async (ns: Namespace, until: number, limit?: number): Promise<DueItem[]> =>
    (await ns.store.scheduled(until, limit)).map((s) => JSON.parse(s.item) as DueItem);

  /** Gives everything due in the namespace, oldest first. */
  const tick = async (ns: Namespace): Promise<number> => {
    const due = await dueBy(ns, ns.clock.now());
    for (const item of due) await run(ns, item);
    return due.length;
  };

  return {
    /**
     * A vendor created a record: gives the verdict a magic `outcome:<verdict>` among `inputs` names, else schedules the
     * automatic one if the config asks for it. Returns the magic verdict given, if any.
     */
    async created(
      ns: Namespace,
      vendor: string,
      subjectName: string,
      id: string,
      inputs: readonly unknown[],
    ): Promise<string | undefined> {
      const s = subject(vendor, subjectName);
      if (!s) throw new Error(`${vendor} declares no subject ${subjectName}`);
      const magic = magicVerdict(inputs, s.verdicts);
      if (magic !== undefined) {
        await s.give(ns, id, magic, {});
        return magic;
      }
      if (auto) {
        const verdict = auto.verdict[vendor] ?? s.verdicts[0]!;
        await add(ns, { vendor, subject: s.name, id, verdict, at: ns.clock.now() + auto.after * 1000 });
      }
      return undefined;
    },

    /** Runs the subject's `due` for the record once the namespace's clock reaches `at`. */
    schedule(ns: Namespace, at: number, vendor: string, subjectName: string, id: string): Promise<void> {
      return add(ns, { vendor, subject: subjectName, id, at });
    },

    /** A record got its verdict (from any source): its automatic verdict, if one is waiting, will not come. */
    decided: forget,

    /** Gives what is due for one record now: a read sees the record as the clock says it should be. */
    async settle(ns: Namespace, vendor: string, subjectName: string, id: string): Promise<void> {
      const mine = (item: DueItem) =>
        item.vendor === vendor && item.subject === subjectName && item.id === id;
      for (const item of (await dueBy(ns, ns.clock.now())).filter(mine)) await run(ns, item);
    },

    /**
     * Moves the namespace's clock to `target` (with `move`) through every due time on the way, giving what falls due
     * at each while the records it is about still exist: one long jump sends the expiries a day of waiting would.
     */
    async advanceTo(ns: Namespace, target: number, move: (at: number) => void): Promise<void> {
      for (;;) {
        const next = (await dueBy(ns, target, 1))[0]?.at;
        if (next === undefined) break;
        if (next > ns.clock.now()) move(next);
        if ((await tick(ns)) === 0) break;
      }
      move(target);
    },

    tick,

    /** The admin API's verdict: finds the vendor's subject that holds `id` and takes `verdict`. */
    async give(
      ns: Namespace,
      vendor: string,
      id: string,
      verdict: string,
      details: Record<string, unknown>,
    ): Promise<{ subject: string } | VerdictRefusal> {
      const subjects = subjectsOf(vendor);
      if (subjects.length === 0)
        return {
          reason: "no_subjects",
          vendors: options.vendors().filter((v) => subjectsOf(v).length > 0),
        };
      const taking = subjects.filter((s) => s.verdicts.includes(verdict));
      if (taking.length === 0)
        return { reason: "unknown_verdict", verdicts: [...new Set(subjects.flatMap((s) => s.verdicts))] };
      for (const s of taking) {
        let parsed: Record<string, unknown> = details;
        if (s.details) {
          const result = s.details.safeParse(details);
          if (!result.success) return { reason: "invalid_details", issues: result.error.issues };
          parsed = result.data;
        } else if (Object.keys(details).length > 0) {
          return {
            reason: "invalid_details",
            issues: [
              {
                code: "unrecognized_keys",
                keys: Object.keys(details),
                path: [],
                message: `a ${s.name} verdict takes no details`,
                input: details,
              },
            ],
          };
        }
        if (await s.give(ns, id, verdict, parsed)) {
          await forget(ns, vendor, s.name, id);
          return { subject: s.name };
        }
      }
      return { reason: "not_found" };
    },

    /** Every vendor's subjects, for the document and the admin API. */
    subjectsOf,
  };
}

export type Verdicts = ReturnType<typeof createVerdicts>;
