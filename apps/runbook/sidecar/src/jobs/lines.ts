/**
 * Splitting a job's output into lines as it is copied. A line ends at "\n";
 * a "\r" just before it is dropped (CRLF), a bare "\r" (a progress line
 * redrawn in place) stays in the text. What a stream wrote after its last
 * "\n" is its tail: it waits for the rest of its line in the next chunk of
 * that stream, or becomes the last line when the job ends. Each stream has a
 * tail of its own, so interleaved stdout and stderr never mix in one line.
 */
import type { OutputStream } from "./queue.ts";

/**
 * How much of a line is kept as a line: its first 64 Ki characters, at least
 * the 64 KiB the api serves of a longer line, and what the full-text index
 * reads. The whole line stays in the job's chunks (job_output, GET
 * /jobs/{id}/output): a 50 MB line never has to be held, joined or indexed
 * whole, so each copy costs what it adds.
 */
export const LINE_HEAD_CHARS = 64 * 1024;
/** What the full-text index reads of a line: all that is kept of it. */
export const INDEXED_CHARS = LINE_HEAD_CHARS;

export interface OutputLine {
  stream: OutputStream;
  /** The line without its ending, or its first LINE_HEAD_CHARS when longer. */
  text: string;
  /** The whole line's length in UTF-8 bytes. */
  bytes: number;
}

/** A stream's unended line so far: its head, and the whole's length. */
export interface LineTail {
  head: string;
  chars: number;
  bytes: number;
  /** Whether it ends in "\r" (dropped if "\n" follows). */
  cr: boolean;
}

export type LineTails = Record<OutputStream, LineTail>;

export const emptyTail = (): LineTail => ({ head: "", chars: 0, bytes: 0, cr: false });
export const noTails = (): LineTails => ({ stdout: emptyTail(), stderr: emptyTail() });

function append(tail: LineTail, text: string): void {
  if (text === "") return;
  if (tail.head.length < LINE_HEAD_CHARS) tail.head += text.slice(0, LINE_HEAD_CHARS - tail.head.length);
  tail.chars += text.length;
  tail.bytes += Buffer.byteLength(text);
  tail.cr = text.endsWith("\r");
}

/** The tail as a line; `ended`: a "\n" ended it, so a "\r" before it is dropped. */
function toLine(stream: OutputStream, tail: LineTail, ended: boolean): OutputLine {
  if (!ended || !tail.cr) return { stream, text: tail.head, bytes: tail.bytes };
  // The "\r" is the line's last character: in the head only when the head is the whole line.
  const whole = tail.chars <= LINE_HEAD_CHARS;
  return { stream, text: whole ? tail.head.slice(0, -1) : tail.head, bytes: tail.bytes - 1 };
}

/**
 * Appends the lines `text` ends to `lines` and updates the stream's tail.
 * Only the new text is searched for line ends, and a tail keeps only its
 * head, so a long line arriving in many chunks costs its length once.
 */
export function splitChunk(tails: LineTails, stream: OutputStream, text: string, lines: OutputLine[]): void {
  let start = 0;
  let end = text.indexOf("\n");
  while (end !== -1) {
    const tail = tails[stream];
    append(tail, text.slice(start, end));
    lines.push(toLine(stream, tail, true));
    tails[stream] = emptyTail();
    start = end + 1;
    end = text.indexOf("\n", start);
  }
  append(tails[stream], text.slice(start));
}

/** The job has ended: each non-empty tail is a last line, stdout's first. */
export function flushTails(tails: LineTails, lines: OutputLine[]): void {
  for (const stream of ["stdout", "stderr"] as const) {
    if (tails[stream].chars > 0) lines.push(toLine(stream, tails[stream], false));
    tails[stream] = emptyTail();
  }
}

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
