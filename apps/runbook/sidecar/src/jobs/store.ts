/**
 * Jobs in SQLite. Rows are snake_case; everything leaving this module is the
 * camelCase wire shape. `db.query` caches each prepared statement.
 */
import type { Database, SQLQueryBindings } from "bun:sqlite";
import { limitOf } from "../db/database.ts";
import type { JobCursor } from "./cursor.ts";
import type { JobEvent, JobFailure, QueuedJob } from "./queue.ts";
import type { Job, JobFilters } from "./schemas.ts";

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
  progress: number | null;
  reason: string | null;
  enqueued: 0 | 1;
  output_dropped_bytes: number;
  template_id: string | null;
  template_version: number | null;
  parameters: string | null;
  secret_parameters: string | null;
  working_directory: string | null;
  environment: string | null;
  timeout_seconds: number | null;
  attempt: number;
  retry_of: string | null;
  retries: number;
  retry_delay_seconds: number;
  not_before: string | null;
  concurrency_limit: number | null;
  failure: JobFailure | null;
  progress_done: number | null;
  progress_total: number | null;
  status_line: string | null;
};

/** What a template's run adds to a job. */
export interface JobRunSpec {
  templateId: string;
  templateVersion: number;
  parameters: Record<string, string | number | boolean | null>;
  secretParameters: string[];
  workingDirectory: string | null;
  /** Added to the job's environment: never a secret's value. */
  environment: Record<string, string>;
  timeoutSeconds: number | null;
  /** How often a failed run is tried again, and after how long. */
  retries: { count: number; delaySeconds: number };
  /** Most runs of the template at once; null: no limit of its own. */
  concurrency: number | null;
}

/** A queued job not sent yet: whether it has secrets to seal, and what limits when it may go. */
export interface UnsentJob extends QueuedJob {
  secretParameters: string[];
  /** The first attempt's id: what its secrets are kept under. */
  runId: string;
  templateId: string | null;
  concurrencyLimit: number | null;
}

/** What applying one event changed, for telling the windows. */
export type JobChange =
  | { id: string; kind: "status" }
  | ({ id: string; kind: "progress" } & Pick<Job, "progress" | "progressSteps" | "statusLine">);

type ReportRow = Pick<JobRow, "progress" | "progress_done" | "progress_total" | "status_line">;

const TERMINAL = "('succeeded', 'failed', 'cancelled', 'interrupted')";

/**
 * What every read of jobs selects: a JobRow, and not the columns other
 * modules keep in the table (the output copier's), which would only cost the
 * list time.
 */
export const JOB_COLUMNS =
  "id, name, command, status, exit_code, created_at, started_at, finished_at, progress, reason, enqueued, " +
  "output_dropped_bytes, template_id, template_version, parameters, secret_parameters, working_directory, " +
  "environment, timeout_seconds, attempt, retry_of, retries, retry_delay_seconds, not_before, concurrency_limit, " +
  "failure, progress_done, progress_total, status_line";
