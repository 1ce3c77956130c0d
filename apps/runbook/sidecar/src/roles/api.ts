/**
 * `api`: serves the HTTP API on 127.0.0.1 until asked to stop. It never
 * migrates: a database not at the latest version is refused. Valkey, when the
 * shell gives one, is connected in the background: the api is ready and
 * answers without it, and reports it as down meanwhile.
 */
import {
  connectValkey,
  createBackchannel,
  log,
  readApiEnv,
  serveApi,
  type ValkeyConnection,
} from "@convoy/sidecar-runtime";
import { createApp } from "../api/app.ts";
import { databasePath, openDatabase } from "../db/database.ts";
import { MIGRATIONS } from "../db/migrations.ts";
import { assertSchemaCurrent } from "../db/migrator.ts";
import { type Role, untilAborted } from "./role.ts";

export const runApi: Role = async ({ signal }) => {
  const env = readApiEnv();
  log.redact(env.token);
  if (env.valkey !== null) log.redact(env.valkey.password);
  if (env.backchannel !== null) log.redact(env.backchannel.token);
  const db = openDatabase(databasePath(env.dataDir), { create: false });
  let valkey: ValkeyConnection | null = null;
  try {
    const schemaVersion = assertSchemaCurrent(db, MIGRATIONS);
    valkey = env.valkey && connectValkey({ ...env.valkey, name: "api" });
    const app = createApp({
      db,
      valkey,
      token: env.token,
      port: env.port,
      allowedOrigins: env.allowedOrigins,
      backchannel: env.backchannel && createBackchannel(env.backchannel),
    });
    const server = serveApi(app, { port: env.port });
    log.info("api listening", {
      port: env.port,
      schemaVersion,
      valkey: valkey === null ? "disabled" : "enabled",
    });
    await untilAborted(signal);
    // Lets requests in flight finish before the database and Valkey close under them.
    await server.stop();
    log.info("api stopped");
  } finally {
    valkey?.close();
    db.close();
  }
};
