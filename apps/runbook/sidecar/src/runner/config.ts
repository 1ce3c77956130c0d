/**
 * The runner's settings from the worker's environment: concurrency and the
 * bounds of a job's output. The rest are constants here, named for what
 * they bound.
 */
import type { EnvSource } from "@convoy/sidecar-runtime";
import { type IntegerSetting, readIntegerSetting } from "../settings.ts";

/** `RUNBOOK_WORKER_CONCURRENCY`: how many jobs run at once. */
export const CONCURRENCY: IntegerSetting = {
  variable: "RUNBOOK_WORKER_CONCURRENCY",
  fallback: 4,
  min: 1,
  max: 64,
};

/**
 * `RUNBOOK_OUTPUT_BACKLOG_ENTRIES`: most entries of a job's output stream the
 * api has not copied yet (the copier trims what it copied). At it, the worker
 * stops reading the job's pipes, so the job waits instead of its output being
 * lost. 4096 entries of at most 16 KiB: 64 MiB at most per job in Valkey.
 */
export const OUTPUT_BACKLOG: IntegerSetting = {
  variable: "RUNBOOK_OUTPUT_BACKLOG_ENTRIES",
  fallback: 4096,
  min: 1,
  max: 1_000_000,
};

/**
 * `RUNBOOK_OUTPUT_MAX_BYTES`: most bytes of output kept of one run (UTF-8,
 * stdout and stderr together). Past it one truncation notice is kept and the
 * rest is read, counted and dropped; the job runs on to its end.
 */
export const OUTPUT_MAX_BYTES: IntegerSetting = {
  variable: "RUNBOOK_OUTPUT_MAX_BYTES",
  fallback: 64 * 1024 * 1024,
  min: 1024,
  max: 2 ** 40,
};

/** How a job's output is bounded. */
export interface OutputLimits {
  backlogEntries: number;
  maxBytes: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = {
  backlogEntries: OUTPUT_BACKLOG.fallback,
  maxBytes: OUTPUT_MAX_BYTES.fallback,
};

export function readOutputLimits(source: EnvSource = process.env): OutputLimits {
  return {
    backlogEntries: readIntegerSetting(OUTPUT_BACKLOG, source),
    maxBytes: readIntegerSetting(OUTPUT_MAX_BYTES, source),
  };
}

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
/** Under load, a batch of output is written at most this long after its first byte arrived. */
export const OUTPUT_FLUSH_MS = 20;
/**
 * Writes of one pipe that go out at once within OUTPUT_FLUSH_MS; past them
 * the pump batches (at most 400 entries/s per pipe of a chatty job).
 */
export const OUTPUT_BURST_WRITES = 8;
/** Most progress events per job: one per interval, the last value always sent. */
export const PROGRESS_INTERVAL_MS = 100;
/**
 * After a job's leader exited and its group was killed, how long its pipes
 * may take to close; a process that left the group (setsid) may hold them.
 */
export const PIPE_DRAIN_MS = 2000;
/** How long one XREADGROUP blocks waiting for new jobs. */
export const QUEUE_BLOCK_MS = 1000;

/** How often a job held back by its output backlog asks Valkey again whether the api copied some. */
export const OUTPUT_BACKLOG_POLL_MS = 100;

/** `RUNBOOK_WORKER_CONCURRENCY`: how many jobs run at once, 1 to 64 (default 4). */
export function readConcurrency(source: EnvSource = process.env): number {
  return readIntegerSetting(CONCURRENCY, source);
}
