import type { CompiledRule } from "./schema.js";

/** A one-shot queued from code: applies to the next `times` matching requests. */
export type QueuedRule = CompiledRule & { times: number };

/** Per-namespace scenario state: what is active there, one-shots queued from code, and rule counters. */
export interface ScenarioState {
  active: string[];
  queue: QueuedRule[];
  counters: Map<string, number>;
}

export function createScenarioState(): ScenarioState {
  return { active: [], queue: [], counters: new Map() };
}

/** Forgets queued one-shots and counters (not which scenarios are active). */
export function clearScenarioState(state: ScenarioState): void {
  state.queue.length = 0;
  state.counters.clear();
}
