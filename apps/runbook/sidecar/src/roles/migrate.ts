/**
 * `migrate`: one-shot, run by the shell before the api starts; creates the
 * database on first launch and upgrades it afterwards.
 */
import { log, readSidecarEnv } from "@convoy/sidecar-runtime";
import { backupPath, databasePath, openDatabase } from "../db/database.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { migrate } from "../db/migrator.ts";
import type { Role } from "./role.ts";
import { startupMark } from "./startup-marks.ts";

// Ignores the stop signal: each migration is one short transaction, and a
// kill mid-way is rolled back by SQLite anyway.
export const runMigrate: Role = async () => {
  const { dataDir } = readSidecarEnv();
  const db = openDatabase(databasePath(dataDir), { create: true });
  startupMark("database opened");
  try {
    const outcome = migrate(db, {
      migrations: MIGRATIONS,
      backupPath: (fromVersion) => backupPath(dataDir, fromVersion),
    });
    startupMark("migrated");
    if (outcome.backup !== null)
      log.info("backed up the database before migrating", { path: outcome.backup });
    process.stdout.write(`migrated from v${outcome.from} to v${outcome.to}\n`);
  } finally {
    db.close();
  }
};
