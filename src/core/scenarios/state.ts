import { compileRule, type RouteTable, type ScenarioProblem } from "./check.js";
import { outcomeSchema, type CompiledRule, type Scenario } from "./schema.js";

/** A one-shot queued from code or the admin API: applies to the next `times` matching requests. */
export type QueuedRule = CompiledRule & { times: number };

/** Most one-shots waiting in a namespace's queue. */
export const MAX_QUEUED = 1000;
/** Most scenarios defined at run time in a namespace. */
export const MAX_DEFINED = 100;

/**
 * Per-namespace scenario state: what is active there, one-shots queued from code, rule counters, and the scenarios
 * defined at run time (`PUT /__admin/scenarios/{name}`), which only that namespace's requests see.
 */
export interface ScenarioState {
  active: string[];
  queue: QueuedRule[];
  counters: Map<string, number>;
  defined: Map<string, Scenario>;
}

export function createScenarioState(): ScenarioState {
  return { active: [], queue: [], counters: new Map(), defined: new Map() };
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
export function restartCounters(state: ScenarioState, name: string): void {
  for (const key of state.counters.keys())
    if (key.startsWith(`seen:${name}#`) || key.startsWith(`applied:${name}#`)) state.counters.delete(key);
}

/**
 * Forgets queued one-shots, counters and run-time scenarios; which scenarios are active stays, less the run-time
 * ones just forgotten.
 */
export function clearScenarioState(state: ScenarioState): void {
  state.queue.length = 0;
  state.counters.clear();
  if (state.defined.size === 0) return;
  const forgotten = state.defined;
  state.defined = new Map();
  state.active.splice(0, state.active.length, ...state.active.filter((name) => !forgotten.has(name)));
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

/**
 * Queues a one-shot in the namespace's state once it is known to work: `times` a whole number of at least 1, the
 * outcome valid, the vendor and route declared, the error one the route's format has. The number queued after, or
 * the problem (its message names the field).
 */
export function enqueueOneShot(
  state: ScenarioState,
  tables: readonly RouteTable[],
  shot: OneShot,
): { ok: true; queued: number } | ScenarioProblem {
  const times = shot.times ?? 1;
  if (typeof times !== "number" || !Number.isInteger(times) || times < 1)
    return { ok: false, field: "times", message: "times must be an integer of at least 1" };
  const parsed = outcomeSchema.safeParse(shot.outcome);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "outcome";
    return { ok: false, field, message: `${field}: ${issue.message}` };
  }
  const rule = compileRule({ ...parsed.data, vendor: shot.vendor, route: shot.route, times }, tables);
  if (typeof rule === "string")
    return { ok: false, field: /^(\w+):/.exec(rule)?.[1] ?? "outcome", message: rule };
  if (state.queue.length >= MAX_QUEUED)
    return {
      ok: false,
      field: "queue",
      message: `at most ${String(MAX_QUEUED)} one-shots wait in a namespace: let some answer, or reset it`,
    };
  state.queue.push({ ...rule, times });
  return { ok: true, queued: state.queue.length };
}
