/**
 * Every job's output, kept in SQLite. The worker writes a job's output to the
 * job's Valkey stream, which carries it live and holds only its recent part;
 * the api copies each stream here as it grows (output-copier.ts), and readers
 * take what is copied from here. Entries keep their stream ids, so a reader's
 * cursor names the same entry here and in Valkey. Each entry copied is also
 * split into lines (lines.ts), stored in job_lines and the full-text index in
 * the same transaction.
 */
import type { Database } from "bun:sqlite";
import { limitOf } from "../db/database.ts";
import { flushTails, indexedText, type LineTails, noTails, type OutputLine, splitChunk } from "./lines.ts";
import type { OutputStream } from "./queue.ts";
import type { JobOutput } from "./schemas.ts";

/** One entry of a job's output stream, as copied. */
export interface CopiedEntry {
  /** The stream id, `<ms>-<seq>`. */
  id: string;
  stream: OutputStream;
  text: string;
}

/** A job whose output is not all copied yet. */
export interface UncopiedJob {
  id: string;
  /** Whether the job had ended when asked: then its stream grows no more. */
  ended: boolean;
  /** The last entry copied, or "0" before the first (an XREAD cursor). */
  copied: string;
}

type OutputRow = { entry: string; stream: OutputStream; text: string };

const ID_HALF_DIGITS = 20;

/** A line's key in the full-text index: its job's seq times this, plus its n (migration 9). */
export const LINE_KEY_SPAN = 2 ** 28;

/** Chunks of runs copied before lines were kept split per call of `splitPending`, in one transaction. */
const PENDING_BATCH = 100;

type LineRow = { seq: number; line_count: number; lines_pending: 0 | 1; lines_split: string };
type TailRow = { stream: OutputStream; head: string; chars: number; bytes: number; cr: 0 | 1 };

/** Where a job's lines stand: its seq, the next line's n, each stream's tail. */
interface LineState {
  seq: number;
  count: number;
  /** Whether older chunks of the run still wait to be split (splitPending), and the last one split. */
  pending: boolean;
  split: string;
  tails: LineTails;
  /** Each tail's length in characters as stored: what changed is written back. */
  storedChars: Record<OutputStream, number>;
}

/**
 * A stream id (`<ms>-<seq>`, or "0" for the beginning) in the stored form:
 * both halves zero-padded, so text order is stream order.
 */
export function storedEntry(id: string): string {
  const [ms, seq] = id.split("-");
  if (ms === undefined || seq === undefined) return "";
  return `${ms.padStart(ID_HALF_DIGITS, "0")}-${seq.padStart(ID_HALF_DIGITS, "0")}`;
}

/** The stream id of a stored entry; "0" for the empty one. */
export function streamId(entry: string): string {
  if (entry === "") return "0";
  return entry.replace(/^0+(?=\d)/, "").replace(/-0+(?=\d)/, "-");
}