const EVENTS_CURSOR = "job_events_cursor";
/** A new job's seq (migration 9): one more than the newest's. */
const NEXT_SEQ = "(SELECT coalesce(max(seq), 0) + 1 FROM jobs)";

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

  create(
    input: { command: string; name?: string | undefined; run?: JobRunSpec | undefined },
    now = new Date(),
  ): Job {
    const run = input.run;
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
      progress: null,
      reason: null,
      enqueued: 0,
      output_dropped_bytes: 0,
      template_id: run?.templateId ?? null,
      template_version: run?.templateVersion ?? null,
      parameters: run ? JSON.stringify(run.parameters) : null,
      secret_parameters: run && run.secretParameters.length > 0 ? JSON.stringify(run.secretParameters) : null,
      working_directory: run?.workingDirectory ?? null,
      environment: run && Object.keys(run.environment).length > 0 ? JSON.stringify(run.environment) : null,
      timeout_seconds: run?.timeoutSeconds ?? null,
      attempt: 1,
      retry_of: null,
      retries: run?.retries.count ?? 0,
      retry_delay_seconds: run?.retries.delaySeconds ?? 0,
      not_before: null,
      concurrency_limit: run?.concurrency ?? null,
      failure: null,
      progress_done: null,
      progress_total: null,
      status_line: null,
    };
    this.#db
      .query<never, JobRow>(
        `INSERT INTO jobs (${JOB_COLUMNS}, seq)
         VALUES ($id, $name, $command, $status, $exit_code, $created_at, $started_at, $finished_at,
                 $progress, $reason, $enqueued, $output_dropped_bytes, $template_id, $template_version,
                 $parameters, $secret_parameters, $working_directory, $environment, $timeout_seconds,
                 $attempt, $retry_of, $retries, $retry_delay_seconds, $not_before, $concurrency_limit,
                 $failure, $progress_done, $progress_total, $status_line, ${NEXT_SEQ})`,
      )
      .run(row);
    return toJob(row);
  }

  get(id: string): Job | null {
    const row = this.#db
      .query<JobRow, { id: string }>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $id`)
      .get({ id });
    return row ? toJob(row) : null;
  }

  /** Newest first, starting strictly after `after`, only the jobs `filters` let through. */
  page(limit: number, after: JobCursor | null, filters: JobFilters = {}): JobPage {
    const where = filterClause(filters);
    const params: SQLQueryBindings[] = [...where.params];
    if (after) {
      where.terms.push("(created_at, id) < (?, ?)");
      params.push(after.createdAt, after.id);
    }
    // One row more than asked tells whether another page exists.
    params.push(limit + 1);
    const rows = this.#db
      .query<JobRow, SQLQueryBindings[]>(
        `SELECT ${JOB_COLUMNS} FROM jobs ${whereSql(where.terms)} ORDER BY created_at DESC, id DESC LIMIT ${limitOf("?")}`,
      )
      .all(...params);
    const items = rows.slice(0, limit).map(toJob);
    const last = items.at(-1);
    return { items, next: rows.length > limit && last ? { createdAt: last.createdAt, id: last.id } : null };
  }

  /** The seq of every job `filters` let through whose seq is below `below`, newest first. */
  seqs(filters: JobFilters, below: number): number[] {
    const where = filterClause(filters);
    where.terms.push("seq < ?");
    return this.#db
      .query<{ seq: number }, SQLQueryBindings[]>(
        `SELECT seq FROM jobs ${whereSql(where.terms)} ORDER BY seq DESC`,
      )
      .all(...where.params, below)
      .map((row) => row.seq);
  }

  bySeq(seq: number): Job | null {
    const row = this.#db.query<JobRow, [number]>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE seq = ?1`).get(seq);
    return row ? toJob(row) : null;
  }

  /** Queued jobs not yet sent to Valkey's queue whose time has come, oldest first. */
  unsent(limit: number, now = new Date()): UnsentJob[] {
    return this.#db
      .query<JobRow, { limit: number; now: string }>(
        `SELECT ${JOB_COLUMNS} FROM jobs WHERE status = 'queued' AND enqueued = 0
           AND (not_before IS NULL OR not_before <= $now)
         ORDER BY created_at, id LIMIT ${limitOf("$limit")}`,
      )
      .all({ limit, now: now.toISOString() })
      .map((row) => ({
        id: row.id,
        command: row.command,
        cwd: row.working_directory ?? undefined,
        env: row.environment === null ? undefined : (JSON.parse(row.environment) as Record<string, string>),
        timeoutSeconds: row.timeout_seconds ?? undefined,
        secretParameters: parseNames(row.secret_parameters),
        runId: row.retry_of ?? row.id,
        templateId: row.template_id,
        concurrencyLimit: row.concurrency_limit,
      }));
  }

  /** How many of the template's runs are sent to the worker or running. */
  activeRuns(templateId: string): number {
    const row = this.#db
      .query<{ n: number }, { templateId: string }>(
        `SELECT count(*) AS n FROM jobs WHERE template_id = $templateId
           AND (status = 'running' OR (status = 'queued' AND enqueued = 1))`,
      )
      .get({ templateId });
    return row?.n ?? 0;
  }

  /** Whether every attempt of the run whose first attempt is `runId` has ended. */
  runEnded(runId: string): boolean {
    const row = this.#db
      .query<{ n: number }, { runId: string }>(
        `SELECT count(*) AS n FROM jobs WHERE (id = $runId OR retry_of = $runId)
           AND status NOT IN ${TERMINAL}`,
      )
      .get({ runId });
    return (row?.n ?? 0) === 0;
  }

  /** Ends a job that has not started as failed, saying why; null when it is not queued (any more). */
  failQueued(id: string, reason: string, failure: JobFailure, now = new Date()): Job | null {
    const row = this.#db
      .query<JobRow, { id: string; at: string; reason: string; failure: JobFailure }>(
        `UPDATE jobs SET status = 'failed', finished_at = $at, reason = $reason, failure = $failure
         WHERE id = $id AND status = 'queued' RETURNING ${JOB_COLUMNS}`,
      )
      .get({ id, at: now.toISOString(), reason, failure });
    return row ? toJob(row) : null;
  }

  /** Whether the job was sent to Valkey's queue. */
  sent(id: string): boolean {
    const row = this.#db
      .query<{ enqueued: 0 | 1 }, { id: string }>("SELECT enqueued FROM jobs WHERE id = $id")
      .get({ id });
    return row?.enqueued === 1;
  }

  /** Marks every queued job as not sent, so it is sent again; how many. */
  resendQueued(): number {
    return this.#db.query("UPDATE jobs SET enqueued = 0 WHERE status = 'queued' AND enqueued = 1").run()
      .changes;
  }

  markEnqueued(id: string): void {
    this.#db.query<never, { id: string }>("UPDATE jobs SET enqueued = 1 WHERE id = $id").run({ id });
  }

  /**
   * Cancels a job that has not started: it ends at once. Null when the job is
   * not queued (any more), so only one of cancelling and starting wins.
   */
  cancelQueued(id: string, now = new Date()): Job | null {
    const row = this.#db
      .query<JobRow, { id: string; at: string }>(
        `UPDATE jobs SET status = 'cancelled', finished_at = $at, reason = 'cancelled before it started'
         WHERE id = $id AND status = 'queued' RETURNING ${JOB_COLUMNS}`,
      )
      .get({ id, at: now.toISOString() });
    return row ? toJob(row) : null;
  }

  /** The id of the last worker event applied; "0" before the first. */
  eventsCursor(): string {
    const row = this.#db
      .query<{ value: string }, { key: string }>("SELECT value FROM meta WHERE key = $key")
      .get({ key: EVENTS_CURSOR });
    return row?.value ?? "0";
  }

  /**
   * Applies the worker's events and moves the cursor past them, in one
   * transaction: each event is applied exactly once, even across a crash.
   * Every transition only moves a job forward (queued → running → ended), so
   * a late or repeated event changes nothing.
   */
  applyEvents(events: readonly JobEvent[], cursor: string): JobChange[] {
    const changes: JobChange[] = [];
    this.#db.transaction(() => {
      for (const event of events) {
        const change = this.#apply(event);
        if (change !== null) changes.push(change);
      }
      this.#db
        .query<never, { key: string; value: string }>(
          "INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = $value",
        )
        .run({ key: EVENTS_CURSOR, value: cursor });
    })();
    return changes;
  }

  #retry(id: string, at: string): void {
    this.#db
      .query<never, { newId: string; id: string; at: string }>(retryInsert())
      .run({ newId: Bun.randomUUIDv7(), id, at });
  }

  #apply(event: JobEvent): JobChange | null {
    const { id } = event;
    switch (event.type) {
      case "started": {
        const { changes } = this.#db
          .query<never, { id: string; at: string }>(
            "UPDATE jobs SET status = 'running', started_at = $at WHERE id = $id AND status = 'queued'",
          )
          .run({ id, at: event.at });
        return changes > 0 ? { id, kind: "status" } : null;
      }
      case "progress": {
        const row = this.#db
          .query<ReportRow, { id: string; progress: number; done: number | null; total: number | null }>(
            `UPDATE jobs SET progress = $progress, progress_done = $done, progress_total = $total
             WHERE id = $id AND status = 'running' RETURNING ${REPORT_COLUMNS}`,
          )
          .get({
            id,
            progress: event.progress,
            done: event.steps?.done ?? null,
            total: event.steps?.total ?? null,
          });
        return row === null ? null : reportChange(id, row);
      }
      case "status": {
        const row = this.#db
          .query<ReportRow, { id: string; statusLine: string }>(
            `UPDATE jobs SET status_line = $statusLine
             WHERE id = $id AND status = 'running' RETURNING ${REPORT_COLUMNS}`,
          )
          .get({ id, statusLine: event.statusLine });
        return row === null ? null : reportChange(id, row);
      }
      case "finished": {
        const { changes } = this.#db
          .query<
            never,
            {
              id: string;
              at: string;
              status: string;
              exitCode: number | null;
              reason: string | null;
              failure: JobFailure | null;
              dropped: number;
            }
          >(
            `UPDATE jobs SET status = $status, exit_code = $exitCode, reason = $reason, finished_at = $at,
                             failure = $failure, output_dropped_bytes = $dropped
             WHERE id = $id AND status NOT IN ${TERMINAL}`,
          )
          .run({
            id,
            at: event.at,
            status: event.outcome,
            exitCode: event.exitCode,
            reason: event.reason,
            failure: event.failure ?? null,
            dropped: event.droppedOutputBytes ?? 0,
          });
        if (changes === 0) return null;
        if (event.outcome === "failed") this.#retry(id, event.at);
        return { id, kind: "status" };
      }
    }
  }
}

