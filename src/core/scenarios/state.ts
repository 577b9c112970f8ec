import type * as z from "zod";
import type { Store } from "../store.js";
import { compileRule, compileScenario, type RouteTable, type ScenarioProblem } from "./check.js";
import { outcomeSchema, type CompiledRule, type Scenario, type scenarioSchema } from "./schema.js";

/** A one-shot queued from code or the admin API: applies to the next `times` matching requests. */
export type QueuedRule = CompiledRule & { times: number };

/** Most one-shots waiting in a namespace's queue. */
export const MAX_QUEUED = 1000;
/** Most scenarios defined at run time in a namespace. */
export const MAX_DEFINED = 100;

/** A run-time scenario's document, as `PUT /__admin/scenarios/{name}` took it. */
export type ScenarioDocument = z.output<typeof scenarioSchema>;

/**
 * Per-namespace scenario state: what is active there and the scenarios defined at run time (`PUT
 * /__admin/scenarios/{name}`), which only that namespace's requests see. Rule counters and queued one-shots live in
 * the namespace's store (`count`, `enqueue`), so they hold across every sandbox that shares it; a shared store also
 * carries `active` and the run-time documents as the setting `scenarios` (see `scenarioSetting`, `syncScenarios`).
 */
export interface ScenarioState {
  /** The namespace's store: its counts and queue. */
  readonly store: Store;
  /** The declared routes, which a run-time scenario and a one-shot are compiled against. */
  readonly tables: readonly RouteTable[];
  active: string[];
  defined: Map<string, Scenario>;
  /** The documents of `defined`, as given. */
  documents: Map<string, ScenarioDocument>;
  /** How many one-shots wait in the store's queue, as last seen: none, and a request reads nothing of it. */
  queued: number;
  /** Queued one-shots compiled, by their id in the queue. */
  readonly compiled: Map<string, QueuedRule>;
}

export function createScenarioState(store: Store, tables: readonly RouteTable[]): ScenarioState {
  return {
    store,
    tables,
    active: [],
    defined: new Map(),
    documents: new Map(),
    queued: 0,
    compiled: new Map(),
  };
}

/** The scenario `name` as a request of this namespace sees it: its own run-time one, else the file's. */
export function scenarioNamed(
  state: ScenarioState,
  files: ReadonlyMap<string, Scenario>,
  name: string,
): Scenario | undefined {
  return state.defined.get(name) ?? files.get(name);
}

/** Restarts the counters of one scenario's rules (it was replaced or removed). */
export function restartCounters(state: ScenarioState, name: string): Promise<void> {
  return state.store.forgetCounts([`seen:${name}#`, `applied:${name}#`]);
}

interface ScenariosSetting {
  active: string[];
  documents: [string, ScenarioDocument][];
}

/** The setting of a namespace with nothing active and nothing defined at run time. */
export const NO_SCENARIOS_SETTING = JSON.stringify({ active: [], documents: [] } satisfies ScenariosSetting);

/** What is active and defined in the namespace, as the text of its setting (see `syncScenarios`). */
export function scenariosSetting(state: ScenarioState): string {
  const setting: ScenariosSetting = { active: state.active, documents: [...state.documents] };
  return JSON.stringify(setting);
}

/**
 * Takes what another sandbox sharing the store made active and defined (`scenariosSetting`'s text). A document that
 * no longer compiles here (a sandbox with other routes) is left out.
 */
export function syncScenarios(state: ScenarioState, text: string): void {
  const setting = JSON.parse(text) as ScenariosSetting;
  const defined = new Map<string, Scenario>();
  const documents = new Map<string, ScenarioDocument>();
  for (const [name, document] of setting.documents) {
    const checked = compileScenario(document, name, "api", state.tables);
    if (!checked.ok) continue;
    defined.set(name, checked.scenario);
    documents.set(name, document);
  }
  state.active = setting.active;
  state.defined = defined;
  state.documents = documents;
}

/**
 * Forgets the run-time scenarios (queued one-shots and counters go with the store's reset); which scenarios are
 * active stays, less the run-time ones just forgotten. A change of the scenarios setting (`changeScenarios`).
 */
export function clearScenarioState(state: ScenarioState): void {
  const forgotten = state.defined;
  state.defined = new Map();
  state.documents = new Map();
  state.active = state.active.filter((name) => !forgotten.has(name));
}

/** A one-shot as the library and `POST /__admin/scenarios/enqueue` give it. */
export interface OneShot {
  vendor: string;
  /** A route name of the vendor (`METHOD /path/{param}`, `*` wildcards). */
  route: string;
  /** Checked here: what the caller gave. */
  outcome: unknown;
  /** How many matching requests it answers; 1 unless given. */
  times?: unknown;
}

/** The one-shot queued as `item`, compiled once per process. */
export function queuedRule(state: ScenarioState, id: string, item: string, uses: number): QueuedRule {
  let rule = state.compiled.get(id);
  if (rule === undefined) {
    const compiled = compileRule(JSON.parse(item) as Parameters<typeof compileRule>[0], state.tables);
    // Checked when it was queued against the same routes: a sandbox with other routes never shares a store.
    if (typeof compiled === "string") throw new Error(`queued one-shot ${id}: ${compiled}`);
    rule = { ...compiled, times: uses };
    state.compiled.set(id, rule);
  }
  return rule.times === uses ? rule : { ...rule, times: uses };
}

/**
 * Queues a one-shot in the namespace's store once it is known to work: `times` a whole number of at least 1, the
 * outcome valid, the vendor and route declared, the error one the route's format has. The number queued after, or
 * the problem (its message names the field).
 */
export async function enqueueOneShot(
  state: ScenarioState,
  shot: OneShot,
): Promise<{ ok: true; queued: number } | ScenarioProblem> {
  const times = shot.times ?? 1;
  if (typeof times !== "number" || !Number.isInteger(times) || times < 1)
    return { ok: false, field: "times", message: "times must be an integer of at least 1" };
  const parsed = outcomeSchema.safeParse(shot.outcome);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "outcome";
    return { ok: false, field, message: `${field}: ${issue.message}` };
  }
  const input = { ...parsed.data, vendor: shot.vendor, route: shot.route };
  const rule = compileRule({ ...input, times }, state.tables);
  if (typeof rule === "string")
    return { ok: false, field: /^(\w+):/.exec(rule)?.[1] ?? "outcome", message: rule };
  const queued = await state.store.enqueue(JSON.stringify(input), times, MAX_QUEUED);
  if (queued === undefined)
    return {
      ok: false,
      field: "queue",
      message: `at most ${String(MAX_QUEUED)} one-shots wait in a namespace: let some answer, or reset it`,
    };
  state.queued = queued;
  return { ok: true, queued };
}
