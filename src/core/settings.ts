import type { ClockState } from "./clock.js";
import type { Namespace } from "./context.js";
import type { Subscription } from "./deliveries.js";
import { scenariosSetting, syncScenarios } from "./scenarios/state.js";

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

function changed(ns: Namespace, name: string, text: string | undefined): text is string {
  if (text === undefined) return false;
  let seen = applied.get(ns);
  if (seen === undefined) applied.set(ns, (seen = new Map<string, string>()));
  if (seen.get(name) === text) return false;
  seen.set(name, text);
  return true;
}

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
  if (changed(ns, SETTINGS.clock, settings.clock)) ns.clock.restore(JSON.parse(settings.clock) as ClockState);
  if (changed(ns, SETTINGS.scenarios, settings.scenarios)) syncScenarios(ns.scenarios, settings.scenarios);
  if (changed(ns, SETTINGS.subscriptions, settings.subscriptions)) {
    const subscriptions = ns.webhooks.subscriptions;
    subscriptions.clear();
    for (const s of JSON.parse(settings.subscriptions) as Subscription[]) subscriptions.set(s.id, s);
  }
  ns.scenarios.queued = own.queued;
  const globalText = (main ?? own).settings.global;
  if (changed(fallback, SETTINGS.global, globalText))
    global.splice(0, global.length, ...(JSON.parse(globalText) as string[]));
}

/** Writes what is active and defined in a namespace for the sandboxes sharing its store. */
export async function saveScenarios(ns: Namespace): Promise<void> {
  if (ns.store.shared) await ns.store.setSetting(SETTINGS.scenarios, scenariosSetting(ns.scenarios));
}

/** Writes a namespace's clock for the sandboxes sharing its store. */
export async function saveClock(ns: Namespace): Promise<void> {
  if (ns.store.shared) await ns.store.setSetting(SETTINGS.clock, JSON.stringify(ns.clock.state()));
}

/** Writes a namespace's webhook subscriptions (made over the API) for the sandboxes sharing its store. */
export async function saveSubscriptions(ns: Namespace): Promise<void> {
  if (ns.store.shared)
    await ns.store.setSetting(
      SETTINGS.subscriptions,
      JSON.stringify([...ns.webhooks.subscriptions.values()]),
    );
}

/** Writes the scenarios active everywhere (kept by the default namespace) for the sandboxes sharing the store. */
export async function saveGlobal(fallback: Namespace, global: readonly string[]): Promise<void> {
  if (fallback.store.shared) await fallback.store.setSetting(SETTINGS.global, JSON.stringify(global));
}
