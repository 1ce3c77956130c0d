/**
 * Retention on real SQLite files: the oldest ended runs go, jobs and output,
 * by age and by total size, a bounded number of rows per transaction, with
 * requests served between batches; queued and running jobs never go, nor a
 * run whose output is still being copied.
 */
import type { Database } from "bun:sqlite";
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { createApp } from "../src/api/app.ts";
import { OutputStore } from "../src/jobs/output-store.ts";
import { pruneRuns, type RetentionPolicy, readRetentionPolicy } from "../src/jobs/retention.ts";
import { RetentionStore } from "../src/jobs/retention-store.ts";
import { JobStore } from "../src/jobs/store.ts";
import { migratedDatabase } from "./migrated-database.ts";
import { TempDirs } from "./temp-dirs.ts";

const DAY_MS = 24 * 3600 * 1000;
const NOW = new Date("2026-06-01T12:00:00.000Z");
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);

const temp = new TempDirs();
let db: Database;
let jobs: JobStore;
let outputs: OutputStore;
let retention: RetentionStore;

beforeEach(() => {
  const dataDir = temp.create();
  db = migratedDatabase(dataDir);
  jobs = new JobStore(db);
  outputs = new OutputStore(db);
  retention = new RetentionStore(db);
});

afterEach(() => {
  db.close();
  temp.removeAll();
});

let entrySeq = 0;

interface RunOptions {
  /** Days ago it was created; it ends (when it does) a minute later. */
  age: number;
  status?: "queued" | "running" | "succeeded";
  /** Output entries of `entryBytes` ASCII bytes each. */
  entries?: number;
  entryBytes?: number;
  /** Whether every entry is copied (the copier's mark): false keeps it from retention. */
  complete?: boolean;
}

/** A job as the api records one: created, started and ended by the worker's events, its output copied. */
function run({
  age,
  status = "succeeded",
  entries = 2,
  entryBytes = 10,
  complete = true,
}: RunOptions): string {
  const created = daysAgo(age);
  const job = jobs.create({ command: `job ${age}` }, created);
  const at = (ms: number) => new Date(created.getTime() + ms).toISOString();
  if (status !== "queued") {
    const events = [{ type: "started" as const, id: job.id, at: at(1000), pid: 7 }];
    const finished =
      status === "succeeded"
        ? [
            {
              type: "finished" as const,
              id: job.id,
              at: at(60_000),
              outcome: status,
              exitCode: 0,
              reason: null,
            },
          ]
        : [];
    jobs.applyEvents([...events, ...finished], `${entrySeq}-0`);
    const copied = Array.from({ length: entries }, () => {
      entrySeq += 1;
      return { id: `${entrySeq}-0`, stream: "stdout" as const, text: "x".repeat(entryBytes) };
    });
    outputs.add(job.id, copied, copied.at(-1)?.id ?? "0", complete && status === "succeeded");
  }
  return job.id;
}

function remaining(): string[] {
  return db
    .query<{ id: string }, []>("SELECT id FROM jobs ORDER BY created_at, id")
    .all()
    .map((row) => row.id);
}

const outputRows = () => db.query<{ n: number }, []>("SELECT count(*) AS n FROM job_output").get()?.n;

const policy = (over: Partial<RetentionPolicy> = {}): RetentionPolicy => ({
  maxAgeMs: 30 * DAY_MS,
  maxBytes: 1024 * 1024 * 1024,
  ...over,
});

