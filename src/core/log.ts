export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One JSON object per line; nothing secret is ever passed in (the journal's entry is already redacted). */
export interface Logger {
  debug(event: string, fields: Record<string, unknown>): void;
  info(event: string, fields: Record<string, unknown>): void;
  warn(event: string, fields: Record<string, unknown>): void;
  error(event: string, fields: Record<string, unknown>): void;
  readonly level: LogLevel;
  /** Whether a line at `level` would be written: skip building it otherwise. */
  enabled(level: LogLevel): boolean;
}

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const rank = LOG_LEVELS.indexOf(level);
  const emit = (at: LogLevel, event: string, fields: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(at) < rank) return;
    write(JSON.stringify({ level: at, event, ...fields }) + "\n");
  };
  return {
    debug: (event, fields) => {
      emit("debug", event, fields);
    },
    info: (event, fields) => {
      emit("info", event, fields);
    },
    warn: (event, fields) => {
      emit("warn", event, fields);
    },
    error: (event, fields) => {
      emit("error", event, fields);
    },
    level,
    enabled: (at) => LOG_LEVELS.indexOf(at) >= rank,
  };
}
