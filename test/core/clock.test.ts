import { describe, expect, it } from "vitest";
import { createClock, isoAt } from "../../src/core/clock.js";

describe("clock", () => {
  it("follows its source plus an offset", () => {
    let real = 1_000_000;
    const clock = createClock({ source: () => real });
    expect(clock.now()).toBe(1_000_000);
    real += 500;
    expect(clock.now()).toBe(1_000_500);
    clock.advance(10);
    expect(clock.now()).toBe(1_010_500);
    expect(clock.nowSeconds()).toBe(1010);
  });

  it("stands still while frozen and resumes from where it stopped", () => {
    let real = 0;
    const clock = createClock({ source: () => real });
    clock.freeze(true);
    real = 5_000;
    expect(clock.now()).toBe(0);
    expect(clock.frozen).toBe(true);
    clock.advance(2);
    expect(clock.now()).toBe(2_000);
    clock.freeze(false);
    expect(clock.frozen).toBe(false);
    expect(clock.now()).toBe(2_000);
    real = 6_000;
    expect(clock.now()).toBe(3_000);
  });

  it("can be set to an instant, running or frozen", () => {
    let real = 0;
    const clock = createClock({ source: () => real });
    clock.set(new Date("2030-01-01T00:00:00Z"));
    real = 1_000;
    expect(isoAt(clock.now())).toBe("2030-01-01T00:00:01.000Z");
    const frozen = createClock({ start: Date.UTC(2026, 0, 1), frozen: true });
    frozen.set(Date.UTC(2027, 0, 1));
    expect(frozen.now()).toBe(Date.UTC(2027, 0, 1));
  });

  it("starts a frozen clock exactly at its start, whatever the source does meanwhile", () => {
    let real = 0;
    const clock = createClock({ source: () => ++real, start: 1_000, frozen: true });
    expect(clock.now()).toBe(1_000);
    expect(clock.now()).toBe(1_000);
  });

  it("refuses non-finite moves", () => {
    const clock = createClock();
    expect(() => clock.advance(Number.NaN)).toThrow(RangeError);
    expect(() => clock.set(new Date("nope"))).toThrow(RangeError);
  });
});

describe("isoAt", () => {
  it("formats exactly as Date#toISOString, across seconds, days, years and odd inputs", () => {
    const instants = [
      0, 1, 999, 1000, 1001, 86_399_999, 86_400_000, 951_782_400_000, 1_798_761_599_999, 1_798_761_600_000,
      253_402_300_799_999, -1, 1.5, -62_135_596_800_000,
    ];
    for (let ms = 1_790_000_000_000; ms < 1_790_000_003_000; ms += 7) instants.push(ms);
    for (const ms of [...instants, ...instants.reverse()]) expect(isoAt(ms)).toBe(new Date(ms).toISOString());
  });
});
