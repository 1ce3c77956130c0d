/**
 * Jobs in SQLite. Rows are snake_case; everything leaving this module is the
 * camelCase wire shape. `db.query` caches each prepared statement.
 */
import type { Database } from "bun:sqlite";
import type { JobCursor } from "./cursor.ts";
import type { Job } from "./schemas.ts";

// A type alias, not an interface, so it can be bound as named SQL parameters.
type JobRow = {
  id: string;
  name: string;
  command: string;
  status: Job["status"];
  exit_code: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
};

export interface JobPage {
  items: Job[];
  /** The last item, when more jobs follow it. */
  next: JobCursor | null;
}

const DEFAULT_NAME_LENGTH = 60;

export class JobStore {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  create(input: { command: string; name?: string | undefined }, now = new Date()): Job {
    const row: JobRow = {
      // UUIDv7 starts with the timestamp, so ids sort in creation order.
      id: Bun.randomUUIDv7(),
      name: input.name ?? defaultName(input.command),
      command: input.command,
      status: "queued",
      exit_code: null,
      created_at: now.toISOString(),
      started_at: null,
      finished_at: null,
    };
    this.#db
      .query<never, JobRow>(
        `INSERT INTO jobs (id, name, command, status, exit_code, created_at, started_at, finished_at)
         VALUES ($id, $name, $command, $status, $exit_code, $created_at, $started_at, $finished_at)`,
      )
      .run(row);
    return toJob(row);
  }

  get(id: string): Job | null {
    const row = this.#db.query<JobRow, { id: string }>("SELECT * FROM jobs WHERE id = $id").get({ id });
    return row ? toJob(row) : null;
  }

  /** Newest first, starting strictly after `after`. */
  page(limit: number, after: JobCursor | null): JobPage {
    // One row more than asked tells whether another page exists.
    const rows = after
      ? this.#db
          .query<JobRow, { createdAt: string; id: string; limit: number }>(
            `SELECT * FROM jobs WHERE (created_at, id) < ($createdAt, $id)
             ORDER BY created_at DESC, id DESC LIMIT $limit`,
          )
          .all({ ...after, limit: limit + 1 })
      : this.#db
          .query<JobRow, { limit: number }>(
            "SELECT * FROM jobs ORDER BY created_at DESC, id DESC LIMIT $limit",
          )
          .all({ limit: limit + 1 });
    const items = rows.slice(0, limit).map(toJob);
    const last = items.at(-1);
    return { items, next: rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null };
  }
}

/** The command's first characters on one line, cut on a code point boundary. */
function defaultName(command: string): string {
  return Array.from(command.replaceAll(/\s+/g, " ")).slice(0, DEFAULT_NAME_LENGTH).join("");
}

function toJob(row: JobRow): Job {
  return {
    id: row.id,
    name: row.name,
    command: row.command,
    status: row.status,
    exitCode: row.exit_code,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
