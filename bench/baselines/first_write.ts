/**
 * Writes one line the way the sidecar writes its ready line (`process.stdout.write`)
 * and exits. bench/coldstart.sh runs it under `bun` and compiled: against
 * noop.ts, the price of a process's first write to stdout, which sets up the
 * stream behind `process.stdout` on first use.
 */
process.stdout.write("convoy:ready\n");
