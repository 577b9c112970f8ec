import { describe, expect, it } from "vitest";
import { parseDataFile } from "../../src/core/data-file.js";

describe("config and scenario file text", () => {
  it("reads YAML with the 1.2 core schema: values mean what they would in JSON", () => {
    const text = "start: 2026-01-01T00:00:00Z\nflag: yes\nport: 4010\nratio: 0.5\nnone: null\non: true\n";
    expect(parseDataFile("config.yaml", text)).toEqual({
      start: "2026-01-01T00:00:00Z",
      flag: "yes",
      port: 4010,
      ratio: 0.5,
      none: null,
      on: true,
    });
    expect(parseDataFile("SCENARIO.YML", "a: [1, two]")).toEqual({ a: [1, "two"] });
  });

  it("reads anything else as JSON", () => {
    expect(parseDataFile("config.json", '{"port": 0}')).toEqual({ port: 0 });
    expect(() => parseDataFile("config", "port: 0")).toThrow(SyntaxError);
  });

  it("names the file, line and column of bad YAML, and refuses duplicate keys", () => {
    expect(() => parseDataFile("bad.yaml", "rules:\n  - vendor: dqe\n   error: x\n")).toThrow(
      /bad\.yaml.*\(3:/s,
    );
    expect(() => parseDataFile("dup.yaml", "a: 1\na: 2\n")).toThrow(/duplicated mapping key/);
  });
});
