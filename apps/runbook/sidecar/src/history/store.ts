/**
 * Reading the history: a run's lines by number, and full-text search over
 * every run's lines (job_lines and job_lines_fts, migration 9). A line's key
 * in the index is its run's seq × LINE_KEY_SPAN + its n, so one run's lines
 * are one key range and runs newest first are keys in descending order.
 */
import type { Database } from "bun:sqlite";
import { limitOf } from "../db/database.ts";
import { INDEXED_CHARS } from "../jobs/lines.ts";
import { LINE_KEY_SPAN } from "../jobs/output-store.ts";
import type { Job, JobFilters } from "../jobs/schemas.ts";
import type { JobStore } from "../jobs/store.ts";
import { clipUtf8 } from "../jobs/utf8.ts";
import { matchRanges, type SearchTerms, snippet } from "./query.ts";
import { type JobLines, LINES_PER_RUN, MAX_LINE_BYTES, type SearchLine, SNIPPET_CHARS } from "./schemas.ts";

type LineRow = { n: number; stream: "stdout" | "stderr"; text: string; bytes: number };
type JobLineState = {
  line_count: number;
  output_complete: 0 | 1;
  lines_pending: 0 | 1;
  status: Job["status"];
  output_dropped_bytes: number;
  seq: number;
};

export interface SearchHit {
  job: Job;
  lines: SearchLine[];
  more: number;
}

const ENDED = new Set<Job["status"]>(["succeeded", "failed", "cancelled", "interrupted"]);

export class HistoryStore {
  readonly #db: Database;
  readonly #jobs: JobStore;

  constructor(db: Database, jobs: JobStore) {
    this.#db = db;
    this.#jobs = jobs;
  }

