/**
 * The jobs the benchmarks have Runbook run: programs on this Bun, so the
 * measured work is TypeScript too.
 */

/**
 * A one-line shell command printing `lines` lines `t <i> <wall clock in µs>`,
 * `intervalMs` apart, each written at once (a synchronous write to fd 1, no
 * buffer), for a line → screen latency.
 */
export function timedLinesCommand({ lines, intervalMs }: { lines: number; intervalMs: number }): string {
  const program =
    `const { writeSync } = require("node:fs");` +
    `for (let i = 0; i < ${lines}; i++) {` +
    ` writeSync(1, "t " + i + " " + Math.round((performance.timeOrigin + performance.now()) * 1000) + "\\n");` +
    ` Bun.sleepSync(${intervalMs}); }`;
  return `${process.execPath} -e '${program}'`;
}
