/**
 * The cap on what one run's output keeps (RUNBOOK_OUTPUT_MAX_BYTES, stdout
 * and stderr together): text up to it is kept, cut on a code point boundary;
 * past it one truncation notice is kept, and the rest is counted and dropped.
 * The pipes are still read to their end, so the job runs on and its exit code
 * is kept.
 */
import { clipUtf8 } from "../jobs/utf8.ts";

/** What of a piece of output to keep, and whether the truncation notice follows it. */
export interface Kept {
  text: string;
  /** True once, for the piece the cap cut: the notice is written after it. */
  truncated: boolean;
}

export class OutputBudget {
  readonly maxBytes: number;
  #left: number;
  #dropped = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
    this.#left = maxBytes;
  }

  /** Bytes dropped so far. */
  get droppedBytes(): number {
    return this.#dropped;
  }

  take(text: string): Kept {
    if (this.#left < 0) {
      this.#dropped += Buffer.byteLength(text);
      return { text: "", truncated: false };
    }
    const bytes = Buffer.byteLength(text);
    if (bytes <= this.#left) {
      this.#left -= bytes;
      return { text, truncated: false };
    }
    const kept = clipUtf8(text, this.#left);
    this.#dropped += bytes - Buffer.byteLength(kept);
    this.#left = -1;
    return { text: kept, truncated: true };
  }
}

/** The notice kept in place of what the cap dropped, on stderr, on a line of its own. */
export function truncationNotice(maxBytes: number): string {
  return `\n[runbook] output truncated: this run kept its first ${formatBytes(maxBytes)} (RUNBOOK_OUTPUT_MAX_BYTES); the rest is dropped and counted in the job's outputDroppedBytes\n`;
}

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  if (Number.isInteger(mib)) return `${mib} MiB`;
  const kib = bytes / 1024;
  return Number.isInteger(kib) ? `${kib} KiB` : `${bytes} bytes`;
}
