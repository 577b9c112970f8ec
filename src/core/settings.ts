import type { ClockState } from "./clock.js";
import type { Namespace } from "./context.js";
import type { Subscription } from "./deliveries.js";
import { coreError, CoreErrorCode } from "./errors.js";
import {
  NO_SCENARIOS_SETTING,
  scenariosSetting,
  syncScenarios,
  type ScenarioState,
} from "./scenarios/state.js";

/**
 * What a namespace keeps in the process besides its store's entries, carried to every sandbox sharing the store
 * (Redis) as settings: written when it changes, read before each request (`syncNamespace`). With the memory store
 * nothing is read or written.
 */
export const SETTINGS = {
  clock: "clock",
  scenarios: "scenarios",
  /** The scenarios active in every namespace: a setting of the default namespace. */
  global: "global",
  subscriptions: "subscriptions",
} as const;

/** The text each namespace's settings had when last applied: unchanged text is not parsed again. */
const applied = new WeakMap<Namespace, Map<string, string>>();

/** What each setting reads as when it is not there: nothing moved, active, defined or subscribed. */
const EMPTY: Readonly<Record<string, string>> = {
  [SETTINGS.clock]: JSON.stringify({ offset: 0, frozenAt: null } satisfies ClockState),
  [SETTINGS.scenarios]: NO_SCENARIOS_SETTING,
  [SETTINGS.global]: "[]",
  [SETTINGS.subscriptions]: "[]",
};

/**
 * The text of setting `name` the process should take now, or undefined when it holds it already. A setting it took
 * once and that is gone now (the shared bound forgot the namespace, or a week passed without a request in it) reads
 * as empty: what the process still holds of it is stale, and must not be written back.
 */
function toTake(ns: Namespace, name: string, text: string | undefined): string | undefined {
  let seen = applied.get(ns);
  if (seen === undefined) applied.set(ns, (seen = new Map<string, string>()));
  if (text === undefined) {
    if (!seen.delete(name)) return undefined;
    return EMPTY[name];
  }
  if (seen.get(name) === text) return undefined;
  seen.set(name, text);
  return text;
}

/**
 * How many times a change of a setting is tried. A try that cannot write lost to another sandbox's change that could
 * (this process's own go one at a time), so only a setting changed through more sandboxes than this at once runs out
 * (then the request answers 503: try again).
 */
export const MAX_CHANGE_TRIES = 64;

/** Each namespace's changes under way in this process, by setting: the last one's end. */
const turns = new WeakMap<Namespace, Map<string, Promise<unknown>>>();

/**
 * Runs `run` once the changes of setting `name` that this process started before it have ended: they would only
 * conflict with each other, each retry a read and a write more.
 */
function inTurn<R>(ns: Namespace, name: string, run: () => Promise<R>): Promise<R> {
  let queue = turns.get(ns);
  if (queue === undefined) turns.set(ns, (queue = new Map<string, Promise<unknown>>()));
  const mine = (queue.get(name) ?? Promise.resolve()).then(run);
  const end = mine.then(
    () => undefined,
    () => undefined,
  );
  queue.set(name, end);
  void end.then(() => {
    if (queue.get(name) === end) queue.delete(name);
  });
  return mine;
}

/** How the process holds a setting: taken from the stored text, copied for a change, made the process's once written. */
interface Held<D> {
  take(text: string): void;
  copy(): D;
  text(draft: D): string;
  install(draft: D): void;
}

/**
 * Read, change, compare-and-set, again on a conflict: `change` works on a copy of what the process holds of setting
 * `name`, brought up to date with its stored text, and may throw to refuse (nothing is written then). The copy becomes
 * the process's own once written, so a change another sandbox made in between is never overwritten, and a change that
 * lost is never half applied. Without a shared store, the change is applied and nothing read or written.
 */
async function changeSetting<D, R>(
  ns: Namespace,
  name: string,
  held: Held<D>,
  change: (draft: D) => R,
): Promise<R> {
  if (!ns.store.shared) {
    const draft = held.copy();
    const result = change(draft);
    held.install(draft);
    return result;
  }
  return inTurn(ns, name, async () => {
    for (let tries = 0; tries < MAX_CHANGE_TRIES; tries++) {
      const stored = await ns.store.getSetting(name);
      const taken = toTake(ns, name, stored);
      if (taken !== undefined) held.take(taken);
      const draft = held.copy();
      const before = held.text(draft);
      const result = change(draft);
      const after = held.text(draft);
      // Nothing changed (the same list activated again): nothing to write.
      if (after === before) return result;
      if (await ns.store.setSettingIf(name, stored, after)) {
        held.install(draft);
        toTake(ns, name, after); // what the process holds now: not parsed again
        return result;
      }
    }
    throw coreError(
      CoreErrorCode.unavailable,
      `the ${name} of namespace ${ns.id} changed through other sandboxes ${String(MAX_CHANGE_TRIES)} times while ` +
        "this change was tried: try again",
    );
  });
}

