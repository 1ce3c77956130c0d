import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { backupPath, databasePath, openDatabase } from "../src/db/database.ts";
import {
  DatabaseOpenError,
  DatabaseOutdatedError,
  DatabaseTooNewError,
  MigrationFailedError,
} from "../src/db/errors.ts";
import { MIGRATIONS } from "../src/db/migrations.ts";
import { assertSchemaCurrent, type Migration, migrate, schemaVersion } from "../src/db/migrator.ts";
import { TempDirs } from "./temp-dirs.ts";

const temp = new TempDirs();
const open: Database[] = [];

afterEach(() => {
  for (const db of open.splice(0)) db.close();
  temp.removeAll();
});

function freshDatabase(): { db: Database; dataDir: string } {
  const dataDir = temp.create();
  const db = openDatabase(databasePath(dataDir), { create: true });
  open.push(db);
  return { db, dataDir };
}

function migrateWith(db: Database, dataDir: string, migrations: readonly Migration[] = MIGRATIONS) {
  return migrate(db, { migrations, backupPath: (from) => backupPath(dataDir, from) });
}

function tableNames(db: Database): string[] {
  return db
    .query<{ name: string }, []>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .all()
    .map((row) => row.name);
}

/** The version the shipped migrations reach. */
const LATEST = MIGRATIONS.length;
const TABLES = [
  "job_line_tails",
  "job_lines",
  // The full-text index and its shadow tables (FTS5 makes them).
  "job_lines_fts",
  "job_lines_fts_config",
  "job_lines_fts_data",
  "job_lines_fts_docsize",
  "job_lines_fts_idx",
  "job_output",
  "jobs",
  "meta",
  "template_versions",
  "templates",
];

const notes: Migration = {
  version: LATEST + 1,
  file: "9999_notes.sql",
  sql: "CREATE TABLE notes (body TEXT NOT NULL) STRICT;",
};

describe("openDatabase", () => {
  test("sets the pragmas every connection needs", () => {
    const { db } = freshDatabase();
    const pragma = (name: string) => Object.values(db.query(`PRAGMA ${name}`).get() as object)[0];
    expect(pragma("journal_mode")).toBe("wal");
    expect(pragma("foreign_keys")).toBe(1);
    expect(pragma("busy_timeout")).toBe(5000);
    expect(pragma("synchronous")).toBe(1); // NORMAL
  });

  test("refuses a missing file unless asked to create it", () => {
    const path = databasePath(temp.create());
    expect(() => openDatabase(path, { create: false })).toThrow(DatabaseOpenError);
    expect(existsSync(path)).toBe(false);
  });

  test("refuses a file that is not a database", () => {
    const path = databasePath(temp.create());
    writeFileSync(path, "this is not sqlite, just text long enough to have a header ".repeat(10));
    expect(() => openDatabase(path, { create: false })).toThrow(DatabaseOpenError);
  });
});

