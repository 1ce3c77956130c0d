import type { Database } from "bun:sqlite";
import { backupPath, databasePath, openDatabase } from "../src/db/database.ts";
import { MIGRATIONS } from "../src/db/migrations.ts";
import { migrate } from "../src/db/migrator.ts";

/** A real SQLite file in `dataDir`, created and migrated as the migrate role does it. */
export function migratedDatabase(dataDir: string): Database {
  const db = openDatabase(databasePath(dataDir), { create: true });
  migrate(db, { migrations: MIGRATIONS, backupPath: (from) => backupPath(dataDir, from) });
  return db;
}
