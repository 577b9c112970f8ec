import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/core/log.js";

describe("logger", () => {
  it("writes one JSON object per line at or above its level", () => {
    const lines: string[] = [];
    const log = createLogger("warn", (line) => lines.push(line));
    log.info("request", { status: 200 });
    log.warn("slow", { ms: 5 });
    log.error("boom", { cause: "x" });
    expect(lines).toEqual([
      '{"level":"warn","event":"slow","ms":5}\n',
      '{"level":"error","event":"boom","cause":"x"}\n',
    ]);
  });

  it("prints nothing when silent", () => {
    const lines: string[] = [];
    const log = createLogger("silent", (line) => lines.push(line));
    log.error("boom", {});
    expect(lines).toEqual([]);
  });
});
