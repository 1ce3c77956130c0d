/**
 * Pure text handling for job output: taking control lines out of text that
 * arrives in arbitrary pieces (cutting by UTF-8 length is jobs/utf8.ts).
 */
import { type ControlLine, PROGRESS_PREFIX, parseControlLine, STATUS_PREFIX } from "../jobs/queue.ts";

/**
 * Longest line still held back as a possible control line; a longer one is
 * output, whatever it starts with.
 */
const MAX_CONTROL_LINE = 1024;
const CONTROL_PREFIXES = [PROGRESS_PREFIX, STATUS_PREFIX];

/** What one stream's text became: the output to keep, and the control lines it held, in order. */
export interface FilteredText {
  output: string;
  controls: ControlLine[];
}

/**
 * Takes control lines (`::progress::…`, `::status::…`: queue.ts) out of one
 * stream's text, fed in pieces that may cut a line anywhere. Only a whole line
 * that is exactly a valid control line is taken; everything else is output,
 * unchanged. The start of a line that may still become one is held back
 * (at most MAX_CONTROL_LINE characters) until its newline, or the end, says.
 */
export class ControlLineFilter {
  /** The current line so far, while it may still be a control line. */
  #held = "";
  /** The current line is known to be output: the rest of it passes straight through. */
  #passing = false;

  push(text: string): FilteredText {
    let output = "";
    const controls: ControlLine[] = [];
    let start = 0;
    while (start < text.length) {
      const newline = text.indexOf("\n", start);
      const piece = newline === -1 ? text.slice(start) : text.slice(start, newline);
      if (this.#passing) {
        output += newline === -1 ? piece : `${piece}\n`;
        if (newline !== -1) this.#passing = false;
      } else {
        const line = this.#held + piece;
        this.#held = "";
        if (newline !== -1) {
          const control = parseControlLine(line);
          if (control === null) output += `${line}\n`;
          else controls.push(control);
        } else if (couldBeControl(line)) {
          this.#held = line;
        } else {
          output += line;
          this.#passing = true;
        }
      }
      if (newline === -1) break;
      start = newline + 1;
    }
    return { output, controls };
  }

  /** A last line without a newline, once the stream has ended. */
  end(): FilteredText {
    const line = this.#held;
    this.#held = "";
    this.#passing = false;
    const control = line === "" ? null : parseControlLine(line);
    return control === null ? { output: line, controls: [] } : { output: "", controls: [control] };
  }
}

/** Whether `line` (possibly still growing) can still become a control line. */
function couldBeControl(line: string): boolean {
  if (line.length > MAX_CONTROL_LINE) return false;
  return CONTROL_PREFIXES.some((prefix) =>
    line.length <= prefix.length ? prefix.startsWith(line) : line.startsWith(prefix),
  );
}