/**
 * Queues the next attempt of a failed run with retries left, not before
 * its delay: a new job with the run's command, values and limits.
 */
function retryInsert(): string {
  return `INSERT INTO jobs (${JOB_COLUMNS}, seq)
    SELECT $newId, name, command, 'queued', NULL, $at, NULL, NULL, NULL, NULL, 0, 0, template_id,
           template_version, parameters, secret_parameters, working_directory, environment,
           timeout_seconds, attempt + 1, coalesce(retry_of, id), retries, retry_delay_seconds,
           strftime('%Y-%m-%dT%H:%M:%fZ', $at, '+' || retry_delay_seconds || ' seconds'), concurrency_limit,
           NULL, NULL, NULL, NULL, ${NEXT_SEQ}
    FROM jobs WHERE id = $id AND attempt <= retries`;
}

const REPORT_COLUMNS = "progress, progress_done, progress_total, status_line";

function reportChange(id: string, row: ReportRow): JobChange {
  return { id, kind: "progress", progress: row.progress, ...report(row) };
}

function report(row: ReportRow): Pick<Job, "progressSteps" | "statusLine"> {
  return {
    progressSteps:
      row.progress_done === null || row.progress_total === null
        ? null
        : { done: row.progress_done, total: row.progress_total },
    statusLine: row.status_line,
  };
}

