/**
 * The readiness line: the shell's supervisor watches a sidecar's stdout for a
 * line starting with `convoy:ready` and counts the sidecar as started from then.
 */
export const READY_LINE = "convoy:ready";

/** Prints `convoy:ready <detail>` as one line on stdout; call it once, when ready. */
export function announceReady(detail: string): void {
  process.stdout.write(`${READY_LINE} ${detail}\n`);
}
