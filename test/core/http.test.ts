import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fieldsOf } from "../../src/core/http.js";

/** What URLSearchParams reads, in the same shape. */
function reference(encoded: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(encoded)) out.set(name, [...(out.get(name) ?? []), value]);
  return out;
}

describe("form and query fields", () => {
  it("reads exactly what URLSearchParams reads, for any text", () => {
    const piece = fc.constantFrom(
      "a",
      "b",
      "=",
      "&",
      "%",
      "%2",
      "%41",
      "%zz",
      "+",
      "é",
      "%C3%A9",
      "%FF",
      "",
      " ",
      "?",
      "#",
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(piece).map((parts) => parts.join("")),
        ),
        (encoded) => {
          expect(fieldsOf(encoded)).toEqual(reference(encoded));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("keeps repeated names' values in order and reads a name without '=' as empty", () => {
    expect(fieldsOf("a=1&&b&a=2&=x")).toEqual(
      new Map([
        ["a", ["1", "2"]],
        ["b", [""]],
        ["", ["x"]],
      ]),
    );
  });
});