describe("retention", () => {
  test("by age: ended runs older than the limit go with their output; the rest stay", async () => {
    const old = run({ age: 40 });
    const older = run({ age: 90, entries: 5 });
    const recent = run({ age: 2 });
    const runningForMonths = run({ age: 100, status: "running" });
    const queuedForMonths = run({ age: 100, status: "queued" });
    const stillCopying = run({ age: 60, complete: false });

    const pass = await pruneRuns(retention, policy(), { now: NOW });
    expect(pass.jobs.sort()).toEqual([old, older].sort());
    expect(pass.bytes).toBe(7 * 10);
    expect(remaining().sort()).toEqual([recent, runningForMonths, queuedForMonths, stillCopying].sort());
    // The output left is that of the runs left: 2 + 2 + 2 entries (the queued job has none).
    expect(outputRows()).toBe(6);
    expect(retention.storedBytes()).toBe(60);
    // A second pass has nothing left to do.
    expect((await pruneRuns(retention, policy(), { now: NOW })).jobs).toEqual([]);
  });

  test("by size: the oldest ended runs go until the output kept fits, whatever their age", async () => {
    const first = run({ age: 5, entries: 4, entryBytes: 1000 });
    const second = run({ age: 4, entries: 4, entryBytes: 1000 });
    const third = run({ age: 3, entries: 4, entryBytes: 1000 });
    const running = run({ age: 6, status: "running", entries: 4, entryBytes: 1000 });
    expect(retention.storedBytes()).toBe(16_000);

    const pass = await pruneRuns(retention, policy({ maxBytes: 9000 }), { now: NOW });
    expect(pass.jobs).toEqual([first, second]);
    expect(remaining()).toEqual([running, third]);
    expect(retention.storedBytes()).toBe(8000);

    // Even far over, a running job's output stays: only ended runs go.
    await pruneRuns(retention, policy({ maxBytes: 1024 * 1024 }), { now: NOW });
    const tiny = await pruneRuns(retention, { maxAgeMs: 30 * DAY_MS, maxBytes: 1 }, { now: NOW });
    expect(tiny.jobs).toEqual([third]);
    expect(remaining()).toEqual([running]);
    expect(retention.storedBytes()).toBe(4000);
  });

  test("deletes at most the batch's rows per transaction, a long run's output across batches", async () => {
    const long = run({ age: 40, entries: 1200 });
    const short = run({ age: 39, entries: 3 });
    const sizes: number[] = [];
    const batchOf = retention.pruneBatch.bind(retention);
    retention.pruneBatch = (bounds, maxRows) => {
      const batch = batchOf(bounds, maxRows);
      sizes.push(batch.rows);
      return batch;
    };
    const pass = await pruneRuns(retention, policy(), { now: NOW, batchRows: 500 });
    expect(pass.jobs).toEqual([long, short]);
    // Each run's entries make one line (no "\n" in them, so the last, unended one):
    // 1 + 1200 output rows and job, 1 + 3 and job: 1 + 499, 500, 201 + job + 1 + 3 + job.
    expect(sizes).toEqual([500, 500, 207]);
    expect(outputRows()).toBe(0);
    expect(remaining()).toEqual([]);
  });

  test("requests are served between batches", async () => {
    for (let i = 0; i < 20; i++) run({ age: 40 + i, entries: 500 });
    const app = createApp({ db, valkey: null, token: "t".repeat(32), port: 1, allowedOrigins: [] });
    const order: string[] = [];
    const pruning = pruneRuns(retention, policy(), { now: NOW, batchRows: 500 }).then((pass) => {
      order.push("pruned");
      return pass;
    });
    const listing = Promise.resolve(
      app.request("/jobs?limit=1", {
        headers: { Host: "127.0.0.1:1", Authorization: `Bearer ${"t".repeat(32)}` },
      }),
    ).then((response) => {
      order.push(`listed ${response.status}`);
    });
    await Promise.all([pruning, listing]);
    expect((await pruning).batches).toBeGreaterThanOrEqual(20);
    expect(order).toEqual(["listed 200", "pruned"]);
  });

  test("its settings: 30 days and 1 GiB by default, each an integer variable", () => {
    expect(readRetentionPolicy({})).toEqual({ maxAgeMs: 30 * DAY_MS, maxBytes: 1024 ** 3 });
    expect(
      readRetentionPolicy({ RUNBOOK_RETENTION_DAYS: "7", RUNBOOK_RETENTION_MAX_BYTES: "1048576" }),
    ).toEqual({
      maxAgeMs: 7 * DAY_MS,
      maxBytes: 1024 * 1024,
    });
    expect(() => readRetentionPolicy({ RUNBOOK_RETENTION_DAYS: "0" })).toThrow(
      'RUNBOOK_RETENTION_DAYS must be an integer from 1 to 36500 (got "0")',
    );
    expect(() => readRetentionPolicy({ RUNBOOK_RETENTION_MAX_BYTES: "1GiB" })).toThrow(
      /^RUNBOOK_RETENTION_MAX_BYTES must be an integer/,
    );
  });
});