describe("migrate", () => {
  test("brings a fresh database to the latest version without a backup", () => {
    const { db, dataDir } = freshDatabase();
    expect(migrateWith(db, dataDir)).toEqual({ from: 0, to: LATEST, backup: null });
    expect(schemaVersion(db)).toBe(LATEST);
    expect(tableNames(db)).toEqual(TABLES);
    const indexes = db
      .query("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'jobs'")
      .all();
    expect(indexes).toContainEqual({ name: "jobs_created_at" });
    expect(indexes).toContainEqual({ name: "jobs_unsent" });
    expect(existsSync(join(dataDir, "backups"))).toBe(false);
  });

  test("a second run is a no-op", () => {
    const { db, dataDir } = freshDatabase();
    migrateWith(db, dataDir);
    expect(migrateWith(db, dataDir)).toEqual({ from: LATEST, to: LATEST, backup: null });
    expect(existsSync(join(dataDir, "backups"))).toBe(false);
  });

  test("the jobs table enforces its status values", () => {
    const { db, dataDir } = freshDatabase();
    migrateWith(db, dataDir);
    const insert = (status: string) =>
      db.run("INSERT INTO jobs (id, name, command, status, created_at) VALUES (?, 'n', 'c', ?, 't')", [
        crypto.randomUUID(),
        status,
      ]);
    insert("queued");
    expect(() => insert("exploded")).toThrow(/CHECK constraint failed/);
  });

  test("the jobs table enforces progress between 0 and 100", () => {
    const { db, dataDir } = freshDatabase();
    migrateWith(db, dataDir);
    const insert = (progress: number) =>
      db.run(
        "INSERT INTO jobs (id, name, command, status, created_at, progress) VALUES (?, 'n', 'c', 'running', 't', ?)",
        [crypto.randomUUID(), progress],
      );
    insert(0);
    insert(100);
    expect(() => insert(-1)).toThrow(/CHECK constraint failed/);
    expect(() => insert(100.5)).toThrow(/CHECK constraint failed/);
  });

  test("a job's output rows belong to it: only its streams, gone with it", () => {
    const { db, dataDir } = freshDatabase();
    migrateWith(db, dataDir);
    db.run("INSERT INTO jobs (id, name, command, status, created_at) VALUES ('a', 'n', 'c', 'running', 't')");
    const insert = (job: string, stream: string) =>
      db.run("INSERT INTO job_output (job_id, entry, stream, text) VALUES (?, ?, ?, 'x')", [
        job,
        crypto.randomUUID(),
        stream,
      ]);
    insert("a", "stdout");
    insert("a", "stderr");
    expect(() => insert("a", "stdin")).toThrow(/CHECK constraint failed/);
    expect(() => insert("nobody", "stdout")).toThrow(/FOREIGN KEY constraint failed/);
    db.run("DELETE FROM jobs WHERE id = 'a'");
    expect(db.query("SELECT count(*) AS n FROM job_output").get()).toEqual({ n: 0 });
  });

  test("migration 4 counts the output already kept, in UTF-8 bytes", () => {
    const { db, dataDir } = freshDatabase();
    migrateWith(db, dataDir, MIGRATIONS.slice(0, 3));
    db.run("INSERT INTO jobs (id, name, command, status, created_at) VALUES ('a', 'n', 'c', 'running', 't')");
    db.run("INSERT INTO jobs (id, name, command, status, created_at) VALUES ('b', 'n', 'c', 'queued', 't')");
    db.run("INSERT INTO job_output (job_id, entry, stream, text) VALUES ('a', '1', 'stdout', 'héllo')");
    db.run("INSERT INTO job_output (job_id, entry, stream, text) VALUES ('a', '2', 'stderr', '!')");
    migrateWith(db, dataDir);
    expect(db.query("SELECT id, output_bytes, output_dropped_bytes FROM jobs ORDER BY id").all()).toEqual([
      { id: "a", output_bytes: 7, output_dropped_bytes: 0 },
      { id: "b", output_bytes: 0, output_dropped_bytes: 0 },
    ]);
  });

  test("backs up an existing database before migrating it", () => {
    const { db, dataDir } = freshDatabase();
    migrateWith(db, dataDir);
    db.run("INSERT INTO jobs (id, name, command, status, created_at) VALUES ('a', 'n', 'c', 'queued', 't')");

    const outcome = migrateWith(db, dataDir, [...MIGRATIONS, notes]);
    expect(outcome.from).toBe(LATEST);
    expect(outcome.to).toBe(LATEST + 1);
    expect(outcome.backup).toMatch(new RegExp(`backups/runbook-v${LATEST}-\\d{8}T\\d{9}Z\\.db$`));
    expect(readdirSync(join(dataDir, "backups"))).toHaveLength(1);

    // The backup is the database as it was: its version, with its row, without the new table.
    const backup = new Database(outcome.backup ?? "", { readonly: true });
    open.push(backup);
    expect(schemaVersion(backup)).toBe(LATEST);
    expect(tableNames(backup)).toEqual(TABLES);
    expect(backup.query("SELECT id FROM jobs").all()).toEqual([{ id: "a" }]);
    expect(tableNames(db)).toEqual([...TABLES, "notes"].sort());
  });

  test("refuses a database newer than the code", () => {
    const { db, dataDir } = freshDatabase();
    db.run("PRAGMA user_version = 99");
    expect(() => migrateWith(db, dataDir)).toThrow(new DatabaseTooNewError(99, LATEST).message);
    expect(() => migrateWith(db, dataDir)).toThrow(DatabaseTooNewError);
    expect(schemaVersion(db)).toBe(99);
  });

  test("the refusal message says which versions", () => {
    expect(new DatabaseTooNewError(7, 1).message).toBe(
      "database schema version 7 is newer than this Runbook (knows up to 1); refusing to open it",
    );
  });

  test("a failing migration rolls back entirely and names its file", () => {
    const { db, dataDir } = freshDatabase();
    migrateWith(db, dataDir);
    const broken: Migration = {
      version: LATEST + 1,
      file: "9999_broken.sql",
      // The first statement succeeds; the rollback must undo it too.
      sql: "CREATE TABLE half_done (x INTEGER); INSERT INTO no_such_table VALUES (1);",
    };
    let failure: unknown;
    try {
      migrateWith(db, dataDir, [...MIGRATIONS, broken]);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(MigrationFailedError);
    expect((failure as MigrationFailedError).file).toBe("9999_broken.sql");
    expect((failure as Error).message).toContain("9999_broken.sql");
    expect(schemaVersion(db)).toBe(LATEST);
    expect(tableNames(db)).toEqual(TABLES);
    expect(db.inTransaction).toBe(false);
  });

  test("applies only the pending migrations, in order", () => {
    const { db, dataDir } = freshDatabase();
    const outcome = migrateWith(db, dataDir, [...MIGRATIONS, notes]);
    expect(outcome).toEqual({ from: 0, to: LATEST + 1, backup: null });
    expect(tableNames(db)).toEqual([...TABLES, "notes"].sort());
  });

  test("rejects a migration list with gaps", () => {
    const { db, dataDir } = freshDatabase();
    expect(() => migrateWith(db, dataDir, [{ ...notes, version: 3 }])).toThrow(/expected 1/);
    expect(() => migrateWith(db, dataDir, [...MIGRATIONS, { ...notes, version: LATEST + 2 }])).toThrow(
      new RegExp(`expected ${LATEST + 1}`),
    );
  });
});

describe("assertSchemaCurrent", () => {
  test("accepts the latest version and refuses older or newer ones", () => {
    const { db, dataDir } = freshDatabase();
    expect(() => assertSchemaCurrent(db, MIGRATIONS)).toThrow(DatabaseOutdatedError);
    migrateWith(db, dataDir);
    expect(assertSchemaCurrent(db, MIGRATIONS)).toBe(LATEST);
    db.run(`PRAGMA user_version = ${LATEST + 1}`);
    expect(() => assertSchemaCurrent(db, MIGRATIONS)).toThrow(DatabaseTooNewError);
  });
});
