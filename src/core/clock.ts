/**
 * The sandbox's clocks form one tree: the sandbox's own clock reads its source (the system clock, unless a test
 * injects another), and every namespace's clock reads the sandbox's and adds its own offset or freeze on top. Every
 * `iat`, `exp`, TTL and `createdAt` is read from a clock, so a test moves time instead of sleeping.
 *
 * @example
 * const clock = createClock();
 * clock.freeze(true);
 * clock.advance(600); // every token issued 10 minutes ago has now expired
 */
export interface Clock {
  /** Milliseconds since the epoch, on this clock. */
  now(): number;
  /** Whole seconds since the epoch, on this clock (what JWT `iat`/`exp` use). */
  nowSeconds(): number;
  /** Moves the clock forward (or back, with a negative number) by `seconds`. */
  advance(seconds: number): void;
  /** Sets the clock to an instant; it keeps running from there unless frozen. */
  set(instant: Date | number): void;
  /** Stops (`true`) or restarts (`false`) the clock at its current reading (it stays still while its parent is). */
  freeze(frozen: boolean): void;
  /** Drops the offset and the freeze: the clock reads its source again. */
  real(): void;
  /** Whether time stands still for this clock: frozen itself, or following a frozen parent. */
  readonly frozen: boolean;
  /** Its own offset and freeze, as data: what replicas sharing a namespace exchange. */
  state(): ClockState;
  /** Takes the offset and freeze `state()` gave (another replica's). */
  restore(state: ClockState): void;
}

/** A clock's own settings on top of its source: an offset, or the instant it is frozen at. */
export interface ClockState {
  offset: number;
  frozenAt: number | null;
}

export interface ClockOptions {
  /** What this clock adds its offset to: the system clock by default, a parent clock's `now` in the tree. */
  source?: () => number;
  /** Start at this instant instead of the source's time. */
  start?: Date | number;
  frozen?: boolean;
  /** The clock `source` reads, if it is one: a clock whose parent is frozen is frozen too. */
  parent?: Clock;
}

export function createClock(options: ClockOptions = {}): Clock {
  const source = options.source ?? (() => Date.now());
  let offset = 0;
  let frozenAt: number | undefined;
  const clock: Clock = {
    now: () => frozenAt ?? source() + offset,
    nowSeconds: () => Math.floor(clock.now() / 1000),
    advance(seconds) {
      if (!Number.isFinite(seconds)) throw new RangeError("advance takes a finite number of seconds");
      if (frozenAt === undefined) offset += seconds * 1000;
      else frozenAt += seconds * 1000;
    },
    set(instant) {
      const at = typeof instant === "number" ? instant : instant.getTime();
      if (!Number.isFinite(at)) throw new RangeError("set takes a valid instant");
      if (frozenAt === undefined) offset = at - source();
      else frozenAt = at;
    },
    freeze(frozen) {
      if (frozen && frozenAt === undefined) frozenAt = clock.now();
      if (!frozen && frozenAt !== undefined) {
        offset = frozenAt - source();
        frozenAt = undefined;
      }
    },
    real() {
      offset = 0;
      frozenAt = undefined;
    },
    get frozen() {
      return frozenAt !== undefined || options.parent?.frozen === true;
    },
    state: () => ({ offset, frozenAt: frozenAt ?? null }),
    restore(state) {
      offset = state.offset;
      frozenAt = state.frozenAt ?? undefined;
    },
  };
  // Freeze first, so a frozen clock starts exactly at `start`, not a tick after it.
  if (options.frozen === true) clock.freeze(true);
  if (options.start !== undefined) clock.set(options.start);
  return clock;
}

/**
 * Real time in milliseconds since the epoch, never moved or frozen: only for what waits real seconds and must be
 * compared between sandboxes sharing a store (a webhook retry another sandbox takes over). What a vendor shows reads
 * a namespace's clock instead.
 */
export function wallTime(): number {
  return Date.now();
}

/** A clock that follows `parent` and adds its own offset and freeze on top (a namespace's clock). */
export function childClock(parent: Clock): Clock {
  return createClock({ source: () => parent.now(), parent });
}

/** The last two seconds formatted, as `YYYY-MM-DDTHH:MM:SS.` by whole second: most calls format a recent instant. */
const isoSeconds: [second: number, prefix: string][] = [
  [NaN, ""],
  [NaN, ""],
];
let isoNext = 0;

/** ISO 8601 with milliseconds (`2026-11-22T03:39:03.123Z`), the format every vendor here writes times in. */
export function isoAt(ms: number): string {
  const second = Math.floor(ms / 1000);
  const millis = ms - second * 1000;
  if (!Number.isInteger(ms) || ms < 0 || ms >= 253402300800000) return new Date(ms).toISOString();
  let prefix: string | undefined;
  for (const [s, p] of isoSeconds) if (s === second) prefix = p;
  if (prefix === undefined) {
    prefix = new Date(second * 1000).toISOString().slice(0, 20);
    isoSeconds[isoNext] = [second, prefix];
    isoNext ^= 1;
  }
  return `${prefix}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${String(millis)}Z`;
}
