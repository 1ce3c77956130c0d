/**
 * Markdown for the reports: numbers formatted one way everywhere, tables
 * generated from rows, and the statistics row every report uses.
 */
import type { Stats } from "./stats.ts";

/**
 * A number as the reports print it: "–" when missing; with `digits`, that
 * many decimals; otherwise 0 decimals from 100 up, 1 from 10, else 2.
 * Thousands are separated by commas.
 */
export function fmt(x: number | null | undefined, digits?: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  const decimals = digits ?? (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2);
  return x.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

export type Cell = string | number | null | undefined;

/** A Markdown table (no trailing newline). Numbers go through `fmt`; columns align right unless `align` says "l". */
export function table(
  head: readonly string[],
  rows: readonly (readonly Cell[])[],
  align?: readonly ("l" | "r")[],
): string {
  const cell = (c: Cell) => (typeof c === "number" ? fmt(c) : c === null || c === undefined ? "–" : c);
  const rule = head.map((_, i) => ((align?.[i] ?? (i === 0 ? "l" : "r")) === "l" ? "---" : "---:"));
  return [head, rule, ...rows.map((r) => r.map(cell))].map((r) => `| ${r.join(" | ")} |`).join("\n");
}

export const STATS_HEAD = ["measurement", "n", "median", "p90", "min", "max"] as const;

/** One row under STATS_HEAD: the label, n, then median, p90, min and max through `format`. */
export function statsRow(
  label: string,
  s: Stats | null,
  format: (x: number) => string = (x) => fmt(x),
): string[] {
  if (s === null) return [label, "0", "–", "–", "–", "–"];
  return [label, String(s.n), format(s.median), format(s.p90), format(s.min), format(s.max)];
}

/** A table of statistics rows under STATS_HEAD. */
export function statsTable(
  rows: readonly (readonly [string, Stats | null])[],
  format?: (x: number) => string,
): string {
  return table(
    STATS_HEAD,
    rows.map(([label, s]) => statsRow(label, s, format)),
  );
}
