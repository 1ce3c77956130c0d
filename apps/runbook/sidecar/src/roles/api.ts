/**
 * `api`: serves the HTTP API on 127.0.0.1 until asked to stop. It never
 * migrates: a database not at the latest version is refused.
 */
import { log, readApiEnv, serveApi } from "@convoy/sidecar-runtime";
import { createApp } from "../api/app.ts";
import { databasePath, openDatabase } from "../db/database.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { assertSchemaCurrent } from "../db/migrator.ts";
import { type Role, untilAborted } from "./role.ts";

export const runApi: Role = async ({ signal }) => {
  const env = readApiEnv();
  log.redact(env.token);
  const db = openDatabase(databasePath(env.dataDir), { create: false });
  try {
    const schemaVersion = assertSchemaCurrent(db, MIGRATIONS);
    const app = createApp({ db, token: env.token, port: env.port, allowedOrigins: env.allowedOrigins });
    const server = serveApi(app, { port: env.port });
    log.info("api listening", { port: env.port, schemaVersion });
    await untilAborted(signal);
    // Lets requests in flight finish before the database closes under them.
    await server.stop();
    log.info("api stopped");
  } finally {
    db.close();
  }
};
