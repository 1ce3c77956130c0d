/**
 * Splitting a job's output into lines as it is copied. A line ends at "\n";
 * a "\r" just before it is dropped (CRLF), a bare "\r" (a progress line
 * redrawn in place) stays in the text. What a stream wrote after its last
 * "\n" is its tail: it waits for the rest of its line in the next chunk of
 * that stream, or becomes the last line when the job ends. Each stream has a
 * tail of its own, so interleaved stdout and stderr never mix in one line.
 */
import type { OutputStream } from "./queue.ts";

export interface OutputLine {
  stream: OutputStream;
  text: string;
}

/**
 * Each stream's tail as far as it is in memory. A tail can also have a part
 * stored before (a long line arriving over many copies): `stored` fetches
 * and forgets it, and is asked only when the line ends, so a long line costs
 * its length once, not once per copy.
 */
export type LineTails = Record<OutputStream, string>;

export type StoredTail = (stream: OutputStream) => string;

export const noTails = (): LineTails => ({ stdout: "", stderr: "" });

const nothingStored: StoredTail = () => "";

/**
 * Appends the lines `text` ends to `lines` and updates the stream's tail.
 * Only the new text is searched for line ends, so a long line arriving in
 * many chunks costs its length, not its length times its chunks.
 */
export function splitChunk(
  tails: LineTails,
  stream: OutputStream,
  text: string,
  lines: OutputLine[],
  stored: StoredTail = nothingStored,
): void {
  let start = 0;
  let end = text.indexOf("\n");
  if (end === -1) {
    tails[stream] += text;
    return;
  }
  let first = true;
  while (end !== -1) {
    const piece = text.slice(start, end);
    const line = first ? stored(stream) + tails[stream] + piece : piece;
    first = false;
    lines.push({ stream, text: line.endsWith("\r") ? line.slice(0, -1) : line });
    start = end + 1;
    end = text.indexOf("\n", start);
  }
  tails[stream] = text.slice(start);
}

/** The job has ended: each non-empty tail is a last line, stdout's first. */
export function flushTails(tails: LineTails, lines: OutputLine[], stored: StoredTail = nothingStored): void {
  for (const stream of ["stdout", "stderr"] as const) {
    const tail = stored(stream) + tails[stream];
    if (tail !== "") lines.push({ stream, text: tail });
    tails[stream] = "";
  }
}

/**
 * How much of a line the full-text index reads: its first 64 Ki characters,
 * what the api serves of a longer line and marks matches in. A 50 MB line is
 * stored whole, but indexing all of it would hold the api's thread for seconds.
 */
export const INDEXED_CHARS = 64 * 1024;

// CSI sequences (colours, cursor moves): "\x1b[31mERROR" holds the word ERROR.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape is what it matches
const CSI = /\x1b\[[0-?]*[ -/]*[@-~]/g;

/**
 * The line as the full-text index reads it: its first INDEXED_CHARS, escape
 * sequences become spaces of the same length, so words keep their offsets
 * and a coloured word is a word.
 */
export function indexedText(line: string): string {
  const text = line.length > INDEXED_CHARS ? line.slice(0, INDEXED_CHARS) : line;
  return text.includes("\x1b") ? text.replace(CSI, (sequence) => " ".repeat(sequence.length)) : text;
}
