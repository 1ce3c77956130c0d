/**
 * The runner's settings from the worker's environment. Only concurrency is
 * configurable; the rest are constants here, named for what they bound.
 */
import { EnvError, type EnvSource } from "@convoy/sidecar-runtime";

export const CONCURRENCY_VARIABLE = "RUNBOOK_WORKER_CONCURRENCY";
export const DEFAULT_CONCURRENCY = 4;
export const MAX_CONCURRENCY = 64;

/** Between SIGTERM to a job's process group and SIGKILL, when cancelling it or stopping. */
export const TERMINATE_GRACE_MS = 3000;
/**
 * How long after being asked to stop the worker keeps retrying its writes to
 * Valkey; past it, what is left unwritten is reported by the next worker (the
 * queue entries stay pending). Below the entry point's 5 s stop limit.
 */
export const ABANDON_WRITES_AFTER_MS = 4000;
/** How often the cancel marks of running jobs are read. */
export const CANCEL_POLL_MS = 100;
/** How often the running-jobs hash is written again, in case Valkey restarted empty. */
export const RUNNING_REASSERT_MS = 2000;
/** A batch of output is written at most this long after its first byte arrived. */
export const OUTPUT_FLUSH_MS = 20;
/** Most progress events per job: one per interval, the last value always sent. */
export const PROGRESS_INTERVAL_MS = 100;
/**
 * After a job's leader exited and its group was killed, how long its pipes
 * may take to close; a process that left the group (setsid) may hold them.
 */
export const PIPE_DRAIN_MS = 2000;
/** How long one XREADGROUP blocks waiting for new jobs. */
export const QUEUE_BLOCK_MS = 1000;

/** `RUNBOOK_WORKER_CONCURRENCY`: how many jobs run at once, 1 to 64 (default 4). */
export function readConcurrency(source: EnvSource = process.env): number {
  const value = source[CONCURRENCY_VARIABLE];
  if (value === undefined || value === "") return DEFAULT_CONCURRENCY;
  const count = /^\d{1,3}$/.test(value) ? Number(value) : Number.NaN;
  if (!(count >= 1 && count <= MAX_CONCURRENCY)) {
    throw new EnvError(
      CONCURRENCY_VARIABLE,
      `must be an integer from 1 to ${MAX_CONCURRENCY} (got ${JSON.stringify(value)})`,
    );
  }
  return count;
}
