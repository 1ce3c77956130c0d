/**
 * Where Runbook's SQLite database lives and how every connection to it is set up.
 */
import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DatabaseOpenError } from "./errors.ts";

export const DATABASE_FILE = "runbook.db";

export function databasePath(dataDir: string): string {
  return join(dataDir, DATABASE_FILE);
}

/** `<data>/backups/runbook-v<from>-<UTC timestamp>.db`, unique to the millisecond. */
export function backupPath(dataDir: string, fromVersion: number, now = new Date()): string {
  const timestamp = now.toISOString().replaceAll(/[-:.]/g, "");
  return join(dataDir, "backups", `runbook-v${fromVersion}-${timestamp}.db`);
}

/**
 * Opens the database with the pragmas every connection needs. With
 * `create: false` a missing file is an error: only `migrate` may create it.
 */
export function openDatabase(path: string, options: { create: boolean }): Database {
  if (!options.create && !existsSync(path)) {
    throw new DatabaseOpenError(path, "it does not exist; run the migrate role first");
  }
  let db: Database | undefined;
  try {
    db = new Database(path, { create: options.create, readwrite: true, strict: true });
    // Wait on a lock held by the other role instead of failing at once;
    // set first so switching to WAL below waits too.
    db.run("PRAGMA busy_timeout = 5000");
    // WAL lets the api read while a writer commits. Switching to it is the
    // first real read of the file, so a non-database fails here, inside the try.
    const { journal_mode } = db.query<{ journal_mode: string }, []>("PRAGMA journal_mode = WAL").get() ?? {};
    if (journal_mode !== "wal") throw new Error(`journal_mode is ${journal_mode}, expected wal`);
    // NORMAL is durable across crashes of the process in WAL mode; FULL only
    // adds protection against power loss at a cost on every commit.
    db.run("PRAGMA synchronous = NORMAL");
    db.run("PRAGMA foreign_keys = ON");
    return db;
  } catch (error) {
    db?.close();
    throw new DatabaseOpenError(path, error instanceof Error ? error.message : String(error));
  }
}

/**
 * A LIMIT whose value is the bound parameter `param` (`?3`, `$limit`), as
 * SQL. With the parameter itself after LIMIT, the statement gets about as
 * slow as preparing it again each time the parameter is bound anew
 * (SQLite 3.54 under Bun 1.4: the jobs page's 29 columns and 21 rows take
 * 30 µs, 16 µs with the value in a CAST or written in the SQL). The CAST
 * keeps the value out of the statement's plan; the plan is the same either
 * way (EXPLAIN QUERY PLAN). test/sql-limits.test.ts finds any plain one.
 */
export function limitOf(param: string): string {
  return `CAST(${param} AS INTEGER)`;
}