/** The SQL terms and their values for `filters`, each served by an index (migrations 1 and 9). */
function filterClause(filters: JobFilters): { terms: string[]; params: SQLQueryBindings[] } {
  const terms: string[] = [];
  const params: SQLQueryBindings[] = [];
  if (filters.template !== undefined) {
    terms.push("template_id = ?");
    params.push(filters.template);
  }
  if (filters.status !== undefined) {
    terms.push(`status IN (${filters.status.map(() => "?").join(", ")})`);
    params.push(...filters.status);
  }
  if (filters.since !== undefined) {
    terms.push("created_at >= ?");
    params.push(filters.since);
  }
  if (filters.until !== undefined) {
    terms.push("created_at < ?");
    params.push(filters.until);
  }
  return { terms, params };
}

const whereSql = (terms: readonly string[]) => (terms.length === 0 ? "" : `WHERE ${terms.join(" AND ")}`);

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
    progress: row.progress,
    reason: row.reason,
    outputDroppedBytes: row.output_dropped_bytes,
    templateId: row.template_id,
    templateVersion: row.template_version,
    parameters: row.parameters === null ? null : (JSON.parse(row.parameters) as Job["parameters"]),
    secretParameters: parseNames(row.secret_parameters),
    workingDirectory: row.working_directory,
    timeoutSeconds: row.timeout_seconds,
    attempt: row.attempt,
    maxAttempts: row.retries + 1,
    retryOf: row.retry_of,
    notBefore: row.not_before,
    failure: row.failure,
    ...report(row),
  };
}

function parseNames(text: string | null): string[] {
  return text === null ? [] : (JSON.parse(text) as string[]);
}