export class OutputStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Jobs that have left the queue and whose output is not all copied, oldest first. */
  uncopied(): UncopiedJob[] {
    return this.#db
      .query<{ id: string; status: string; output_copied: string }, []>(
        `SELECT id, status, output_copied FROM jobs
         WHERE output_complete = 0 AND status != 'queued' ORDER BY created_at, id`,
      )
      .all()
      .map((row) => ({ id: row.id, ended: row.status !== "running", copied: streamId(row.output_copied) }));
  }

  /**
   * Adds entries copied from the job's stream and moves its copied mark to
   * `last`, in one transaction; `complete` once the stream holds nothing more.
   * Entries already copied are left as they are.
   */
  add(id: string, entries: readonly CopiedEntry[], last: string, complete: boolean): void {
    const insert = this.#db.query<never, [string, string, string, string]>(
      "INSERT OR IGNORE INTO job_output (job_id, entry, stream, text) VALUES (?1, ?2, ?3, ?4)",
    );
    this.#db.transaction(() => {
      const lines = this.#lines(id);
      // Only what is inserted counts: an entry copied before is ignored.
      let bytes = 0;
      const ended: OutputLine[] = [];
      for (const entry of entries) {
        if (insert.run(id, storedEntry(entry.id), entry.stream, entry.text).changes === 0) continue;
        bytes += Buffer.byteLength(entry.text);
        // A run whose older chunks wait to be split: these wait behind them (splitPending).
        if (!lines.pending) splitChunk(lines.tails, entry.stream, entry.text, ended);
      }
      if (complete && !lines.pending) flushTails(lines.tails, ended);
      this.#storeLines(id, lines, ended);
      this.#db
        .query<never, { id: string; copied: string; complete: 0 | 1; bytes: number }>(
          `UPDATE jobs SET output_copied = max(output_copied, $copied),
                           output_complete = max(output_complete, $complete),
                           output_bytes = output_bytes + $bytes
           WHERE id = $id`,
        )
        .run({ id, copied: storedEntry(last), complete: complete ? 1 : 0, bytes });
    })();
  }

  /**
   * Splits into lines the next chunks of the oldest run copied before lines
   * were kept (migration 9), at most `limit`, in one transaction; how many it
   * split (0: none is left). Once a run's chunks are all split it is an
   * ordinary run: `add` splits what comes next.
   */
  splitPending(limit = PENDING_BATCH): number {
    const job = this.#db
      .query<{ id: string }, []>(
        "SELECT id FROM jobs WHERE lines_pending = 1 ORDER BY created_at, id LIMIT 1",
      )
      .get();
    if (job === null) return 0;
    const { id } = job;
    let split = 0;
    this.#db.transaction(() => {
      const lines = this.#lines(id);
      const chunks = this.#db
        .query<OutputRow, [string, string, number]>(
          `SELECT entry, stream, text FROM job_output WHERE job_id = ?1 AND entry > ?2 ORDER BY entry LIMIT ${limitOf("?3")}`,
        )
        .all(id, lines.split, limit);
      const ended: OutputLine[] = [];
      for (const chunk of chunks) splitChunk(lines.tails, chunk.stream, chunk.text, ended);
      const caughtUp = chunks.length < limit;
      const complete =
        this.#db.query<{ c: 0 | 1 }, [string]>("SELECT output_complete AS c FROM jobs WHERE id = ?1").get(id)
          ?.c === 1;
      if (caughtUp && complete) flushTails(lines.tails, ended);
      this.#storeLines(id, lines, ended);
      this.#db
        .query<never, [string, 0 | 1, string]>(
          "UPDATE jobs SET lines_split = ?1, lines_pending = ?2 WHERE id = ?3",
        )
        .run(chunks.at(-1)?.entry ?? lines.split, caughtUp ? 0 : 1, id);
      split = Math.max(1, chunks.length);
    })();
    return split;
  }

  /** Where the job's lines stand, its tails as stored. */
  #lines(id: string): LineState {
    const state = this.#db
      .query<LineRow, [string]>("SELECT seq, line_count, lines_pending, lines_split FROM jobs WHERE id = ?1")
      .get(id);
    const lines: LineState = {
      seq: state?.seq ?? 0,
      count: state?.line_count ?? 0,
      pending: state?.lines_pending === 1,
      split: state?.lines_split ?? "",
      tails: noTails(),
      storedChars: { stdout: 0, stderr: 0 },
    };
    for (const row of this.#db
      .query<TailRow, [string]>("SELECT stream, head, chars, bytes, cr FROM job_line_tails WHERE job_id = ?1")
      .all(id)) {
      lines.tails[row.stream] = { head: row.head, chars: row.chars, bytes: row.bytes, cr: row.cr === 1 };
      lines.storedChars[row.stream] = row.chars;
    }
    return lines;
  }

  /** Stores ended lines, the job's line count, and each tail that changed. */
  #storeLines(id: string, lines: LineState, ended: readonly OutputLine[]): void {
    this.#insertLines(id, lines, ended);
    this.#db
      .query<never, [number, string]>("UPDATE jobs SET line_count = ?1 WHERE id = ?2")
      .run(lines.count, id);
    const upsert = this.#db.query<never, [string, string, string, number, number, 0 | 1]>(
      `INSERT INTO job_line_tails (job_id, stream, head, chars, bytes, cr) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
       ON CONFLICT (job_id, stream) DO UPDATE
         SET head = excluded.head, chars = excluded.chars, bytes = excluded.bytes, cr = excluded.cr`,
    );
    const remove = this.#db.query<never, [string, string]>(
      "DELETE FROM job_line_tails WHERE job_id = ?1 AND stream = ?2",
    );
    for (const stream of ["stdout", "stderr"] as const) {
      const tail = lines.tails[stream];
      // A tail only grows until its line ends: the same length is the same tail.
      if (tail.chars === lines.storedChars[stream] && ended.every((line) => line.stream !== stream)) continue;
      if (tail.chars === 0) remove.run(id, stream);
      else upsert.run(id, stream, tail.head, tail.chars, tail.bytes, tail.cr ? 1 : 0);
    }
  }

  #insertLines(id: string, lines: { seq: number; count: number }, ended: readonly OutputLine[]): void {
    if (ended.length === 0) return;
    const line = this.#db.query<never, [string, number, string, string, number]>(
      "INSERT INTO job_lines (job_id, n, stream, text, bytes) VALUES (?1, ?2, ?3, ?4, ?5)",
    );
    const word = this.#db.query<never, [number, string]>(
      "INSERT INTO job_lines_fts (rowid, text) VALUES (?1, ?2)",
    );
    const base = lines.seq * LINE_KEY_SPAN;
    for (const { stream, text, bytes } of ended) {
      line.run(id, lines.count, stream, text, bytes);
      word.run(base + lines.count, indexedText(text));
      lines.count += 1;
    }
  }

  /**
   * What is copied after `after`, at most `limit` entries, with adjacent
   * chunks of one stream joined. Null when nothing copied follows `after` and
   * the job's output is not complete: what follows, if anything, is in Valkey.
   */
  read(id: string, after: string, limit: number): JobOutput | null {
    const complete =
      this.#db
        .query<{ output_complete: 0 | 1 }, { id: string }>("SELECT output_complete FROM jobs WHERE id = $id")
        .get({ id })?.output_complete === 1;
    // One row more than asked tells whether more follow.
    const rows = this.#db
      .query<OutputRow, { id: string; after: string; limit: number }>(
        `SELECT entry, stream, text FROM job_output WHERE job_id = $id AND entry > $after
         ORDER BY entry LIMIT ${limitOf("$limit")}`,
      )
      .all({ id, after: storedEntry(after), limit: limit + 1 });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    if (last === undefined) return complete ? { chunks: [], cursor: after, end: true } : null;
    return {
      chunks: joinChunks(page),
      cursor: streamId(last.entry),
      end: complete && rows.length <= limit,
    };
  }
}

/** Output pieces in order, with neighbours of one stream joined into one chunk. */
export function joinChunks(pieces: Iterable<{ stream: OutputStream; text: string }>): JobOutput["chunks"] {
  const chunks: JobOutput["chunks"] = [];
  for (const { stream, text } of pieces) {
    const previous = chunks.at(-1);
    if (previous?.stream === stream) previous.text += text;
    else chunks.push({ stream, text });
  }
  return chunks;
}
