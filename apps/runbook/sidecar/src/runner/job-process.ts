/**
 * Starting a job's command: `sh -c <command>` in its own session and process
 * group, in the user's home directory, with no stdin and piped output. On
 * Linux, when util-linux's `setpriv` can, the command also dies with the
 * worker (PR_SET_PDEATHSIG): a SIGKILLed worker gets no chance to stop it.
 * That reaches the group's leader only; the next worker kills the rest.
 */
import { statSync } from "node:fs";
import { homedir } from "node:os";
import type { Subprocess } from "bun";
import { jobEnvironment } from "./job-env.ts";
import { processStartTime } from "./process-group.ts";

export type JobProcess = Subprocess<"ignore", "pipe", "pipe">;

/** A typed failure to start a job's command at all (no shell, no home directory, …). */
export class JobSpawnError extends Error {
  override readonly name = "JobSpawnError";
}

export interface SpawnedJob {
  process: JobProcess;
  pid: number;
  /** Its group's id, which is its pid: it leads a new session. */
  pgid: number;
  /** From /proc on Linux (to tell it from a later process with its pid), else null. */
  startTime: string | null;
}

/** The prefix that makes a command die with its parent, or none where that is not possible. */
export function findDeathSignalPrefix(): string[] {
  if (process.platform !== "linux") return [];
  const setpriv = Bun.which("setpriv");
  if (setpriv === null) return [];
  const prefix = [setpriv, "--pdeathsig", "KILL"];
  // Old util-linux lacks --pdeathsig; an unprivileged one may be restricted.
  try {
    const probe = Bun.spawnSync([...prefix, "true"], { stdin: "ignore", stdout: "ignore", stderr: "ignore" });
    return probe.exitCode === 0 ? prefix : [];
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
}

export function spawnJob(options: SpawnOptions): SpawnedJob {
  const cwd = homedir();
  // Checked here: a missing cwd would otherwise look like the command failing.
  if (!isDirectory(cwd)) throw new JobSpawnError(`could not start the command: no home directory ${cwd}`);
  let child: JobProcess;
  try {
    child = Bun.spawn([...options.deathSignalPrefix, "sh", "-c", options.command], {
      cwd,
      env: jobEnvironment(options.env ?? process.env, options.jobId),
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
