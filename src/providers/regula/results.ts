import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError } from "../../core/errors.js";
import type { RegulaFixtures, SessionStatus } from "./schemas.js";

/** A session's image, read once at start-up. */
export interface SessionFile {
  name: string;
  type: "image/png" | "image/jpeg";
  bytes: Uint8Array<ArrayBuffer>;
}

const MAGIC: Record<SessionFile["type"], readonly number[]> = {
  "image/png": [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  "image/jpeg": [0xff, 0xd8, 0xff],
};

/** Reads the fixtures' images once; a missing file, or one whose bytes are not its type, stops the start. */
export function loadFiles(fixtures: RegulaFixtures, dir: string): ReadonlyMap<string, SessionFile> {
  const files = new Map<string, SessionFile>();
  for (const [i, file] of fixtures.files.entries()) {
    const path = resolve(dir, file.path);
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(readFileSync(path));
    } catch (cause) {
      throw new ConfigError(`fixture file regula.json: files.${String(i)}.path: cannot read ${path}`, {
        cause,
      });
    }
    if (!MAGIC[file.type].every((byte, at) => bytes[at] === byte))
      throw new ConfigError(`fixture file regula.json: files.${String(i)}.type: ${path} is not ${file.type}`);
    files.set(file.name, { name: file.name, type: file.type, bytes });
  }
  return files;
}

/** Only a completed or failed session has results. */
export function hasResults(status: SessionStatus): status is "completed" | "failed" {
  return status === "completed" || status === "failed";
}

/**
 * `properties` and `files` of a session with `status`: the fixtures' results of a completed or failed one, empty
 * for any other (the sandbox's choice: Regula documents that the session holds them, not when).
 */
export function resultsOf(
  status: SessionStatus,
  fixtures: RegulaFixtures,
  files: ReadonlyMap<string, SessionFile>,
  sessionUrl: string,
) {
  if (!hasResults(status)) return { properties: {}, files: [] };
  return {
    properties: fixtures.results[status],
    files: [...files.values()].map((f) => ({
      name: f.name,
      type: f.type,
      size: f.bytes.byteLength,
      url: `${sessionUrl}/files/${f.name}`,
    })),
  };
}
