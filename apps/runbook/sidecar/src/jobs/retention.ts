/**
 * Retention: the api prunes the oldest ended runs, jobs and their output,
 * once they are older than RUNBOOK_RETENTION_DAYS or while the output kept
 * exceeds RUNBOOK_RETENTION_MAX_BYTES. Every RETENTION_INTERVAL_MS, in
 * batches of at most RETENTION_BATCH_ROWS rows per transaction, yielding to
 * requests between batches.
 */
import { setImmediate } from "node:timers/promises";
import { type EnvSource, log } from "@convoy/sidecar-runtime";
import { pause } from "../roles/role.ts";
import { type IntegerSetting, readIntegerSetting } from "../settings.ts";
import type { RetentionStore } from "./retention-store.ts";

/** `RUNBOOK_RETENTION_DAYS`: ended runs older than this many days are pruned. */
export const RETENTION_DAYS: IntegerSetting = {
  variable: "RUNBOOK_RETENTION_DAYS",
  fallback: 30,
  min: 1,
  max: 36_500,
};

/** `RUNBOOK_RETENTION_MAX_BYTES`: while the output kept exceeds this, the oldest ended runs are pruned. */
export const RETENTION_MAX_BYTES: IntegerSetting = {
  variable: "RUNBOOK_RETENTION_MAX_BYTES",
  fallback: 1024 * 1024 * 1024,
  min: 1024 * 1024,
  max: 2 ** 50,
};

export const RETENTION_INTERVAL_MS = 60_000;
/** Rows per transaction: a batch takes a few milliseconds, so requests wait no longer. */
export const RETENTION_BATCH_ROWS = 500;

export interface RetentionPolicy {
  maxAgeMs: number;
  maxBytes: number;
}

export function readRetentionPolicy(source: EnvSource = process.env): RetentionPolicy {
  return {
    maxAgeMs: readIntegerSetting(RETENTION_DAYS, source) * 24 * 3600 * 1000,
    maxBytes: readIntegerSetting(RETENTION_MAX_BYTES, source),
  };
}

/** What one pass pruned. */
export interface RetentionPass {
  jobs: string[];
  bytes: number;
  batches: number;
}

/** One pass: batch after batch until nothing more is due, yielding between them. */
export async function pruneRuns(
  store: RetentionStore,
  policy: RetentionPolicy,
  { now = new Date(), batchRows = RETENTION_BATCH_ROWS } = {},
): Promise<RetentionPass> {
  const bounds = {
    endedBefore: new Date(now.getTime() - policy.maxAgeMs).toISOString(),
    maxBytes: policy.maxBytes,
  };
  const pass: RetentionPass = { jobs: [], bytes: 0, batches: 0 };
  for (;;) {
    const batch = store.pruneBatch(bounds, batchRows);
    pass.batches += 1;
    pass.jobs.push(...batch.jobs);
    pass.bytes += batch.bytes;
    if (batch.rows < batchRows) return pass;
    // Requests that arrived meanwhile run before the next batch.
    await setImmediate();
  }
}

/** Prunes every `intervalMs` until `signal` aborts; calls `pruned` after a pass that pruned jobs. */
export async function runRetention(
  store: RetentionStore,
  policy: RetentionPolicy,
  signal: AbortSignal,
  pruned: (jobs: readonly string[]) => void,
  intervalMs = RETENTION_INTERVAL_MS,
): Promise<void> {
  while (!signal.aborted) {
    const started = performance.now();
    try {
      const pass = await pruneRuns(store, policy);
      if (pass.jobs.length > 0) {
        log.info("pruned ended runs", {
          jobs: pass.jobs.length,
          bytes: pass.bytes,
          batches: pass.batches,
          ms: Math.round(performance.now() - started),
        });
        pruned(pass.jobs);
      }
    } catch (error) {
      // E.g. SQLITE_BUSY past the busy timeout: the next pass tries again.
      log.warn("ended runs not pruned", { error: error instanceof Error ? error.message : String(error) });
    }
    await pause(intervalMs, signal);
  }
}