  #state(id: string): JobLineState | null {
    return this.#db
      .query<JobLineState, [string]>(
        `SELECT line_count, output_complete, lines_pending, status, output_dropped_bytes, seq
         FROM jobs WHERE id = ?1`,
      )
      .get(id);
  }

  /** `count` lines of the run from line `from`; null when there is no such run. */
  lines(id: string, from: number, count: number): JobLines | null {
    const state = this.#state(id);
    if (state === null) return null;
    // A line is read whole only when short: a long one is cut in SQL, in characters (at least as many as bytes).
    const rows = this.#db
      .query<LineRow, [string, number, number, number]>(
        `SELECT n, stream, CASE WHEN bytes > ?4 THEN substr(text, 1, ?4) ELSE text END AS text, bytes
         FROM job_lines WHERE job_id = ?1 AND n >= ?2 ORDER BY n LIMIT ${limitOf("?3")}`,
      )
      .all(id, from, count, MAX_LINE_BYTES);
    return {
      lines: rows.map((row) =>
        row.bytes > MAX_LINE_BYTES
          ? { n: row.n, stream: row.stream, text: clipUtf8(row.text, MAX_LINE_BYTES), clipped: row.bytes }
          : { n: row.n, stream: row.stream, text: row.text },
      ),
      total: state.line_count,
      complete: ENDED.has(state.status) && state.output_complete === 1 && state.lines_pending === 0,
      truncated: state.output_dropped_bytes > 0,
    };
  }

  /**
   * Runs with a line matching every term, newest first, below `belowSeq`:
   * at most `limit`, and whether more follow. Leapfrogs between the index
   * (the newest matching run below a seq) and the filtered runs (the newest
   * one at or below a seq), so each step skips a run either side refuses.
   */
  search(
    terms: SearchTerms,
    filters: JobFilters,
    belowSeq: number | null,
    limit: number,
  ): { hits: SearchHit[]; next: number | null } {
    const filtered = Object.values(filters).some((value) => value !== undefined);
    const top =
      (this.#db.query<{ seq: number | null }, []>("SELECT max(seq) AS seq FROM jobs").get()?.seq ?? 0) + 1;
    let below = Math.min(belowSeq ?? top, top);
    const allowed = filtered ? this.#jobs.seqs(filters, below) : [];
    const found: number[] = [];
    while (found.length <= limit && below > 1) {
      if (filtered) {
        // The newest run the filters let through: does it match?
        const candidate = atOrBelow(allowed, below - 1);
        if (candidate === null) break;
        if (this.#firstMatch(terms, candidate, candidate + 1) !== null) {
          found.push(candidate);
          below = candidate;
          continue;
        }
        below = candidate;
      }
      const seq = this.#newestMatch(terms, below);
      if (seq === null) break;
      if (!filtered) found.push(seq);
      // Filtered: the next round asks whether the newest allowed run at or below it matches.
      below = filtered ? seq + 1 : seq;
    }
    const hits: SearchHit[] = [];
    for (const seq of found.slice(0, limit)) {
      const job = this.#jobs.bySeq(seq);
      if (job !== null) hits.push({ job, ...this.#matchingLines(job.id, seq, terms) });
    }
    return { hits, next: found.length > limit ? (found[limit - 1] ?? null) : null };
  }

  /**
   * The seq of the oldest run in [from, to) with a matching line, or null.
   * Ascending from a lower bound is what FTS5 seeks cheaply in a long doclist;
   * descending makes it read the doclist whole, milliseconds for a common word.
   */
  #firstMatch(terms: SearchTerms, from: number, to: number): number | null {
    const row = this.#db
      .query<{ rowid: number }, [string, number, number]>(
        "SELECT rowid FROM job_lines_fts WHERE job_lines_fts MATCH ?1 AND rowid >= ?2 AND rowid < ?3 LIMIT 1",
      )
      .get(terms.match, from * LINE_KEY_SPAN, to * LINE_KEY_SPAN);
    return row === null ? null : Math.floor(row.rowid / LINE_KEY_SPAN);
  }

  /**
   * The newest run below `below` with a matching line, or null: ranges
   * doubling downwards until one holds a match, then halving it, each step
   * one ascending lookup; a common word's newest run is found in one.
   */
  #newestMatch(terms: SearchTerms, below: number): number | null {
    let high = below;
    let low = below;
    let first: number | null = null;
    for (let step = 1; first === null; step *= 2) {
      if (high <= 1) return null;
      low = Math.max(1, high - step);
      first = this.#firstMatch(terms, low, high);
      if (first === null) high = low;
    }
    // A match at `first`; the newest in [first, high) is wanted.
    low = first;
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      const upper = this.#firstMatch(terms, middle, high);
      if (upper === null) high = middle;
      else low = upper;
    }
    return low;
  }

  #matchingLines(id: string, seq: number, terms: SearchTerms): { lines: SearchLine[]; more: number } {
    const low = seq * LINE_KEY_SPAN;
    const high = low + LINE_KEY_SPAN;
    const keys = this.#db
      .query<{ rowid: number }, [string, number, number, number]>(
        `SELECT rowid FROM job_lines_fts WHERE job_lines_fts MATCH ?1 AND rowid >= ?2 AND rowid < ?3
         ORDER BY rowid LIMIT ${limitOf("?4")}`,
      )
      .all(terms.match, low, high, LINES_PER_RUN);
    const total = keys.length < LINES_PER_RUN ? keys.length : this.#count(terms, low, high);
    // Matches are marked where the index found them: within a line's first INDEXED_CHARS.
    const line = this.#db.query<LineRow, [string, number, number]>(
      "SELECT n, stream, substr(text, 1, ?3) AS text, bytes FROM job_lines WHERE job_id = ?1 AND n = ?2",
    );
    const lines: SearchLine[] = [];
    for (const { rowid } of keys) {
      const row = line.get(id, rowid - low, INDEXED_CHARS);
      if (row === null) continue;
      const cut = snippet(row.text, matchRanges(row.text, terms.terms), SNIPPET_CHARS);
      lines.push({ n: row.n, stream: row.stream, text: cut.text, ranges: cut.ranges });
    }
    return { lines, more: Math.max(0, total - lines.length) };
  }

  #count(terms: SearchTerms, low: number, high: number): number {
    return (
      this.#db
        .query<{ n: number }, [string, number, number]>(
          "SELECT count(*) AS n FROM job_lines_fts WHERE job_lines_fts MATCH ?1 AND rowid >= ?2 AND rowid < ?3",
        )
        .get(terms.match, low, high)?.n ?? 0
    );
  }

  /**
   * The run's next matching line after `from` (or its first), or its
   * previous one before `from` (or its last), and how many lines match in
   * all; null when there is no such run.
   */
  searchJob(
    id: string,
    terms: SearchTerms,
    from: number | undefined,
    direction: "next" | "prev",
  ): { n: number | null; count: number } | null {
    const state = this.#state(id);
    if (state === null) return null;
    const low = state.seq * LINE_KEY_SPAN;
    const high = low + LINE_KEY_SPAN;
    const row =
      direction === "next"
        ? this.#db
            .query<{ rowid: number }, [string, number, number]>(
              `SELECT rowid FROM job_lines_fts WHERE job_lines_fts MATCH ?1 AND rowid >= ?2 AND rowid < ?3
               ORDER BY rowid LIMIT 1`,
            )
            .get(terms.match, from === undefined ? low : low + from + 1, high)
        : this.#db
            .query<{ rowid: number }, [string, number, number]>(
              `SELECT rowid FROM job_lines_fts WHERE job_lines_fts MATCH ?1 AND rowid >= ?2 AND rowid < ?3
               ORDER BY rowid DESC LIMIT 1`,
            )
            .get(terms.match, low, from === undefined ? high : low + Math.min(from, LINE_KEY_SPAN));
    return { n: row === null ? null : row.rowid - low, count: this.#count(terms, low, high) };
  }
}

/** The largest of `seqs` (descending) at or below `seq`; null when none is. */
function atOrBelow(seqs: readonly number[], seq: number): number | null {
  let lo = 0;
  let hi = seqs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((seqs[mid] ?? 0) > seq) lo = mid + 1;
    else hi = mid;
  }
  return seqs[lo] ?? null;
}
