/**
 * The sidecar executable: `runbook-sidecar <role>`. Owns the process: picks the
 * role, turns SIGTERM/SIGINT and a closed stdin into a graceful stop, and maps
 * every failure to one line on stderr and a documented exit code.
 */
import {
  EnvError,
  ExitCode,
  log,
  PortInUseError,
  readSidecarEnv,
  ValkeyAuthError,
  watchStdin,
} from "@convoy/sidecar-runtime";
import { DatabaseError } from "./db/errors.ts";
import type { Role } from "./roles/role.ts";
import { startupMark } from "./roles/startup-marks.ts";

// A new role is a file in roles/ and a line here. Each is imported only when
// it is the one to run: the executable has three roles, and evaluating the
// others' modules (the api's zod schemas and routes, the worker's runner) is
// start-up time and memory a role does not need.
const ROLES = new Map<string, () => Promise<Role>>([
  ["api", async () => (await import("./roles/api.ts")).runApi],
  ["migrate", async () => (await import("./roles/migrate.ts")).runMigrate],
  ["worker", async () => (await import("./roles/worker.ts")).runWorker],
]);

/** How long a role may take to stop before the process exits anyway. */
const STOP_GRACE_MS = 5000;

async function main(args: readonly string[]): Promise<number> {
  startupMark("entry point loaded");
  const roleName = args[0];
  const loadRole = roleName === undefined ? undefined : ROLES.get(roleName);
  if (loadRole === undefined) {
    const problem = roleName === undefined ? "missing role" : `unknown role ${JSON.stringify(roleName)}`;
    process.stderr.write(`usage: runbook-sidecar <${[...ROLES.keys()].join("|")}> (${problem})\n`);
    return ExitCode.usage;
  }

  const stop = new AbortController();
  stop.signal.addEventListener("abort", () => exitIfStillRunningAfter(STOP_GRACE_MS), { once: true });
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => stop.abort());

  try {
    if (readSidecarEnv().stdinWatchdog) {
      void watchStdin(() => {
        log.info("stdin closed; the shell is gone, stopping");
        stop.abort();
      });
    }
    const role = await loadRole();
    startupMark("role loaded");
    await role({ signal: stop.signal });
    return ExitCode.ok;
  } catch (error) {
    return reportFailure(error);
  }
}

/** A role that ignores a stop request must not hold the process, nor pass for a success. */
function exitIfStillRunningAfter(ms: number): void {
  setTimeout(() => {
    log.error(`did not stop within ${ms} ms of being asked to; exiting`);
    process.exit(ExitCode.unexpected);
  }, ms).unref();
}

function reportFailure(error: unknown): number {
  if (error instanceof EnvError) {
    log.error(error.message);
    return ExitCode.usage;
  }
  // A wrong Valkey password is an environment the shell got wrong too. The
  // connection has logged it already.
  if (error instanceof ValkeyAuthError) return ExitCode.usage;
  if (error instanceof PortInUseError) {
    log.error(error.message);
    return ExitCode.portInUse;
  }
  if (error instanceof DatabaseError) {
    log.error(error.message);
    return ExitCode.database;
  }
  log.error(`unexpected error: ${error instanceof Error ? error.message : String(error)}`, {
    stack: error instanceof Error ? error.stack : undefined,
  });
  return ExitCode.unexpected;
}

process.exit(await main(process.argv.slice(2)));
