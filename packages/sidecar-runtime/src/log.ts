/**
 * A line logger for sidecars: `level message key=value …` on stderr, one line
 * per record, so the shell can keep the last lines of a failed sidecar as-is.
 * Every registered secret is replaced before anything is written.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogValue = string | number | boolean | null | undefined;
export type LogFields = Readonly<Record<string, LogValue>>;

const REDACTED = "[redacted]";

export class LineLogger {
  readonly #secrets = new Set<string>();
  readonly #write: (line: string) => void;

  constructor(write: (line: string) => void = (line) => process.stderr.write(line)) {
    this.#write = write;
  }

  /** Never let `secret` reach the output again, whatever record carries it. */
  redact(secret: string): void {
    // An empty string would match everywhere and blank out every line.
    if (secret.length > 0) this.#secrets.add(secret);
  }

  debug(message: string, fields?: LogFields): void {
    this.#emit("debug", message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.#emit("info", message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.#emit("warn", message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.#emit("error", message, fields);
  }

  #emit(level: LogLevel, message: string, fields: LogFields = {}): void {
    const parts = [level, escapeLineBreaks(this.#scrub(message))];
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      parts.push(`${this.#scrub(key)}=${formatValue(this.#scrub(String(value)))}`);
    }
    this.#write(`${parts.join(" ")}\n`);
  }

  // Scrub raw text before escaping, so escaping cannot split a secret apart.
  #scrub(text: string): string {
    let scrubbed = text;
    for (const secret of this.#secrets) scrubbed = scrubbed.replaceAll(secret, REDACTED);
    return scrubbed;
  }
}

function escapeLineBreaks(text: string): string {
  return text.replaceAll("\r", "\\r").replaceAll("\n", "\\n");
}

/** Bare when unambiguous, else a JSON string (quoted, with escapes). */
function formatValue(value: string): string {
  return /^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value);
}

/** The process-wide logger; the entry point registers the API token with it. */
export const log = new LineLogger();
