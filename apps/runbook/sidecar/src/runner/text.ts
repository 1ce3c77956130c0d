/**
 * Pure text handling for job output: cutting it into entries of at most N
 * UTF-8 bytes on code point boundaries, and finding progress lines in text
 * that arrives in arbitrary pieces.
 */
import { parseProgressLine } from "../jobs/queue.ts";

const encoder = new TextEncoder();

/**
 * `text` in pieces of at most `maxBytes` UTF-8 bytes each, never splitting a
 * code point (nor a surrogate pair). `maxBytes` must be at least 4.
 */
export function splitUtf8(text: string, maxBytes: number): string[] {
  if (maxBytes < 4) throw new RangeError(`maxBytes must be at least 4 (got ${maxBytes})`);
  if (text.length * 3 <= maxBytes) return text === "" ? [] : [text];
  const scratch = new Uint8Array(maxBytes);
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > 0) {
    // encodeInto stops before a code point that would not fit whole.
    const { read } = encoder.encodeInto(rest, scratch);
    pieces.push(rest.slice(0, read));
    rest = rest.slice(read);
  }
  return pieces;
}

/** Longest line still looked at for a progress value; longer ones cannot be one. */
const MAX_PROGRESS_LINE = 64;
const PROGRESS_PREFIX = "::progress::";

/**
 * Finds progress lines (`::progress::42`) in one stream's text, fed in pieces
 * that may cut a line anywhere. Remembers at most one short partial line.
 */
export class ProgressLineScanner {
  /** The current line so far, or null once it is too long to be a progress line. */
  #partial: string | null = "";

  /** The progress values of every line `text` completed, in order. */
  push(text: string): number[] {
    const values: number[] = [];
    let start = 0;
    for (;;) {
      const newline = text.indexOf("\n", start);
      if (newline === -1) break;
      this.#append(text.slice(start, newline));
      this.#takeLine(values);
      start = newline + 1;
    }
    this.#append(text.slice(start));
    return values;
  }

  /** The value of a last line without a newline, once the stream has ended. */
  end(): number[] {
    const values: number[] = [];
    this.#takeLine(values);
    return values;
  }

  #append(piece: string): void {
    if (this.#partial === null || piece === "") return;
    const line = this.#partial + piece;
    this.#partial = line.length > MAX_PROGRESS_LINE || !couldBeProgress(line) ? null : line;
  }

  #takeLine(values: number[]): void {
    const line = this.#partial;
    this.#partial = "";
    if (line === null || !line.startsWith(PROGRESS_PREFIX)) return;
    const value = parseProgressLine(line);
    if (value !== null) values.push(value);
  }
}

/** Whether `line` (possibly still growing) can still become a progress line. */
function couldBeProgress(line: string): boolean {
  return line.length <= PROGRESS_PREFIX.length
    ? PROGRESS_PREFIX.startsWith(line)
    : line.startsWith(PROGRESS_PREFIX);
}
