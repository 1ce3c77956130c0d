/**
 * Starting a job's command: `sh -c <command>` in its own session and process
 * group, in the user's home directory, with no stdin and piped output.
 *
 * On Linux, when util-linux's `setpriv` can, the group's leader is a small
 * shell (JOB_LEADER) that gets SIGTERM when the worker dies
 * (PR_SET_PDEATHSIG) and then SIGKILLs the whole group: a SIGKILLed worker,
 * or a SIGKILLed shell whose worker dies with it, leaves no job process
 * behind, however many the command started. A SIGTERM sent while the worker
 * lives (Cancel, or the worker stopping) is the command's to handle; the
 * leader waits for it and exits as it did (re-raising the signal that ended
 * it). Elsewhere the command leads its group and the next worker cleans up.
 */
import { statSync } from "node:fs";
import { homedir } from "node:os";
import type { Subprocess } from "bun";
import { JOB_ID_VARIABLE, jobEnvironment } from "./job-env.ts";
import { processStartTime } from "./process-group.ts";

export type JobProcess = Subprocess<"ignore", "pipe", "pipe">;

/** A typed failure to start a job's command at all (no shell, no home directory, …). */
export class JobSpawnError extends Error {
  override readonly name = "JobSpawnError";

  constructor(
    message: string,
    readonly failure: "working-directory-missing" | "spawn-failed" = "spawn-failed",
  ) {
    super(message);
  }
}

export interface SpawnedJob {
  process: JobProcess;
  pid: number;
  /** Its group's id, which is its pid: it leads a new session. */
  pgid: number;
  /** From /proc on Linux (to tell it from a later process with its pid), else null. */
  startTime: string | null;
}

/**
 * `sh -c JOB_LEADER runbook-job <command> <worker pid>`: runs the command in
 * the background of its own group and waits for it. Its TERM trap tells a
 * dead worker (this shell re-parented) from a live one's signal by reading
 * its parent from /proc. The trap is set, and the parent checked, before the
 * command starts, so a worker dying at any moment is noticed. A `wait` cut
 * short by the trap is waited again (the shell keeps the child's status even
 * when it reaped it meanwhile), so the command's own exit code is kept.
 */
export const JOB_LEADER = `worker=$2
trap 'interrupted=1; read -r _ _ _ parent _ </proc/$$/stat; [ "$parent" = "$worker" ] || kill -KILL 0' TERM
read -r _ _ _ parent _ </proc/$$/stat
[ "$parent" = "$worker" ] || exit 125
sh -c "$1" &
child=$!
while :; do
  interrupted=
  wait "$child"
  code=$?
  [ -n "$interrupted" ] || break
done
if [ "$code" -gt 128 ]; then
  trap - TERM
  kill -s "$(kill -l "$code")" $$
fi
exit "$code"`;

/**
 * The prefix that makes a job's group die with its worker, or none where that
 * is not possible. Asynchronous: the probe runs beside the worker's start
 * (its heartbeat, hence its readiness), not in front of it.
 */
export async function findDeathSignalPrefix(): Promise<string[]> {
  if (process.platform !== "linux") return [];
  const setpriv = Bun.which("setpriv");
  if (setpriv === null) return [];
  const prefix = [setpriv, "--pdeathsig", "TERM"];
  // Old util-linux lacks --pdeathsig; an unprivileged one may be restricted.
  try {
    const probe = Bun.spawn([...prefix, "true"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    return (await probe.exited) === 0 ? prefix : [];
  } catch {
    return [];
  }
}

export interface SpawnOptions {
  jobId: string;
  command: string;
  /** From findDeathSignalPrefix(), found once per worker. */
  deathSignalPrefix: readonly string[];
  /** The worker's environment, which the job gets without its secrets. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where it runs; absent: the home directory. */
  cwd?: string | undefined;
  /** Added to its environment (a template run's parameters). */
  extraEnv?: Readonly<Record<string, string>> | undefined;
}

export function spawnJob(options: SpawnOptions): SpawnedJob {
  const cwd = options.cwd ?? homedir();
  // Checked here: a missing cwd would otherwise look like the command failing.
  if (!isDirectory(cwd)) {
    throw new JobSpawnError(
      options.cwd === undefined
        ? `could not start the command: no home directory ${cwd}`
        : `could not start the command: the working directory ${cwd} does not exist`,
      options.cwd === undefined ? "spawn-failed" : "working-directory-missing",
    );
  }
  let child: JobProcess;
  try {
    const argv =
      options.deathSignalPrefix.length > 0
        ? [
            ...options.deathSignalPrefix,
            "sh",
            "-c",
            JOB_LEADER,
            "runbook-job",
            options.command,
            String(process.pid),
          ]
        : ["sh", "-c", options.command];
    child = Bun.spawn(argv, {
      cwd,
      env: {
        ...jobEnvironment(options.env ?? process.env, options.jobId),
        ...options.extraEnv,
        [JOB_ID_VARIABLE]: options.jobId,
      },
      // setsid(): a session and process group of its own, apart from the worker's.
      detached: true,
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
  } catch (error) {
    throw new JobSpawnError(`could not start the command: ${error instanceof Error ? error.message : error}`);
  }
  return { process: child, pid: child.pid, pgid: child.pid, startTime: processStartTime(child.pid) };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
