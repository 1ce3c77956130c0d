import type { SidecarLogBatch } from "../../lib/bindings";

/** Lines of each sidecar's output the panel keeps. */
export const TAIL_LINES = 200;

/** A line with its number: the sidecar's `total` when it was the last line printed. */
export interface LogLine {
  number: number;
  text: string;
}

/** The newest lines of one sidecar's output, oldest first, each number held once. */
export interface LogTail {
  lines: readonly LogLine[];
  /** The highest line number seen. */
  total: number;
}

export const emptyTail: LogTail = { lines: [], total: 0 };

/**
 * Adds `lines`, the last of which is number `total`. Numbering lines by `total`
 * is what lets the first read and the live batches overlap, in either order,
 * without a line being shown twice.
 */
export function mergeLines(tail: LogTail, lines: readonly string[], total: number): LogTail {
  const first = total - lines.length + 1;
  const merged = [
    ...tail.lines.filter((line) => line.number < first),
    ...lines.map((text, index) => ({ number: first + index, text })),
    ...tail.lines.filter((line) => line.number > total),
  ];
  return { lines: merged.slice(-TAIL_LINES), total: Math.max(tail.total, total) };
}

/** Adds a live batch. A `total` lower than one seen means the shell started the sidecars afresh. */
export function appendBatch(tail: LogTail, batch: SidecarLogBatch): LogTail {
  return mergeLines(batch.total < tail.total ? emptyTail : tail, batch.lines, batch.total);
}

export type TailEntry =
  | ({ kind: "line" } & LogLine)
  | {
      kind: "gap";
      /** Number of the line after the gap. */
      before: number;
      skipped: number;
    };

/**
 * The tail as shown: its lines, with a marker where lines between two of them
 * were never sent (a batch's `skipped`, seen as a jump in the numbering).
 */
export function tailEntries(tail: LogTail): TailEntry[] {
  const entries: TailEntry[] = [];
  let previous: number | null = null;
  for (const line of tail.lines) {
    if (previous !== null && line.number > previous + 1) {
      entries.push({ kind: "gap", before: line.number, skipped: line.number - previous - 1 });
    }
    entries.push({ kind: "line", ...line });
    previous = line.number;
  }
  return entries;
}
