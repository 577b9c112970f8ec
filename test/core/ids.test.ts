import { describe, expect, it } from "vitest";
import { createIdGenerator } from "../../src/core/ids.js";

describe("id generator", () => {
  const ids = createIdGenerator();

  it.each([
    ["token", (n: number) => ids.token(n), /^[A-Za-z0-9_-]*$/, 64],
    ["alnum", (n: number) => ids.alnum(n), /^[A-Za-z0-9]*$/, 62],
    ["hex", (n: number) => ids.hex(n), /^[0-9a-f]*$/, 16],
  ] as const)("%s ids have the asked length, only their alphabet and all of it", (_, draw, pattern, size) => {
    const seen = new Set<string>();
    for (const length of [0, 1, 21, 48, 255, 256, 257, 1000]) {
      const id = draw(length);
      expect(id).toHaveLength(length);
      expect(id).toMatch(pattern);
    }
    for (let i = 0; i < 2000; i++) for (const ch of draw(20)) seen.add(ch);
    expect(seen.size).toBe(size);
  });

  it("does not repeat itself across pool refills", () => {
    const drawn = new Set(Array.from({ length: 5000 }, () => ids.token(21)));
    expect(drawn.size).toBe(5000);
  });

  it("draws each character about equally often (no modulo bias)", () => {
    const counts = new Map<string, number>();
    const total = 62 * 10_000;
    for (const ch of ids.alnum(total)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    // 10,000 expected per character (σ ≈ 100); a biased draw (bytes 248..255 folded onto the first 8 characters)
    // would give those about 12,100 and the rest about 9,700.
    expect(counts.size).toBe(62);
    for (const n of counts.values()) expect(Math.abs(n - 10_000)).toBeLessThan(600);
  });

  it("gives RFC 4122 version 4 UUIDs", () => {
    expect(ids.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
