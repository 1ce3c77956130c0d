/**
 * Process exit codes every Convoy sidecar uses, so the shell's supervisor can
 * tell "retrying will not help" (usage, database) from a crash worth restarting.
 */
export const ExitCode = {
  ok: 0,
  /** Unknown role or invalid environment: a bug in how the shell started us. */
  usage: 2,
  portInUse: 3,
  /** The database was refused (too new, unreadable) or a migration failed. */
  database: 4,
  /** EX_SOFTWARE from sysexits.h: anything we did not anticipate. */
  unexpected: 70,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
