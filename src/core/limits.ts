import { z } from "zod";

/**
 * What a free-form field a client sends (Regula `metadata`, Sumsub `fixedInfo`, Sardine `inputData`) may hold. The
 * vendors document no limit; ours keeps one request from costing the sandbox megabytes for as long as it is kept,
 * and keeps every read of stored data (a page, an API answer) finite: nothing deeper than `depth` is ever stored.
 */
export const FIELD_LIMITS = {
  bytes: 64 * 1024,
  depth: 32,
  /** Characters of a name or id a client chooses (an external user id, a customer id, a locale). */
  text: 1024,
} as const;

export interface JsonSize {
  /** Bytes of its JSON text, counting string characters as one byte each (a lower bound for UTF-8). */
  bytes: number;
  /** Nesting: 0 for a scalar, 1 for `{}` or `[]`, and one more per level inside. */
  depth: number;
  /**
   * About what V8's heap holds for it: headers of objects and arrays, property slots and string bodies (an object
   * 24 bytes + `PROPERTY_HEAP` a property, an array 32 + 8 an element, a string 16 + its characters). An estimate,
   * not a measurement: `bench/soak-bytes.ts` measures how RSS follows it.
   */
  heap: number;
}

/**
 * Heap bytes an object property costs besides its key and value: a JSON.parse'd object of 4,000 keys measured 49
 * bytes a property (V8 keeps large objects as dictionaries); small ones cost less, so this errs on the side of more.
 */
const PROPERTY_HEAP = 48;

/** Bytes a property costs besides its key and value: the quotes, colon and comma of `"key":…,`. */
const KEY_OVERHEAD = 4;

/**
 * Measures a JSON-shaped value without recursion (a value 100,000 levels deep is measured, not a stack overflow),
 * stopping early once `stopPast` is exceeded in bytes or depth. Values that JSON cannot hold count as `null`. Every
 * store write measures what it keeps, so a walk allocates nothing per value: two stacks, grown as needed.
 */
export function measureJson(value: unknown, stopPast: { bytes: number; depth: number } = INFINITE): JsonSize {
  if (typeof value === "string") return { bytes: value.length + 2, depth: 0, heap: 16 + value.length };
  let bytes = 0;
  let heap = 0;
  let depth = 0;
  const values: unknown[] = [value];
  const levels: number[] = [0];
  while (values.length > 0) {
    const v = values.pop();
    const level = levels.pop()!;
    if (typeof v === "string") {
      bytes += v.length + 2;
      heap += 16 + v.length;
    } else if (typeof v === "number") {
      bytes += digits(v);
      heap += 8;
    } else if (typeof v === "boolean") {
      bytes += v ? 4 : 5;
      heap += 8;
    } else if (v !== null && typeof v === "object") {
      depth = Math.max(depth, level + 1);
      bytes += 2;
      if (Array.isArray(v)) {
        heap += 32 + 8 * v.length;
        bytes += v.length; // the commas (one too many: an upper bound)
        for (const item of v) {
          values.push(item);
          levels.push(level + 1);
        }
      } else {
        const record = v as Record<string, unknown>;
        heap += 24;
        for (const key in record) {
          if (!Object.hasOwn(record, key)) continue;
          bytes += key.length + KEY_OVERHEAD;
          heap += PROPERTY_HEAP + 16 + key.length;
          values.push(record[key]);
          levels.push(level + 1);
        }
      }
    } else {
      bytes += 4;
    }
    if (bytes > stopPast.bytes || depth > stopPast.depth) break;
  }
  return { bytes, depth, heap };
}

/** Characters of a number as JSON writes it, without writing it for the integers a store keeps (times, counts). */
function digits(n: number): number {
  if (!Number.isSafeInteger(n)) return String(n).length;
  let count = n < 0 ? 2 : 1;
  for (let rest = Math.abs(n); rest >= 10; rest = Math.floor(rest / 10)) count++;
  return count;
}

const INFINITE = { bytes: Infinity, depth: Infinity };

/**
 * A free-form JSON field within `FIELD_LIMITS`: beyond them a 400 naming the field, in the vendor's format, like any
 * other invalid field.
 *
 * @example
 * z.strictObject({ metadata: bounded(z.record(z.string(), z.unknown())).default({}) })
 */
export function bounded<T extends z.ZodType>(
  schema: T,
  limits: { bytes: number; depth: number } = FIELD_LIMITS,
): T {
  return schema.superRefine((value, ctx) => {
    const size = measureJson(value, limits);
    if (size.depth > limits.depth)
      ctx.addIssue({ code: "custom", message: `must be nested at most ${limits.depth} levels deep` });
    else if (size.bytes > limits.bytes)
      ctx.addIssue({ code: "custom", message: `must be at most ${limits.bytes / 1024} KiB as JSON` });
  });
}
