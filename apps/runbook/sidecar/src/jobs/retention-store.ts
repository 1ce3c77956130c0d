/**
 * Retention's SQL: how much output is kept, and deleting the oldest ended
 * runs, their lines (and with each its words in the full-text index, by
 * migration 9's trigger) and output first, a bounded number of rows per transaction so no
 * request waits long behind one. A run is pruned only once it has ended and
 * its output is all copied (the copier touches such a run no more); queued
 * and running jobs never are.
 */
import type { Database } from "bun:sqlite";
import { limitOf } from "../db/database.ts";

/** What one batch deleted. */
export interface PruneBatch {
  /** Rows deleted, line, output and job rows together. */
  rows: number;
  /** Jobs deleted whole. */
  jobs: string[];
  /** Output bytes freed. */
  bytes: number;
}

export interface PruneBounds {
  /** Runs that ended before this (ISO 8601) go. */
  endedBefore: string;
  /** While the output kept exceeds this, the oldest ended runs go, whatever their age. */
  maxBytes: number;
}

// The same text as jobs_ended's WHERE, so SQLite can walk that index.
const ENDED = "status IN ('succeeded', 'failed', 'cancelled', 'interrupted')";

type Candidate = { id: string };

export class RetentionStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** UTF-8 bytes of all output kept. */
  storedBytes(): number {
    return (
      this.#db.query<{ bytes: number | null }, []>("SELECT sum(output_bytes) AS bytes FROM jobs").get()
        ?.bytes ?? 0
    );
  }

  /** Deletes at most `maxRows` rows of the oldest runs `bounds` lets go, in one transaction. */
  pruneBatch(bounds: PruneBounds, maxRows: number): PruneBatch {
    const batch: PruneBatch = { rows: 0, jobs: [], bytes: 0 };
    const oldest = this.#db.query<Candidate, []>(
      `SELECT id FROM jobs WHERE ${ENDED} AND output_complete = 1 ORDER BY finished_at, id LIMIT 1`,
    );
    const oldestBefore = this.#db.query<Candidate, { before: string }>(
      `SELECT id FROM jobs WHERE ${ENDED} AND output_complete = 1 AND finished_at < $before
       ORDER BY finished_at, id LIMIT 1`,
    );
    const deleteLines = this.#db.query<{ n: number }, { id: string; limit: number }>(
      `DELETE FROM job_lines WHERE job_id = $id AND n IN (
         SELECT n FROM job_lines WHERE job_id = $id ORDER BY n LIMIT ${limitOf("$limit")}
       ) RETURNING n`,
    );
    const deleteOutput = this.#db.query<{ bytes: number }, { id: string; limit: number }>(
      `DELETE FROM job_output WHERE job_id = $id AND entry IN (
         SELECT entry FROM job_output WHERE job_id = $id ORDER BY entry LIMIT ${limitOf("$limit")}
       ) RETURNING length(CAST(text AS BLOB)) AS bytes`,
    );
    const lessOutput = this.#db.query<never, { id: string; bytes: number }>(
      "UPDATE jobs SET output_bytes = max(0, output_bytes - $bytes) WHERE id = $id",
    );
    const deleteJob = this.#db.query<{ bytes: number }, { id: string }>(
      "DELETE FROM jobs WHERE id = $id RETURNING output_bytes AS bytes",
    );
    this.#db.transaction(() => {
      let stored = this.storedBytes();
      while (batch.rows < maxRows) {
        const job =
          stored > bounds.maxBytes ? oldest.get() : oldestBefore.get({ before: bounds.endedBefore });
        if (job === null) break;
        const lines = deleteLines.all({ id: job.id, limit: maxRows - batch.rows }).length;
        batch.rows += lines;
        // Perhaps more of its lines are left: the next batch goes on with them.
        if (batch.rows === maxRows) break;
        const limit = maxRows - batch.rows;
        const freed = deleteOutput.all({ id: job.id, limit });
        const bytes = freed.reduce((sum, row) => sum + row.bytes, 0);
        batch.rows += freed.length;
        batch.bytes += bytes;
        stored -= bytes;
        if (freed.length === limit) {
          // Perhaps more of its output is left: the next batch goes on with it.
          lessOutput.run({ id: job.id, bytes });
          break;
        }
        // Its output_bytes still counts what was just freed; only the rest is news.
        const counted = deleteJob.get({ id: job.id })?.bytes ?? 0;
        stored -= Math.max(0, counted - bytes);
        batch.rows += 1;
        batch.jobs.push(job.id);
      }
    })();
    return batch;
  }
}