const heldScenarios = (ns: Namespace): Held<ScenarioState> => ({
  take: (text) => {
    syncScenarios(ns.scenarios, text);
  },
  copy: () => ({
    ...ns.scenarios,
    active: [...ns.scenarios.active],
    defined: new Map(ns.scenarios.defined),
    documents: new Map(ns.scenarios.documents),
  }),
  text: scenariosSetting,
  install: (draft) => {
    ns.scenarios.active = draft.active;
    ns.scenarios.defined = draft.defined;
    ns.scenarios.documents = draft.documents;
  },
});

const heldGlobal = (global: string[]): Held<string[]> => ({
  take: (text) => global.splice(0, global.length, ...(JSON.parse(text) as string[])),
  copy: () => [...global],
  text: (draft) => JSON.stringify(draft),
  install: (draft) => global.splice(0, global.length, ...draft),
});

const heldSubscriptions = (ns: Namespace): Held<Map<string, Subscription>> => {
  const subscriptions = ns.webhooks.subscriptions;
  const install = (all: Iterable<Subscription>) => {
    subscriptions.clear();
    for (const s of all) subscriptions.set(s.id, s);
  };
  return {
    take: (text) => {
      install(JSON.parse(text) as Subscription[]);
    },
    copy: () => new Map(subscriptions),
    text: (draft) => JSON.stringify([...draft.values()]),
    install: (draft) => {
      install(draft.values());
    },
  };
};

/**
 * Brings `ns` up to date with what other sandboxes sharing its store changed: its clock, its active and run-time
 * scenarios, how many one-shots wait, its webhook subscriptions; and `global`, the scenarios active everywhere, from
 * the default namespace `fallback`. One read of each namespace's settings, both at once. A store that does not answer
 * leaves everything as it was: the routes that need the store answer 503 themselves, and the health route says why.
 */
export async function syncNamespace(ns: Namespace, fallback: Namespace, global: string[]): Promise<void> {
  if (!ns.store.shared) return;
  const [own, main] = await Promise.all([
    ns.store.readShared(),
    ns === fallback ? undefined : fallback.store.readShared(),
  ]).catch(() => [undefined, undefined] as const);
  if (own === undefined) return;
  const { settings } = own;
  const clock = toTake(ns, SETTINGS.clock, settings.clock);
  if (clock !== undefined) ns.clock.restore(JSON.parse(clock) as ClockState);
  const scenarios = toTake(ns, SETTINGS.scenarios, settings.scenarios);
  if (scenarios !== undefined) syncScenarios(ns.scenarios, scenarios);
  const subscriptions = toTake(ns, SETTINGS.subscriptions, settings.subscriptions);
  if (subscriptions !== undefined) heldSubscriptions(ns).take(subscriptions);
  ns.scenarios.queued = own.queued;
  const globalText = (main ?? own).settings.global;
  // The default namespace is never forgotten: a global list not written yet is the config's, kept as it is.
  const globalTaken = globalText === undefined ? undefined : toTake(fallback, SETTINGS.global, globalText);
  if (globalTaken !== undefined) heldGlobal(global).take(globalTaken);
}

/** Writes a namespace's clock for the sandboxes sharing its store. */
export async function saveClock(ns: Namespace): Promise<void> {
  if (ns.store.shared) await ns.store.setSetting(SETTINGS.clock, JSON.stringify(ns.clock.state()));
}

/**
 * Changes a namespace's active and run-time scenarios (`active`, `defined`, `documents` of the state `change` is
 * given), so that concurrent changes of different scenarios through sandboxes sharing the store all hold. `change`
 * sees the latest state any of them wrote, and throws to refuse (a 404, a limit): check against what it is given. It
 * may run more than once; its result is the run that was written.
 *
 * @example
 * const replacing = await changeScenarios(ns, (state) => {
 *   const had = state.defined.has(name);
 *   state.defined.set(name, scenario);
 *   state.documents.set(name, document);
 *   return had;
 * });
 */
export function changeScenarios<R>(ns: Namespace, change: (state: ScenarioState) => R): Promise<R> {
  return changeSetting(ns, SETTINGS.scenarios, heldScenarios(ns), change);
}

/**
 * Changes the scenarios active everywhere (`global`, kept by the default namespace `fallback`) as `changeScenarios`
 * changes a namespace's: `change` edits the up-to-date list in place.
 *
 * @example
 * await changeGlobal(fallback, global, (list) => list.splice(0, list.length, "slow"));
 */
export function changeGlobal<R>(
  fallback: Namespace,
  global: string[],
  change: (list: string[]) => R,
): Promise<R> {
  return changeSetting(fallback, SETTINGS.global, heldGlobal(global), change);
}

/**
 * Changes a namespace's webhook subscriptions made over the API as `changeScenarios` changes its scenarios: `change`
 * edits the up-to-date map (by id) in place.
 *
 * @example
 * await changeSubscriptions(ns, (subscriptions) => {
 *   if (!subscriptions.delete(id)) throw notFound(`no subscription ${id}`);
 * });
 */
export function changeSubscriptions<R>(
  ns: Namespace,
  change: (subscriptions: Map<string, Subscription>) => R,
): Promise<R> {
  return changeSetting(ns, SETTINGS.subscriptions, heldSubscriptions(ns), change);
}
