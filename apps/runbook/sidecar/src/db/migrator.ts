/**
 * Schema migrations, versioned in `PRAGMA user_version`. Each migration runs in
 * its own transaction together with the version bump, so a database is always
 * at exactly one known version, never half-way between two.
 */
import type { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseOutdatedError, DatabaseTooNewError, MigrationFailedError } from "./errors.ts";

export interface Migration {
  /** 1, 2, 3 …: the user_version the database has once it is applied. */
  version: number;
  /** The file it came from, to name it in errors. */
  file: string;
  sql: string;
}

export interface MigrationOptions {
  migrations: readonly Migration[];
  /** Where to back up a database at `fromVersion` (> 0) before migrating it. */
  backupPath: (fromVersion: number) => string;
}

export interface MigrationOutcome {
  from: number;
  to: number;
  /** The backup taken before migrating, or null when none was needed. */
  backup: string | null;
}

export function schemaVersion(db: Database): number {
  return db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
}

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.at(-1)?.version ?? 0;
}

/** Brings the database to the latest version, backing it up first if it has data. */
export function migrate(db: Database, options: MigrationOptions): MigrationOutcome {
  const { migrations } = options;
  assertNumberedInOrder(migrations);
  const latest = latestVersion(migrations);
  const from = schemaVersion(db);
  if (from > latest) throw new DatabaseTooNewError(from, latest);
  if (from === latest) return { from, to: from, backup: null };

  // One backup of the state before this run; a fresh database has nothing to lose.
  let backup: string | null = null;
  if (from > 0) {
    backup = options.backupPath(from);
    mkdirSync(dirname(backup), { recursive: true });
    db.run("VACUUM INTO ?", [backup]);
  }

  for (const migration of migrations) {
    if (migration.version > from) apply(db, migration);
  }
  return { from, to: schemaVersion(db), backup };
}

/** Refuses a database the running code cannot serve as-is. */
export function assertSchemaCurrent(db: Database, migrations: readonly Migration[]): number {
  const latest = latestVersion(migrations);
  const version = schemaVersion(db);
  if (version > latest) throw new DatabaseTooNewError(version, latest);
  if (version < latest) throw new DatabaseOutdatedError(version, latest);
  return version;
}

function apply(db: Database, migration: Migration): void {
  // IMMEDIATE takes the write lock up front, so two migrators cannot interleave.
  db.run("BEGIN IMMEDIATE");
  try {
    // Re-check under the lock: another process may have applied it meanwhile.
    if (schemaVersion(db) < migration.version) {
      db.run(migration.sql);
      // PRAGMA takes no bound parameters; the version is an integer we own.
      db.run(`PRAGMA user_version = ${migration.version}`);
    }
    db.run("COMMIT");
  } catch (error) {
    if (db.inTransaction) db.run("ROLLBACK");
    throw new MigrationFailedError(migration.file, error instanceof Error ? error.message : String(error));
  }
}

function assertNumberedInOrder(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration ${migration.file} has version ${migration.version}, expected ${index + 1}`);
    }
  });
}
