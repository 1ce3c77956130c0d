/**
 * Every job's output, kept in SQLite. The worker writes a job's output to the
 * job's Valkey stream, which carries it live and holds only its recent part;
 * the api copies each stream here as it grows (output-copier.ts), and readers
 * take what is copied from here. Entries keep their stream ids, so a reader's
 * cursor names the same entry here and in Valkey.
 */
import type { Database } from "bun:sqlite";
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
    const insert = this.#db.query<never, { id: string; entry: string; stream: string; text: string }>(
      "INSERT OR IGNORE INTO job_output (job_id, entry, stream, text) VALUES ($id, $entry, $stream, $text)",
    );
    this.#db.transaction(() => {
      // Only what is inserted counts: an entry copied before is ignored.
      let bytes = 0;
      for (const entry of entries) {
        const row = { id, entry: storedEntry(entry.id), stream: entry.stream, text: entry.text };
        if (insert.run(row).changes > 0) bytes += Buffer.byteLength(entry.text);
      }
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
         ORDER BY entry LIMIT $limit`,
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
